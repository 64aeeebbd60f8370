import { MediaView } from './attachments.js';
import { CallsPanel } from './calls.js';
import { Composer } from './composer.js';
import { ContactPanel } from './contact.js';
import { ConversationCsat } from './csat.js';
import { call, clockTime, contactLabel, Dialog, fullTime, html, isTyping, Link, session } from './lib.js';
import { usePresence } from './presence.js';
import {
  formatHumanWindow,
  formatWindow,
  handoffText,
  humanWindowLeftMs,
  mergeMessage,
  prependMessages,
  windowLeftMs,
  withMessage,
} from './store.js';
import { StoryCard } from './story.js';
import { loadToolCalls, TOOL_EVENTS, ToolCallLine } from './tool-calls.js';
import { useEffect, useLayoutEffect, useRef, useState } from './vendor/hooks.mjs';

const PAGE = 50;
/**
 * The events about a conversation that show as lines in its thread, each with its line (the data,
 * the users' and teams' names by id, and who did it).
 */
const SYSTEM_LINES = {
  'conversation.assigned': (d, users, by) =>
    d.assignee
      ? `Assigned to ${d.assignee.type === 'user' ? (users.get(d.assignee.id) ?? 'a user') : `team ${users.get(d.assignee.id) ?? d.assignee.id}`} by ${by}`
      : `Unassigned by ${by}`,
  'conversation.escalated': (d, _users, by) =>
    `Handed off to people by ${by}${d.handoff_reason ? `: ${d.handoff_reason}` : ''}`,
  'conversation.handoff_resolved': (_d, _users, by) => `Handed back to the AI by ${by}`,
  'conversation.resolved': (_d, _users, by) => `Closed by ${by}`,
  'conversation.reopened': (_d, _users, by) => `Reopened by ${by}`,
  'conversation.snoozed': (d, _users, by) => `Snoozed until ${fullTime(d.snoozed_until)} by ${by}`,
};
/** @type {import('./vendor/sdk/browser.js').EventType[]} */
const SYSTEM_EVENTS = /** @type {any} */ (Object.keys(SYSTEM_LINES));

/** A line in the thread for an event about the conversation (handoffs, assignments, status). */
function systemText(event, users) {
  const actor = event.actor ?? {};
  const by =
    actor.type === 'user'
      ? (users.get(actor.id) ?? 'an agent')
      : ({ ai: 'the AI', customer: 'the customer', api_key: 'the API' }[actor.type] ?? 'the system');
  return Object.hasOwn(SYSTEM_LINES, event.event)
    ? SYSTEM_LINES[event.event](event.data, users, by)
    : event.event;
}

/** Users and teams by id, for names on system lines and the assign menu (read once per page). */
const people = { promise: null };

/**
 * " · 3 h 20 min left", and on Messenger and Instagram " · 24 h: … · 7 d: …" (a person's HUMAN_AGENT days).
 * @param {any} conv
 */
function windowText(conv) {
  const now = Date.now();
  const left = windowLeftMs(conv, now);
  if (left === null) return '';
  const human = humanWindowLeftMs(conv, now);
  return human === null
    ? ` · ${formatWindow(left)}`
    : ` · 24 h: ${formatWindow(left)} · ${formatHumanWindow(human)}`;
}
export function loadPeople() {
  people.promise ??= Promise.all([
    call('get', '/v1/users', { query: { per_page: 100 } }).catch(() => ({ data: [] })),
    call('get', '/v1/teams', { query: { per_page: 100 } }).catch(() => ({ data: [] })),
  ]).then(([u, t]) => ({ users: u.data, teams: t.data }));
  return people.promise;
}

