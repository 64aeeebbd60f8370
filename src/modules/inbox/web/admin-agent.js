import { FieldErrorText, RowsTable, SettingsForm } from './admin-kit.js';
import { ModelSettings } from './admin-model.js';
import { call, html } from './lib.js';

/**
 * An AI agent's settings as forms, one per part, each saved on its own with `PATCH /v1/agents/{id}`:
 * the API validates, and its errors show beside the input they name (`business.hours.mon.0.close`
 * beside Monday's closing time).
 */

const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];
const STT = ['sandbox', 'builtin', 'openai', 'openai_compatible', 'deepgram'];
const TTS = [...STT, 'elevenlabs'];
const PROPERTY_TYPES = ['string', 'number', 'integer', 'boolean'];

/** '' stays out of the body; anything else is a number (the API says when it is not one). */
const num = (v) => (v === '' || v == null ? undefined : Number(v));
const words = (v) =>
  String(v ?? '')
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
const idOf = (path) => `agent-${path.replace(/\W+/g, '-')}`;

/** A labelled input with the API's error for `path` beside it. */
function Input({ label, path, value, onInput, errorAt, type = 'text', help, ...rest }) {
  const id = idOf(path);
  const error = errorAt(path);
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} type=${type} value=${value ?? ''} aria-invalid=${error ? 'true' : undefined}
      aria-describedby=${error ? `${id}-error` : undefined} onInput=${(e) => onInput(e.currentTarget.value)} ...${rest} />
    ${help ? html`<span class="muted small">${help}</span>` : null}
    <${FieldErrorText} id=${`${id}-error`} error=${error} />
  </div>`;
}

export function AgentSettings({ agent, onSaved }) {
  const save = (body) => call('patch', '/v1/agents/{id}', { params: { id: agent.id }, body });
  const common = { save, onSaved };
  return html`<section class="stack agent-settings" aria-label=${`Settings of ${agent.name}`} key=${agent.id}>
    <h2>${agent.name}</h2>
    <${Basics} agent=${agent} common=${common} />
    <${ModelSettings} agent=${agent} common=${common} />
    <${WeekHours} agent=${agent} common=${common} />
    <${Holidays} agent=${agent} common=${common} />
    <${Services} agent=${agent} common=${common} />
    <${Handoff} agent=${agent} common=${common} />
    ${'voice' in agent ? html`<${Voice} agent=${agent} common=${common} />` : html`<p class="muted small">Voice settings appear here when this server supports calls.</p>`}
    <${Analysis} agent=${agent} common=${common} />
  </section>`;
}

function Basics({ agent, common }) {
  const initial = {
    instructions: agent.instructions ?? '',
    greeting: agent.greeting ?? '',
    languages: (agent.languages ?? []).join(', '),
    timezone: agent.business.timezone,
  };
  const toBody = (v) => ({
    instructions: v.instructions,
    greeting: v.greeting || null,
    languages: words(v.languages),
    business: { timezone: v.timezone },
  });
  return html`<${SettingsForm} label="Instructions and greeting" initial=${initial} toBody=${toBody} ...${common}>
    ${(v, set, errorAt) => html`
      <div class="field">
        <label for="agent-instructions">Instructions</label>
        <textarea id="agent-instructions" rows="4" value=${v.instructions} onInput=${(e) => set({ ...v, instructions: e.currentTarget.value })}></textarea>
        <${FieldErrorText} id="agent-instructions-error" error=${errorAt('instructions')} />
      </div>
      <${Input} label="Greeting" path="greeting" value=${v.greeting} errorAt=${errorAt} onInput=${(x) => set({ ...v, greeting: x })} />
      <${Input} label="Languages" path="languages" value=${v.languages} errorAt=${errorAt} help="Codes, separated by commas (en, hi)." onInput=${(x) => set({ ...v, languages: x })} />
      <${Input} label="Timezone" path="business.timezone" value=${v.timezone} errorAt=${errorAt} help="IANA name, e.g. Asia/Kolkata." onInput=${(x) => set({ ...v, timezone: x })} />`}
  <//>`;
}

