import { BarChart, TimeChart } from './charts.js';
import { call, contactLabel, fullTime, html, Link, navigate } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * The Reports page (`/app/reports`), loaded on first use with its chart library. Everything that
 * makes a view — tab, range, filters, the figure opened — is in the URL, so a view can be shared
 * and reloaded. A click on a point or bar lists the conversations (calls, recipients) behind it,
 * read from the drill-down routes, whose totals equal the figure (docs/reports.md).
 */

const FILTERS = ['from', 'to', 'interval', 'channel', 'agent_id', 'team_id', 'user_id'];
const DRILL = ['drill', 'figure', 'at', 'reason', 'bucket', 'score', 'status', 'ended_reason', 'stage'];
const VIEWS = [
  ['overview', 'Overview'],
  ['people', 'People'],
  ['campaigns', 'Campaigns'],
  ['ai', 'AI usage'],
];

let stylesAdded = false;
function addStyles() {
  if (stylesAdded) return;
  stylesAdded = true;
  // Beside the page's own stylesheet (this module may be a bundled chunk in another folder).
  const sheet = /** @type {HTMLLinkElement | null} */ (
    document.querySelector('link[rel=stylesheet][href$="/app.css"]')
  );
  const base = sheet ? sheet.href.replace(/app\.css$/, '') : new URL('.', import.meta.url).href;
  for (const href of ['vendor/uplot.css', 'reports.css']) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = base + href;
    document.head.append(link);
  }
}

/** A day of an instant as `YYYY-MM-DD` in a timezone (what a date input holds). */
const dayIn = (iso, timeZone) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(new Date(iso));

/**
 * The defaults: days by day, over the server's default range (the 7 days up to now). The dates are
 * left to the server because only it knows the workspace's timezone: a date the browser picked from
 * its own clock would cut off the newest hours wherever the workspace's day is ahead of the browser's.
 */
function defaults() {
  return { interval: 'day' };
}

/** The dates a loaded report covers, in its timezone (`to` is excluded: its last day is the one before). */
function shownDates(report) {
  if (!report?.from || !report?.to || !report?.timezone) return {};
  return {
    from: dayIn(report.from, report.timezone),
    to: dayIn(new Date(Date.parse(report.to) - 1).toISOString(), report.timezone),
  };
}

/** The report's query string: the filters of the URL (or the defaults: the last 7 days). */
function filterQuery(query) {
  const d = defaults();
  const q = new URLSearchParams();
  for (const k of FILTERS) {
    const v = query.get(k) || d[k];
    if (v) q.set(k, v);
  }
  return q;
}

function setParams(query, patch, { dropDrill = false } = {}) {
  const next = new URLSearchParams(query);
  if (dropDrill) for (const k of DRILL) next.delete(k);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null || v === '') next.delete(k);
    else next.set(k, String(v));
  }
  const s = next.toString();
  navigate(`/app/reports${s ? `?${s}` : ''}`);
}

/**
 * A report from the API: `path` is a GET route's template (checked against the OpenAPI document),
 * `options` its `params` and `query`; an empty `path` loads nothing. The state's `path` is the URL
 * asked for (the page shows it as data-loaded / data-path), so it changes with the filters.
 * @template {import('./vendor/sdk/browser.js').PathsWith<'get'>} P
 * @param {P | ''} template
 * @param {{ params?: Record<string, string>, query?: URLSearchParams | Record<string, string> }} [options]
 */
function useData(template, options = {}) {
  const [state, setState] = useState({ data: null, error: '', path: '' });
  const query = Object.fromEntries(new URLSearchParams(options.query ?? {}));
  const qs = new URLSearchParams(query).toString();
  const path = template
    ? `${template.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(options.params?.[k] ?? ''))}${qs ? `?${qs}` : ''}`
    : '';
  useEffect(() => {
    if (!path) return undefined;
    let stale = false;
    setState((s) => ({ ...s, error: '', path }));
    /** @type {Promise<any>} */
    const loading = call(
      'get',
      /** @type {any} */ (template),
      /** @type {any} */ ({ params: options.params, query }),
    );
    loading.then(
      (data) => !stale && setState({ data, error: '', path }),
      (err) => !stale && setState({ data: null, error: err.message, path }),
    );
    return () => {
      stale = true;
    };
  }, [path]);
  return state;
}