export function Thread({ id, initial, live, onOpened, onChanged, back }) {
  const [conv, setConv] = useState(initial ?? null);
  const [loaded, setLoaded] = useState(false);
  const [messages, setMessages] = useState([]);
  const [system, setSystem] = useState([]);
  const [toolCalls, setToolCalls] = useState([]);
  const [sources, setSources] = useState({});
  const [hasOlder, setHasOlder] = useState(false);
  const [error, setError] = useState('');
  const [dir, setDir] = useState({ users: [], teams: [] });
  // Beside the thread on a wide screen; under 900 px a sheet over it, closed until asked for.
  const [showContact, setShowContact] = useState(() => !narrowScreen());
  // A website visitor typing (a live notice): shown until they stop, or 8 s after the last signal.
  const [customerTyping, setCustomerTyping] = useState(false);
  const typingTimer = useRef(0);
  const scroller = useRef(null);
  const stick = useRef(true);
  const anchor = useRef(null);
  const loadingOlder = useRef(false);
  usePresence(id);
  const me = session.current.user;

  /** @type {Map<string, string>} user and team names by id */
  const names = new Map([
    ...dir.users.map((u) => /** @type {[string, string]} */ ([u.id, u.name])),
    ...dir.teams.map((t) => /** @type {[string, string]} */ ([t.id, t.name])),
  ]);

  const aiSources = async (msgs) => {
    const ids = msgs.filter((m) => m.sender.type === 'ai').map((m) => m.id);
    if (!ids.length) return;
    try {
      const res = await call('get', '/v1/conversations/{id}/ai-replies', {
        params: { id },
        query: { message_ids: ids.join(',') },
      });
      setSources((s) => ({ ...s, ...Object.fromEntries(res.data.map((r) => [r.message_id, r])) }));
    } catch {
      // Sources are a help, not the thread: without them the answers still show.
    }
  };

  useEffect(() => {
    let gone = false;
    stick.current = true;
    const failed = (err) => {
      if (!gone)
        setError(
          err.status === 404 ? 'This conversation does not exist or is not in this workspace.' : err.message,
        );
    };
    // The messages are the one thing the screen waits for: the card's copy of the conversation
    // shows at once, and the fresh copy, system lines and sources fill in as they come.
    call('get', '/v1/conversations/{id}/messages', {
      params: { id },
      query: { order: 'desc', per_page: PAGE },
    }).then((page) => {
      if (gone) return;
      const msgs = page.data.slice().reverse();
      // Live events may have arrived while the page was on its way: keep them, and let the newer
      // status of a message win over the page's copy.
      setMessages((live) => live.reduce(mergeMessage, msgs));
      setHasOlder(page.data.length === PAGE);
      setLoaded(true);
      aiSources(msgs);
    }, failed);
    call('get', '/v1/conversations/{id}', { params: { id } }).then((c) => {
      if (gone) return;
      setConv(c);
      onOpened(c);
    }, failed);
    call('get', '/v1/events', {
      query: { object_id: id, type: SYSTEM_EVENTS, per_page: 100 },
    }).then(
      (events) =>
        !gone &&
        setSystem((s) => [...events.data, ...s.filter((e) => !events.data.some((x) => x.id === e.id))]),
      () => {},
    );
    loadToolCalls(id).then(
      (calls) =>
        !gone && setToolCalls((s) => [...calls, ...s.filter((c) => !calls.some((x) => x.id === c.id))]),
    );
    loadPeople().then((d) => !gone && setDir(d));
    return () => {
      gone = true;
    };
  }, [id]);

  // A website visitor typing in this conversation (a live notice); their message ends it.
  useEffect(() => {
    setCustomerTyping(false);
    const off = live.on((event) => {
      const d = event.data;
      if (d?.conversation_id !== id) return;
      if (event.event === 'message.received') setCustomerTyping(false);
      if (event.event !== 'conversation.typing') return;
      clearTimeout(typingTimer.current);
      setCustomerTyping(d.typing === true);
      if (d.typing) typingTimer.current = setTimeout(() => setCustomerTyping(false), 8000);
    });
    return () => {
      off();
      clearTimeout(typingTimer.current);
    };
  }, [id]);

  useEffect(
    () =>
      live.on((event) => {
        const d = event.data;
        if (event.event.startsWith('message.') && d.conversation_id === id) {
          setMessages((m) => mergeMessage(m, d));
          setConv((c) => {
            if (!c) return c;
            const next = withMessage(c, d);
            if (event.event === 'message.received') onOpened(next);
            return next;
          });
          if (d.sender?.type === 'ai' && event.event === 'message.sent') aiSources([d]);
        } else if (TOOL_EVENTS.includes(event.event) && d.conversation_id === id) {
          setToolCalls((s) => (s.some((c) => c.id === d.id) ? s : [...s, d]));
        } else if (
          (event.event.startsWith('conversation.') || event.event === 'csat.received') &&
          d.id === id
        ) {
          setConv(d);
          if (SYSTEM_EVENTS.includes(event.event))
            setSystem((s) => (s.some((e) => e.id === event.id) ? s : [...s, event]));
        }
      }),
    [id],
  );

  // Keep the newest message in view, unless the reader scrolled up; keep the place when older ones load.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current;
      anchor.current = null;
    } else if (stick.current) el.scrollTop = el.scrollHeight;
  }, [messages, system, toolCalls]);

  const loadOlder = async () => {
    if (loadingOlder.current || !hasOlder || !messages.length) return;
    loadingOlder.current = true;
    try {
      const page = await call('get', '/v1/conversations/{id}/messages', {
        params: { id },
        query: { order: 'desc', per_page: PAGE, before: messages[0].id },
      });
      const el = scroller.current;
      anchor.current = el ? el.scrollHeight - el.scrollTop : null;
      setMessages((m) => prependMessages(m, page.data));
      setHasOlder(page.data.length === PAGE);
      aiSources(page.data);
    } catch (err) {
      setError(err.message);
    } finally {
      loadingOlder.current = false;
    }
  };

  const onScroll = (e) => {
    const el = e.currentTarget;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    if (el.scrollTop < 200) loadOlder();
  };

  const changed = (c) => {
    setConv(c);
    onChanged(c);
  };

  if (error && !conv)
    return html`<section class="thread" aria-label="Conversation"><p class="error" role="alert">${error}</p><${Link} href=${back}>Back to the list<//></section>`;
  if (!conv)
    return html`<section class="thread" aria-label="Conversation" aria-busy="true"><p class="muted pad">Loading…</p></section>`;

  const oldest = messages[0]?.created_at ?? '';
  /** @type {Array<{ at: string, key: string, m?: any, e?: any, c?: any }>} */
  const items = [
    ...messages.map((m) => ({ at: m.created_at, key: m.id, m })),
    ...toolCalls
      .filter((c) => !hasOlder || c.created_at >= oldest)
      .map((c) => ({ at: c.created_at, key: c.id, c })),
    ...system
      .filter((e) => !hasOlder || e.timestamp >= oldest)
      .map((e) => ({ at: e.timestamp, key: e.id, e })),
  ].sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key));

  return html`<section class="thread" aria-label=${`Conversation with ${contactLabel(conv)}`}>
    <div class="thread-main">
      <${ActionBar} conv=${conv} me=${me} dir=${dir} onChanged=${changed} back=${back}
        toggleContact=${() => setShowContact((s) => !s)} showContact=${showContact} />
      ${
        conv.ai_paused && conv.status !== 'closed'
          ? html`<p class="banner handoff" role="status">${handoffText(conv, names, Date.now())} The AI does not answer until it is handed back.</p>`
          : null
      }
      ${
        conv.ai_paused && conv.status !== 'closed' && conv.analysis?.summary
          ? html`<details class="banner summary" open=${!narrowScreen()}><summary><strong>Summary</strong> for the person taking over</summary>${conv.analysis.summary}</details>`
          : null
      }
      <${ConversationCsat} csat=${conv.csat} />
      ${conv.channel === 'voice' ? html`<${CallsPanel} conv=${conv} live=${live} />` : null}
      <div class="messages" ref=${scroller} onScroll=${onScroll} role="log" aria-label="Messages" aria-live="polite" tabindex="0">
        ${!loaded ? html`<p class="muted center">Loading messages…</p>` : null}
        ${!loaded ? null : hasOlder ? html`<button type="button" class="more" onClick=${loadOlder}>Load older messages</button>` : html`<p class="muted center">Start of the conversation</p>`}
        ${items.map((it) => (it.m ? html`<${Bubble} key=${it.key} m=${it.m} names=${names} ai=${sources[it.m.id]} />` : it.c ? html`<${ToolCallLine} key=${it.key} call=${it.c} />` : html`<p key=${it.key} class="system-line">${systemText(it.e, names)} · ${clockTime(it.e.timestamp)}</p>`))}
      </div>
      ${customerTyping ? html`<p class="muted typing" role="status">${contactLabel(conv)} is typing…</p>` : null}
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <${Composer} conv=${conv} onSent=${(m) => setMessages((list) => mergeMessage(list, m))} onChanged=${changed} />
    </div>
    ${showContact ? html`<${ContactSheet} onClose=${() => setShowContact(false)}><${ContactPanel} conv=${conv} ready=${loaded} live=${live} /><//>` : null}
  </section>`;
}

const narrowScreen = () => window.matchMedia?.('(max-width: 900px)').matches ?? false;

/**
 * The contact panel's frame: nothing on a wide screen (the panel sits beside the thread); under
 * 900 px a sheet over the thread with a backdrop and a Close button, focus moved into it, Escape
 * closing it and focus given back to the Contact button.
 */
function ContactSheet({ onClose, children }) {
  const frame = useRef(null);
  useEffect(() => {
    if (!narrowScreen()) return;
    const opener = document.activeElement;
    frame.current?.querySelector('.sheet-close')?.focus();
    const onKey = (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return html`<div class="contact-frame" ref=${frame}>
    <div class="sheet-backdrop" aria-hidden="true" onClick=${onClose}></div>
    <div class="sheet-bar"><button type="button" class="ghost sheet-close" aria-label="Close contact" onClick=${onClose}>Close</button></div>
    ${children}
  </div>`;
}

const tickLabel = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Failed' };
const tickGlyph = { queued: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

const senderLabel = { customer: '', ai: 'AI', api_key: 'API' };

/** Who a message is from, as its bubble's header says it (nothing for the customer). */
function senderName(sender, names) {
  if (sender.type === 'user') return names.get(sender.id) ?? 'Agent';
  return Object.hasOwn(senderLabel, sender.type) ? senderLabel[sender.type] : 'System';
}

/** The knowledge an AI reply drew on, folded under its bubble. */
function sourcesList(sources) {
  if (!sources?.length) return null;
  return html`<details class="sources"><summary>Sources (${sources.length})</summary><ul>${sources.map(
    (s) =>
      html`<li title=${s.doc_id}>${s.title ?? s.doc_id}${typeof s.score === 'number' ? ` · ${s.score.toFixed(2)}` : ''}</li>`,
  )}</ul></details>`;
}

/** An outgoing message's delivery tick; its title gives the error when it failed. */
function deliveryTick(m) {
  const label = tickLabel[m.status] ?? m.status;
  return html`<span class=${`tick tick-${m.status}`} role="img" aria-label=${label} title=${m.error ? `${m.error.code}: ${m.error.message}` : label}>${tickGlyph[m.status] ?? ''}</span>`;
}

function Bubble({ m, names, ai }) {
  const note = m.type === 'note';
  const who = senderName(m.sender, names);
  const side = m.direction === 'inbound' ? 'in' : 'out';
  return html`<article class=${`bubble ${side} ${note ? 'note' : ''} sender-${m.sender.type}`} data-id=${m.id} data-status=${m.status}
    aria-label=${`${note ? 'Private note' : side === 'in' ? 'Customer' : who} at ${clockTime(m.created_at)}`}>
    ${who || note ? html`<header>${note ? 'Private note · ' : ''}${who}</header>` : null}
    ${m.template ? html`<div class="tpl">Template <code>${m.template.name}</code> (${m.template.language})</div>` : null}
    ${m.story ? html`<${StoryCard} m=${m} />` : null}
    ${m.text || (!m.media && !m.story) ? html`<div class="text">${m.text ?? `[${m.type}]`}</div>` : null}
    ${m.media && m.story?.type !== 'mention' ? html`<${MediaView} m=${m} />` : null}
    ${!m.media && m.attachments?.length ? m.attachments.map((a) => html`<${MediaView} m=${{ type: 'document', media: a }} />`) : null}
    ${sourcesList(ai?.sources)}
    <footer>
      <time datetime=${m.created_at} title=${fullTime(m.created_at)}>${clockTime(m.created_at)}</time>
      ${side === 'out' && !note ? deliveryTick(m) : null}
    </footer>
    ${m.status === 'failed' && m.error ? html`<p class="error small">${m.error.message} (${m.error.code})</p>` : null}
  </article>`;
}

/** @returns {Array<[string, Date]>} */
function snoozeTimes() {
  const now = new Date();
  const hour = new Date(now.getTime() + 3_600_000);
  const tomorrow = new Date(now);
  tomorrow.setDate(now.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  const week = new Date(now);
  week.setDate(now.getDate() + ((8 - now.getDay()) % 7 || 7));
  week.setHours(9, 0, 0, 0);
  return [
    ['1 hour', hour],
    ['Tomorrow 9:00', tomorrow],
    ['Next Monday 9:00', week],
  ];
}

function ActionBar({ conv, me, dir, onChanged, back, toggleContact, showContact }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [snooze, setSnooze] = useState(false);
  const [tags, setTags] = useState(null);
  // Under 900 px the assignee and the actions fold behind "More actions": the thread keeps the height.
  const [more, setMore] = useState(false);
  const params = { id: conv.id };
  /** @param {() => Promise<any>} send a call that answers the changed conversation */
  const act = async (send) => {
    setBusy(true);
    setError('');
    try {
      const c = await send();
      onChanged(c);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  const assign = (value) => {
    if (value === '')
      return act(() => call('post', '/v1/conversations/{id}/assign', { params, body: { user_id: null } }));
    const [type, id] = value.split(':');
    return act(() =>
      call('post', '/v1/conversations/{id}/assign', {
        params,
        body: type === 'team' ? { team_id: id } : { user_id: id },
      }),
    );
  };
  const takeOver = () =>
    act(() =>
      call('post', '/v1/conversations/{id}/handoff', {
        params,
        body: { reason: `Taken over by ${me.name}`, assign_to: { type: 'user', id: me.id } },
      }),
    );
  const handBack = () => act(() => call('post', '/v1/conversations/{id}/handoff/resolve', { params }));

  useEffect(() => {
    const onKey = (e) => {
      if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey || busy) return;
      if (e.key === 'e' && conv.status !== 'closed')
        act(() => call('post', '/v1/conversations/{id}/close', { params }));
      else if (e.key === 'a')
        act(() => call('post', '/v1/conversations/{id}/assign', { params, body: { user_id: me.id } }));
      else if (e.key === 's' && conv.status !== 'closed')
        act(() =>
          call('post', '/v1/conversations/{id}/snooze', {
            params,
            body: { until: snoozeTimes()[0][1].toISOString() },
          }),
        );
      else if (e.key === 'h') (conv.ai_paused ? handBack : takeOver)();
      else return;
      e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [conv, busy]);

  const assigneeValue = conv.assignee ? `${conv.assignee.type}:${conv.assignee.id}` : '';
  return html`<div class="actions" role="toolbar" aria-label="Conversation actions">
    <${Link} class="back" href=${back} aria-label="Back to the list">←<//>
    <div class="title">
      <strong>${contactLabel(conv)}</strong>
      <span class="muted small">${conv.channel} · ${conv.contact_address?.startsWith('web:') ? 'web call' : conv.contact_address}${windowText(conv)}</span>
    </div>
    <button type="button" class="ghost more-toggle" aria-expanded=${more} aria-controls="more-actions" onClick=${() => setMore((m) => !m)}>${more ? 'Fewer actions' : 'More actions'}</button>
    <div class="more-actions" id="more-actions" data-open=${more ? '' : undefined}>
    <label class="sr-only" for="assign">Assignee</label>
    <select id="assign" value=${assigneeValue} disabled=${busy} onChange=${(e) => assign(e.currentTarget.value)}>
      <option value="">Unassigned</option>
      <option value=${`user:${me.id}`}>Me (${me.name})</option>
      ${dir.users.filter((u) => u.id !== me.id).map((u) => html`<option value=${`user:${u.id}`}>${u.name}</option>`)}
      ${dir.teams.map((t) => html`<option value=${`team:${t.id}`}>Team: ${t.name}</option>`)}
      ${
        conv.assignee &&
        !dir.users.some((u) => u.id === conv.assignee.id) &&
        !dir.teams.some((t) => t.id === conv.assignee.id) &&
        conv.assignee.id !== me.id
          ? html`<option value=${assigneeValue}>${conv.assignee.id}</option>`
          : null
      }
    </select>
    ${
      conv.ai_paused
        ? html`<button type="button" disabled=${busy} onClick=${handBack} title="h">Hand back to AI</button>`
        : html`<button type="button" disabled=${busy} onClick=${takeOver} title="h">Take over</button>`
    }
    <button type="button" disabled=${busy} onClick=${() => setTags(conv.tags.join(', '))}>Tags</button>
    ${
      conv.status === 'closed'
        ? html`<button type="button" disabled=${busy} onClick=${() => act(() => call('post', '/v1/conversations/{id}/reopen', { params }))}>Reopen</button>`
        : html`<button type="button" disabled=${busy} onClick=${() => setSnooze(true)}>Snooze</button>
          <button type="button" disabled=${busy} onClick=${() => act(() => call('post', '/v1/conversations/{id}/close', { params }))} title="e">Close</button>`
    }
    ${conv.status === 'snoozed' ? html`<span class="badge" title=${fullTime(conv.snoozed_until)}>Snoozed</span>` : null}
    </div>
    <button type="button" class="ghost contact-toggle" aria-pressed=${showContact} onClick=${toggleContact}>Contact</button>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      snooze
        ? html`<${Dialog} title="Snooze until" onClose=${() => setSnooze(false)}><${SnoozeForm} onPick=${(
            d,
          ) => {
            setSnooze(false);
            act(() =>
              call('post', '/v1/conversations/{id}/snooze', { params, body: { until: d.toISOString() } }),
            );
          }} /><//>`
        : null
    }
    ${
      tags !== null
        ? html`<${Dialog} title="Tags" onClose=${() => setTags(null)}>
          <form method="dialog" onSubmit=${(e) => {
            e.preventDefault();
            const list = tags
              .split(',')
              .map((t) => t.trim().toLowerCase())
              .filter(Boolean);
            setTags(null);
            act(() =>
              call('put', '/v1/conversations/{id}/tags', { params, body: { tags: [...new Set(list)] } }),
            );
          }}>
            <label>Tags, separated by commas<input value=${tags} onInput=${(e) => setTags(e.currentTarget.value)} autofocus /></label>
            <button class="primary" type="submit">Save tags</button>
          </form><//>`
        : null
    }
  </div>`;
}

function SnoozeForm({ onPick }) {
  const [custom, setCustom] = useState('');
  return html`<div class="stack">
    ${snoozeTimes().map(([label, d]) => html`<button type="button" onClick=${() => onPick(d)}>${label}</button>`)}
    <form onSubmit=${(e) => {
      e.preventDefault();
      if (custom) onPick(new Date(custom));
    }}>
      <label>Another time<input type="datetime-local" value=${custom} onInput=${(e) => setCustom(e.currentTarget.value)} required /></label>
      <button type="submit">Snooze</button>
    </form>
  </div>`;
}

/** Drafts survive a refused send, a reload and switching conversations (this tab only). */