/** Business hours as a week grid: each day's opening intervals, none for a closed day. */
function WeekHours({ agent, common }) {
  const initial = Object.fromEntries(
    DAYS.map(([d]) => [d, (agent.business.hours[d] ?? []).map((iv) => ({ ...iv }))]),
  );
  return html`<${SettingsForm} label="Business hours" initial=${initial} toBody=${(hours) => ({ business: { hours } })} ...${common}>
    ${(
      v,
      set,
      errorAt,
    ) => html`<p class="muted small">In the business timezone (${agent.business.timezone}). A day with no hours is closed.</p>
      <table class="week-grid"><tbody>${DAYS.map(([day, name]) => {
        const list = v[day];
        const setDay = (next) => set({ ...v, [day]: next });
        const dayError = errorAt(`business.hours.${day}`, true);
        return html`<tr data-day=${day}>
          <th scope="row">${name}</th>
          <td>
            ${list.length === 0 ? html`<span class="muted">Closed</span>` : null}
            ${list.map((iv, i) => {
              const base = `business.hours.${day}.${i}`;
              const err = errorAt(base);
              const id = idOf(base);
              const edit = (key, value) => setDay(list.map((x, n) => (n === i ? { ...x, [key]: value } : x)));
              return html`<div class="interval">
                <input type="time" id=${`${id}-open`} aria-label=${`${name} opens`} value=${iv.open} aria-invalid=${err ? 'true' : undefined}
                  aria-describedby=${err ? `${id}-error` : undefined} onInput=${(e) => edit('open', e.currentTarget.value)} />
                –
                <input type="time" id=${`${id}-close`} aria-label=${`${name} closes`} value=${iv.close} aria-invalid=${err ? 'true' : undefined}
                  aria-describedby=${err ? `${id}-error` : undefined} onInput=${(e) => edit('close', e.currentTarget.value)} />
                <button type="button" class="ghost" aria-label=${`Remove ${name} ${iv.open}–${iv.close}`} onClick=${() => setDay(list.filter((_, n) => n !== i))}>×</button>
                <${FieldErrorText} id=${`${id}-error`} error=${err} />
              </div>`;
            })}
            <${FieldErrorText} id=${idOf(`business.hours.${day}-error`)} error=${dayError} />
          </td>
          <td><button type="button" onClick=${() => setDay([...list, { open: list.at(-1)?.close ?? '09:00', close: '17:00' }])}>Add hours</button>
            ${list.length ? html`<button type="button" class="ghost" onClick=${() => setDay([])}>Closed</button>` : null}
            <button type="button" class="ghost" title="Copy these hours to every other day" onClick=${() =>
              set(
                Object.fromEntries(DAYS.map(([d]) => [d, list.map((x) => ({ ...x }))])),
              )}>Copy to all</button></td>
        </tr>`;
      })}</tbody></table>`}
  <//>`;
}

function Holidays({ agent, common }) {
  const initial = agent.business.holidays ?? [];
  return html`<${SettingsForm} label="Holidays" initial=${initial} toBody=${(holidays) => ({ business: { holidays } })} ...${common}>
    ${(v, set, errorAt) => html`<p class="muted small">Dates the business is closed all day.</p>
      ${v.map(
        (d, i) => html`<div class="row">
        <${Input} label=${`Holiday ${i + 1}`} type="date" path=${`business.holidays.${i}`} value=${d} errorAt=${errorAt}
          onInput=${(x) => set(v.map((y, n) => (n === i ? x : y)))} />
        <button type="button" class="ghost" aria-label=${`Remove holiday ${i + 1}`} onClick=${() => set(v.filter((_, n) => n !== i))}>×</button>
      </div>`,
      )}
      <button type="button" onClick=${() => set([...v, ''])}>Add a holiday</button>
      <${FieldErrorText} id="agent-holidays-error" error=${errorAt('business.holidays', true)} />`}
  <//>`;
}