export function Reports({ route }) {
  addStyles();
  const query = route.query;
  const view = query.get('view') || 'overview';
  // The range the last loaded report covers, so the date inputs show the server's default dates.
  const [shown, setShown] = useState({});
  useEffect(() => {
    document.title = 'Reports · Parley';
  }, []);
  return html`<section class="reports" aria-labelledby="reports-title">
    <header class="reports-head">
      <h1 id="reports-title">Reports</h1>
      <nav class="tabs" aria-label="Report views">
        ${VIEWS.map(
          ([v, label]) =>
            html`<button type="button" class=${v === view ? 'active' : ''} aria-pressed=${v === view}
              onClick=${() => setParams(query, { view: v === 'overview' ? '' : v }, { dropDrill: true })}>${label}</button>`,
        )}
      </nav>
    </header>
    <${Filters} query=${query} view=${view} shown=${shown} />
    ${view === 'people' ? html`<${People} query=${query} onShown=${setShown} />` : view === 'campaigns' ? html`<${Campaigns} query=${query} />` : view === 'ai' ? html`<${AiUsage} query=${query} onShown=${setShown} />` : html`<${Overview} query=${query} onShown=${setShown} />`}
  </section>`;
}

function Filters({ query, view, shown }) {
  const agents = useData('/v1/agents', { query: { per_page: '100' } });
  const teams = useData('/v1/teams', { query: { per_page: '100' } });
  const users = useData('/v1/users', { query: { per_page: '100' } });
  const d = { ...defaults(), ...shown };
  const value = (k) => query.get(k) || d[k] || '';
  const change = (k) => (e) => setParams(query, { [k]: e.currentTarget.value }, { dropDrill: true });
  const select = (k, label, options) => html`<label>${label}
    <select name=${k} value=${value(k)} onChange=${change(k)}>
      <option value="">All</option>
      ${options.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
    </select></label>`;
  if (view === 'campaigns') return null;
  return html`<form class="report-filters" aria-label="Report filters" onSubmit=${(e) => e.preventDefault()}>
    <label>From<input type="date" name="from" value=${value('from')} onChange=${change('from')} /></label>
    <label>To<input type="date" name="to" value=${value('to')} onChange=${change('to')} /></label>
    <label>By<select name="interval" value=${value('interval')} onChange=${change('interval')}>
      <option value="hour">Hour</option><option value="day">Day</option><option value="week">Week</option>
    </select></label>
    ${select('channel', 'Channel', [
      ['whatsapp', 'WhatsApp'],
      ['sms', 'SMS'],
      ['email', 'Email'],
      ['voice', 'Voice'],
    ])}
    ${select(
      'agent_id',
      'Agent',
      (agents.data?.data ?? []).map((a) => [a.id, a.name]),
    )}
    ${select(
      'team_id',
      'Team',
      (teams.data?.data ?? []).map((t) => [t.id, t.name]),
    )}
    ${select(
      'user_id',
      'Person',
      (users.data?.data ?? []).map((u) => [u.id, u.name]),
    )}
    <button type="button" class="ghost" onClick=${() => {
      const keep = query.get('view');
      navigate(`/app/reports${keep ? `?view=${keep}` : ''}`);
    }}>Reset</button>
  </form>`;
}