function Services({ agent, common }) {
  const initial = agent.business.services.map((s) => ({ ...s, price: s.price ?? '' }));
  const toBody = (rows) => ({
    business: {
      services: rows.map((r) => ({
        ...(r.id ? { id: r.id } : {}),
        name: r.name,
        duration_minutes: num(r.duration_minutes),
        price: r.price === '' ? null : Number(r.price),
        ...(num(r.capacity) !== undefined ? { capacity: num(r.capacity) } : {}),
      })),
    },
  });
  const columns = [
    { key: 'name', label: 'Service' },
    { key: 'duration_minutes', label: 'Minutes', type: 'number' },
    { key: 'price', label: 'Price', type: 'number' },
    { key: 'capacity', label: 'At once', type: 'number' },
  ];
  return html`<${SettingsForm} label="Services" initial=${initial} toBody=${toBody} ...${common}>
    ${(
      v,
      set,
      errorAt,
    ) => html`<${RowsTable} label="Bookable services" rows=${v} columns=${columns} path="business.services"
      errorAt=${errorAt} onChange=${set} blank=${{ name: '', duration_minutes: 30, price: '', capacity: 1 }} addLabel="Add a service" />`}
  <//>`;
}

function Handoff({ agent, common }) {
  const h = agent.handoff ?? {};
  const initial = {
    keywords: (h.keywords ?? []).join(', '),
    max_unanswered: h.max_unanswered ?? '',
    holding_message_after_minutes: h.holding_message_after_minutes ?? '',
    holding_message: h.holding_message ?? '',
  };
  const toBody = (v) => ({
    handoff: {
      keywords: words(v.keywords),
      ...(num(v.max_unanswered) !== undefined ? { max_unanswered: num(v.max_unanswered) } : {}),
      ...(num(v.holding_message_after_minutes) !== undefined
        ? { holding_message_after_minutes: num(v.holding_message_after_minutes) }
        : {}),
      holding_message: v.holding_message.trim() || null,
    },
  });
  return html`<${SettingsForm} label="Handoff" initial=${initial} toBody=${toBody} ...${common}>
    ${(v, set, errorAt) => html`
      <${Input} label="Words that hand off" path="handoff.keywords" value=${v.keywords} errorAt=${errorAt} help="Separated by commas." onInput=${(x) => set({ ...v, keywords: x })} />
      <${Input} label="Offer a person after this many unanswered messages (0: never)" type="number" path="handoff.max_unanswered" value=${v.max_unanswered} errorAt=${errorAt} onInput=${(x) => set({ ...v, max_unanswered: x })} />
      <${Input} label="Holding message after (minutes)" type="number" path="handoff.holding_message_after_minutes" value=${v.holding_message_after_minutes} errorAt=${errorAt} onInput=${(x) => set({ ...v, holding_message_after_minutes: x })} />
      <${Input} label="Holding message" path="handoff.holding_message" value=${v.holding_message} errorAt=${errorAt} help="Empty: a built-in one in the customer's language." onInput=${(x) => set({ ...v, holding_message: x })} />`}
  <//>`;
}