const pct = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`);
const secs = (v) => {
  if (v === null || v === undefined) return '—';
  if (v < 90) return `${Math.round(v * 10) / 10} s`;
  if (v < 5400) return `${Math.round(v / 6) / 10} min`;
  return `${Math.round(v / 360) / 10} h`;
};
const num = (v) => (v === null || v === undefined ? '—' : String(v));

function Tiles({ totals }) {
  const tiles = [
    ['Conversations', num(totals.conversations)],
    ['AI resolution', pct(totals.ai_resolution_rate), `${totals.ai_resolved} resolved by the AI`],
    ['Handoffs', num(totals.handoffs), pct(totals.handoff_rate)],
    [
      'First response (median)',
      secs(totals.first_response_p50_s),
      `p90 ${secs(totals.first_response_p90_s)}`,
    ],
    ['Human first response', secs(totals.human_first_response_p50_s)],
    ['Resolution (median)', secs(totals.resolution_p50_s)],
    ['CSAT', num(totals.csat_avg), `${totals.csat_responses} answers`],
    ['SLA met', pct(totals.sla_met_rate)],
    ['Messages in / out', `${totals.messages_in} / ${totals.messages_out}`],
    ['Leads', num(totals.leads)],
    ['Bookings', num(totals.bookings)],
  ];
  return html`<ul class="tiles" aria-label="Figures">
    ${tiles.map(
      ([label, v, sub]) =>
        html`<li class="tile"><span class="tile-label">${label}</span><strong>${v}</strong>${sub ? html`<span class="muted small">${sub}</span>` : null}</li>`,
    )}
  </ul>`;
}

/** A first-response bucket by its upper bound: 10s, 1m, 4h, >24h. */
const bucketLabel = (b) => {
  if (b.up_to_s === null) return '>24h';
  if (b.up_to_s < 60) return `${b.up_to_s}s`;
  if (b.up_to_s < 3600) return `${b.up_to_s / 60}m`;
  return `${b.up_to_s / 3600}h`;
};

/** Tells the page which dates a loaded report covers (for the date inputs). */
function useShown(report, onShown) {
  const dates = shownDates(report);
  useEffect(() => {
    if (dates.from) onShown((s) => (s.from === dates.from && s.to === dates.to ? s : dates));
  }, [dates.from, dates.to]);
}

/** The range as the report's own dates (`to` is excluded: its last day is the one before). */
function rangeText(o) {
  const day = (iso) =>
    new Date(iso).toLocaleDateString(undefined, { timeZone: o.timezone, dateStyle: 'medium' });
  return `${day(o.from)} – ${day(new Date(Date.parse(o.to) - 1).toISOString())} (${o.timezone})`;
}

function Overview({ query, onShown }) {
  const q = filterQuery(query);
  const overview = useData('/v1/reports/overview', { query: q });
  const calls = useData('/v1/reports/calls', { query: q });
  const o = overview.data;
  useShown(o, onShown);
  const drill = (patch) => setParams(query, patch, { dropDrill: true });
  if (overview.error) return html`<p class="error pad" role="alert">${overview.error}</p>`;
  if (!o) return html`<p class="muted pad">Loading the report…</p>`;
  const hist = o.first_response_histogram;
  const reasons = o.handoffs_by_reason;
  const c = calls.data;
  const outcomes = c ? Object.entries(c.by_status).sort((a, b) => b[1] - a[1]) : [];
  return html`<div class="report-body" data-loaded=${overview.path}>
    <p class="muted small report-range">${rangeText(o)}</p>
    <${Tiles} totals=${o.totals} />
    <div class="charts">
      <${TimeChart} id="chart-conversations" title="Conversations and AI resolution" at=${o.series.map((p) => p.at)}
        timezone=${o.timezone} interval=${o.interval}
        barSeries=${{ label: 'Conversations', values: o.series.map((p) => p.conversations) }}
        lineSeries=${[
          { label: 'AI resolved', values: o.series.map((p) => p.ai_resolved) },
          { label: 'AI resolution rate', values: o.series.map((p) => p.ai_resolution_rate), rate: true },
        ]}
        onPick=${(i) => drill({ drill: 'conversations', at: o.series[i].at })} />
      <${BarChart} id="chart-first-response" title="First response" labels=${hist.map(bucketLabel)}
        values=${hist.map((b) => b.count)}
        onPick=${(i) => drill({ drill: 'conversations', figure: 'first_response', bucket: hist[i].up_to_s ?? 'longer' })} />
      <${BarChart} id="chart-handoffs" title="Handoffs by reason" color="#e67700"
        labels=${reasons.length ? reasons.map((r) => r.reason) : ['none']} values=${reasons.length ? reasons.map((r) => r.count) : [0]}
        onPick=${(i) => reasons[i] && drill({ drill: 'conversations', figure: 'handoffs', reason: reasons[i].reason })} />
      <${BarChart} id="chart-csat" title="CSAT" color="#2b8a3e" labels=${o.csat_distribution.map((s) => `${s.score}★`)}
        values=${o.csat_distribution.map((s) => s.count)}
        onPick=${(i) => drill({ drill: 'conversations', figure: 'csat', score: o.csat_distribution[i].score })} />
      ${
        c
          ? html`<${BarChart} id="chart-calls" title=${`Call outcomes (${c.total} calls, ${c.minutes} min)`} color="#7048e8"
          labels=${outcomes.length ? outcomes.map(([s]) => s) : ['none']} values=${outcomes.length ? outcomes.map(([, n]) => n) : [0]}
          onPick=${(i) => outcomes[i] && drill({ drill: 'calls', status: outcomes[i][0] })} />`
          : null
      }
    </div>
    <${Drill} query=${query} q=${q} />
  </div>`;
}

/** What a drill-down list shows, from the URL. */
function drillTitle(query) {
  const f = query.get('figure');
  const parts = [];
  if (query.get('drill') === 'calls')
    parts.push(`Calls${query.get('status') ? ` ${query.get('status')}` : ''}`);
  else if (f === 'first_response')
    parts.push(
      `First response ${query.get('bucket') === 'longer' ? 'over 24 h' : `up to ${query.get('bucket')} s`}`,
    );
  else if (f === 'handoffs') parts.push(`Handoffs: ${query.get('reason') ?? 'all'}`);
  else if (f === 'csat') parts.push(`CSAT ${query.get('score')}`);
  else if (f === 'ai_resolved') parts.push('AI resolutions');
  else parts.push('Conversations');
  if (query.get('at')) parts.push(`from ${query.get('at').slice(0, 16).replace('T', ' ')}`);
  return parts.join(' ');
}

function Drill({ query, q }) {
  const kind = query.get('drill');
  const params = new URLSearchParams(q);
  for (const k of ['figure', 'at', 'reason', 'bucket', 'score', 'status', 'ended_reason'])
    if (query.get(k)) params.set(k, query.get(k));
  const list = useData(
    !kind ? '' : kind === 'calls' ? '/v1/reports/calls/list' : '/v1/reports/overview/conversations',
    { query: params },
  );
  if (!kind)
    return html`<p class="muted small pad">Click a bar or a point to see the conversations behind it.</p>`;
  return html`<section class="drill" aria-labelledby="drill-title" data-path=${list.data ? list.path : ''}>
    <header><h2 id="drill-title">${drillTitle(query)}</h2>
      ${list.data ? html`<span class="muted">${list.data.total} in all${list.data.total > list.data.data.length ? `, the first ${list.data.data.length} shown` : ''}</span>` : null}
      <button type="button" class="ghost" aria-label="Close the list" onClick=${() => setParams(query, {}, { dropDrill: true })}>×</button></header>
    ${list.error ? html`<p class="error" role="alert">${list.error}</p>` : !list.data ? html`<p class="muted">Loading…</p>` : kind === 'calls' ? html`<${CallRows} rows=${list.data.data} />` : html`<${ConversationRows} rows=${list.data.data} />`}
  </section>`;
}

function ConversationRows({ rows }) {
  if (!rows.length) return html`<p class="muted">None.</p>`;
  return html`<table class="drill-list"><thead><tr><th>Customer</th><th>Channel</th><th>Status</th><th>Created</th><th>First response</th><th>AI resolved</th><th>CSAT</th></tr></thead>
    <tbody>${rows.map(
      (c) => html`<tr data-id=${c.id}>
        <td><${Link} href=${`/app/c/${c.id}`}>${contactLabel(c)}<//></td><td>${c.channel}</td><td>${c.status}</td>
        <td>${fullTime(c.created_at)}</td><td>${secs(c.first_response_s)}</td><td>${c.ai_resolved ? 'yes' : 'no'}</td><td>${num(c.csat_score)}</td>
      </tr>`,
    )}</tbody></table>`;
}

function CallRows({ rows }) {
  if (!rows.length) return html`<p class="muted">None.</p>`;
  return html`<table class="drill-list"><thead><tr><th>Number</th><th>Direction</th><th>Status</th><th>Ended</th><th>Duration</th><th>Queued</th></tr></thead>
    <tbody>${rows.map(
      (c) => html`<tr data-id=${c.id}>
        <td>${c.conversation_id ? html`<${Link} href=${`/app/c/${c.conversation_id}`}>${c.direction === 'inbound' ? c.from_address : c.to_address}<//>` : c.to_address}</td>
        <td>${c.direction}</td><td>${c.status}</td><td>${c.ended_reason ?? '—'}</td><td>${secs(c.duration_seconds)}</td><td>${fullTime(c.queued_at)}</td>
      </tr>`,
    )}</tbody></table>`;
}

/** Per person: the people report as a table and a chart; a person opens the overview filtered to them. */
function People({ query, onShown }) {
  const q = filterQuery(query);
  const people = useData('/v1/reports/users', { query: q });
  useShown(people.data, onShown);
  if (people.error) return html`<p class="error pad" role="alert">${people.error}</p>`;
  if (!people.data) return html`<p class="muted pad">Loading the report…</p>`;
  const rows = people.data.data;
  const open = (i) => setParams(query, { view: '', user_id: rows[i].user_id }, { dropDrill: true });
  return html`<div class="report-body" data-loaded=${people.path}>
    <div class="charts">
      <${BarChart} id="chart-people" title="Conversations handled" labels=${rows.map((r) => r.name)}
        values=${rows.map((r) => r.handled)} onPick=${open} />
    </div>
    <table class="drill-list people"><thead><tr><th>Person</th><th>Handled</th><th>Replies</th><th>First response p50</th><th>p90</th><th>CSAT</th></tr></thead>
      <tbody>${rows.map(
        (r, i) => html`<tr data-id=${r.user_id}>
          <td><button type="button" class="link" onClick=${() => open(i)}>${r.name}</button></td>
          <td>${r.handled}</td><td>${r.replies}</td><td>${secs(r.first_response_p50_s)}</td><td>${secs(r.first_response_p90_s)}</td>
          <td>${num(r.csat_avg)} <span class="muted small">(${r.csat_responses})</span></td></tr>`,
      )}</tbody></table>
  </div>`;
}

const USAGE_GROUPS = [
  ['model', 'Model'],
  ['agent', 'AI agent'],
  ['day', 'Day'],
];

/** The AI's replies and the tokens their models read and wrote (GET /v1/reports/ai-usage). */
function AiUsage({ query, onShown }) {
  const by = USAGE_GROUPS.some(([g]) => g === query.get('by')) ? query.get('by') : 'model';
  const q = filterQuery(query);
  q.set('group_by', by);
  const usage = useData('/v1/reports/ai-usage', { query: q });
  const agents = useData(by === 'agent' ? '/v1/agents' : '', { query: { per_page: '100' } });
  const names = new Map((agents.data?.data ?? []).map((a) => [a.id, a.name]));
  useShown(usage.data, onShown);
  if (usage.error) return html`<p class="error pad" role="alert">${usage.error}</p>`;
  if (!usage.data) return html`<p class="muted pad">Loading the report…</p>`;
  const { rows, totals } = usage.data;
  const label = (key) =>
    key === null
      ? by === 'model'
        ? 'Built-in engine'
        : '—'
      : key === 'builtin'
        ? 'Built-in engine (fallback)'
        : (names.get(key) ?? key);
  return html`<div class="report-body" data-loaded=${usage.path}>
    <p class="row">
      <label>Rows per <select aria-label="Rows per" value=${by} onChange=${(e) => setParams(query, { by: e.currentTarget.value === 'model' ? '' : e.currentTarget.value })}>
        ${USAGE_GROUPS.map(([g, name]) => html`<option value=${g}>${name}</option>`)}
      </select></label>
      <span class="muted small">Tokens as each model's server counted them, tool rounds included. Multiply by your provider's prices for the money.</span>
    </p>
    <table class="drill-list ai-usage"><thead><tr><th>${USAGE_GROUPS.find(([g]) => g === by)?.[1]}</th><th>AI replies</th><th>By an LLM</th><th>Tokens in</th><th>Tokens out</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr><td>${label(r.key)}</td><td>${r.replies}</td><td>${r.llm_replies}</td>
          <td>${r.input_tokens.toLocaleString()}</td><td>${r.output_tokens.toLocaleString()}</td></tr>`,
      )}</tbody>
      <tfoot><tr><th>Total</th><td>${totals.replies}</td><td>${totals.llm_replies}</td>
        <td>${totals.input_tokens.toLocaleString()}</td><td>${totals.output_tokens.toLocaleString()}</td></tr></tfoot>
    </table>
    ${rows.length ? null : html`<p class="muted pad" role="status">No AI replies in this range.</p>`}
  </div>`;
}

const STAGES = ['total', 'attempted', 'answered', 'completed', 'success'];

/** Per campaign: its funnel; a stage lists its recipients. */
function Campaigns({ query }) {
  const campaigns = useData('/v1/campaigns', { query: { per_page: '100' } });
  const id = query.get('campaign_id') || campaigns.data?.data?.[0]?.id || '';
  const report = useData(id ? '/v1/reports/campaigns/{id}' : '', { params: { id } });
  const stage = query.get('stage');
  const recipients = useData(id && stage ? '/v1/reports/campaigns/{id}/recipients' : '', {
    params: { id },
    query: { stage },
  });
  if (campaigns.error) return html`<p class="error pad" role="alert">${campaigns.error}</p>`;
  if (!campaigns.data) return html`<p class="muted pad">Loading…</p>`;
  if (!campaigns.data.data.length) return html`<p class="muted pad">No campaigns yet.</p>`;
  const r = report.data;
  return html`<div class="report-body" data-loaded=${r ? report.path : ''}>
    <form class="report-filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Campaign<select name="campaign_id" value=${id}
        onChange=${(e) => setParams(query, { campaign_id: e.currentTarget.value, stage: '' })}>
        ${campaigns.data.data.map((c) => html`<option value=${c.id}>${c.name}</option>`)}
      </select></label>
    </form>
    ${report.error ? html`<p class="error" role="alert">${report.error}</p>` : null}
    ${
      r
        ? html`<div class="charts">
      <${BarChart} id="chart-funnel" title=${`${r.campaign.name}: funnel`} labels=${STAGES}
        values=${STAGES.map((s) => r.funnel[s])} onPick=${(i) => setParams(query, { stage: STAGES[i] })} />
      <${BarChart} id="chart-outcomes" title="Outcomes" color="#0c8599"
        labels=${Object.keys(r.outcomes).length ? Object.keys(r.outcomes) : ['none']}
        values=${Object.keys(r.outcomes).length ? Object.values(r.outcomes) : [0]} />
    </div>`
        : html`<p class="muted">Loading the funnel…</p>`
    }
    ${
      stage
        ? html`<section class="drill" aria-labelledby="drill-title" data-path=${recipients.data ? recipients.path : ''}>
      <header><h2 id="drill-title">Recipients: ${stage}</h2>
        ${recipients.data ? html`<span class="muted">${recipients.data.total} in all</span>` : null}
        <button type="button" class="ghost" aria-label="Close the list" onClick=${() => setParams(query, { stage: '' })}>×</button></header>
      ${
        recipients.data
          ? html`<table class="drill-list"><thead><tr><th>Phone</th><th>State</th><th>Result</th><th>Attempts</th><th>Outcome</th></tr></thead>
        <tbody>${recipients.data.data.map(
          (x) =>
            html`<tr data-id=${x.id}><td>${x.phone ?? x.contact_id}</td><td>${x.state}</td><td>${x.result ?? '—'}</td><td>${x.attempts}</td><td>${x.outcome ?? '—'}</td></tr>`,
        )}</tbody></table>`
          : html`<p class="muted">Loading…</p>`
      }
    </section>`
        : null
    }
  </div>`;
}