function Voice({ agent, common }) {
  const vs = agent.voice ?? {};
  const initial = {
    stt_provider: vs.stt?.provider ?? 'sandbox',
    stt_language: vs.stt?.language ?? '',
    tts_provider: vs.tts?.provider ?? 'sandbox',
    tts_voice: vs.tts?.voice ?? '',
    silence_timeout_seconds: vs.silence_timeout_seconds ?? '',
    max_duration_seconds: vs.max_duration_seconds ?? '',
    record: !!vs.record,
  };
  const toBody = (v) => ({
    voice: {
      stt: { provider: v.stt_provider, ...(v.stt_language ? { language: v.stt_language } : {}) },
      tts: { provider: v.tts_provider, ...(v.tts_voice ? { voice: v.tts_voice } : {}) },
      ...(num(v.silence_timeout_seconds) !== undefined
        ? { silence_timeout_seconds: num(v.silence_timeout_seconds) }
        : {}),
      ...(num(v.max_duration_seconds) !== undefined
        ? { max_duration_seconds: num(v.max_duration_seconds) }
        : {}),
      record: v.record,
    },
  });
  const select = (label, path, value, options, onChange, errorAt) => html`<div class="field">
    <label for=${idOf(path)}>${label}</label>
    <select id=${idOf(path)} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>${options.map((o) => html`<option value=${o}>${o}</option>`)}</select>
    <${FieldErrorText} id=${`${idOf(path)}-error`} error=${errorAt(path)} />
  </div>`;
  return html`<${SettingsForm} label="Voice" initial=${initial} toBody=${toBody} ...${common}>
    ${(v, set, errorAt) => html`
      ${select('Speech to text', 'voice.stt', v.stt_provider, STT, (x) => set({ ...v, stt_provider: x }), errorAt)}
      <${Input} label="Caller's language" path="voice.stt.language" value=${v.stt_language} errorAt=${errorAt} help="BCP 47, e.g. en-IN." onInput=${(x) => set({ ...v, stt_language: x })} />
      ${select('Text to speech', 'voice.tts', v.tts_provider, TTS, (x) => set({ ...v, tts_provider: x }), errorAt)}
      <${Input} label="Voice name" path="voice.tts.voice" value=${v.tts_voice} errorAt=${errorAt} onInput=${(x) => set({ ...v, tts_voice: x })} />
      <${Input} label="Silence timeout (seconds)" type="number" path="voice.silence_timeout_seconds" value=${v.silence_timeout_seconds} errorAt=${errorAt} onInput=${(x) => set({ ...v, silence_timeout_seconds: x })} />
      <${Input} label="Longest call (seconds)" type="number" path="voice.max_duration_seconds" value=${v.max_duration_seconds} errorAt=${errorAt} onInput=${(x) => set({ ...v, max_duration_seconds: x })} />
      <label><input type="checkbox" checked=${v.record} onChange=${(e) => set({ ...v, record: e.currentTarget.checked })} /> Record calls</label>
      <${FieldErrorText} id="agent-voice-record-error" error=${errorAt('voice.record')} />`}
  <//>`;
}

/** What is worked out after a conversation: a summary, success criteria and fields to extract. */
function Analysis({ agent, common }) {
  const a = agent.analysis ?? {};
  const props = a.structured?.properties ?? {};
  const initial = {
    summary: a.summary !== false,
    criteria: (a.success_criteria ?? []).map((text) => ({ text })),
    fields: Object.entries(props).map(([key, p]) => ({
      key,
      type: p.type ?? 'string',
      description: p.description ?? '',
      options: (p.enum ?? []).join(', '),
    })),
  };
  const toBody = (v) => ({
    analysis: {
      summary: v.summary,
      success_criteria: v.criteria.map((c) => c.text),
      structured: v.fields.length
        ? {
            type: 'object',
            properties: Object.fromEntries(
              v.fields.map((f) => [
                f.key,
                {
                  type: f.type,
                  ...(f.description ? { description: f.description } : {}),
                  ...(words(f.options).length ? { enum: words(f.options) } : {}),
                },
              ]),
            ),
          }
        : null,
    },
  });
  const fieldColumns = [
    { key: 'key', label: 'Field' },
    { key: 'type', label: 'Type', type: 'select', options: PROPERTY_TYPES.map((t) => [t, t]) },
    { key: 'description', label: 'What it is' },
    { key: 'options', label: 'Allowed values (commas)' },
  ];
  return html`<${SettingsForm} label="Analysis" initial=${initial} toBody=${toBody} ...${common}>
    ${(v, set, errorAt) => html`
      <label><input type="checkbox" checked=${v.summary} onChange=${(e) => set({ ...v, summary: e.currentTarget.checked })} /> Write a summary</label>
      <${RowsTable} label="Success criteria" rows=${v.criteria} columns=${[{ key: 'text', label: 'Counts as a success when' }]}
        path="analysis.success_criteria" errorAt=${(p, exact) => errorAt(p.replace(/\.text$/, ''), exact)} onChange=${(criteria) => set({ ...v, criteria })}
        blank=${{ text: '' }} addLabel="Add a criterion" />
      <${RowsTable} label="Fields to extract" rows=${v.fields} columns=${fieldColumns} path="analysis.structured.properties"
        errorAt=${errorAt} onChange=${(fields) => set({ ...v, fields })} blank=${{ key: '', type: 'string', description: '', options: '' }} addLabel="Add a field" />
      <${FieldErrorText} id="agent-analysis-structured-error" error=${errorAt('analysis.structured')} />`}
  <//>`;
}
