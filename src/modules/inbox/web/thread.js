import { CallsPanel } from './calls.js';
import { ContactPanel } from './contact.js';
import { api, clockTime, contactLabel, Dialog, fullTime, html, isTyping, Link, session } from './lib.js';
import {
  formatWindow,
  handoffText,
  mergeMessage,
  prependMessages,
  windowLeftMs,
  withMessage,
} from './store.js';
import { useEffect, useLayoutEffect, useRef, useState } from './vendor/hooks.mjs';

const PAGE = 50;
const SYSTEM_EVENTS = [
  'conversation.assigned',
  'conversation.escalated',
  'conversation.handoff_resolved',
  'conversation.resolved',
  'conversation.reopened',
  'conversation.snoozed',
];

/** A line in the thread for an event about the conversation (handoffs, assignments, status). */
function systemText(event, users) {
  const d = event.data;
  const actor = event.actor ?? {};
  const by =
    actor.type === 'user'
      ? (users.get(actor.id) ?? 'an agent')
      : ({ ai: 'the AI', customer: 'the customer', api_key: 'the API' }[actor.type] ?? 'the system');
  switch (event.event) {
    case 'conversation.assigned':
      return d.assignee
        ? `Assigned to ${d.assignee.type === 'user' ? (users.get(d.assignee.id) ?? 'a user') : `team ${users.get(d.assignee.id) ?? d.assignee.id}`} by ${by}`
        : `Unassigned by ${by}`;
    case 'conversation.escalated':
      return `Handed off to people by ${by}${d.handoff_reason ? `: ${d.handoff_reason}` : ''}`;
    case 'conversation.handoff_resolved':
      return `Handed back to the AI by ${by}`;
    case 'conversation.resolved':
      return `Closed by ${by}`;
    case 'conversation.reopened':
      return `Reopened by ${by}`;
    case 'conversation.snoozed':
      return `Snoozed until ${fullTime(d.snoozed_until)} by ${by}`;
    default:
      return event.event;
  }
}

/** Users and teams by id, for names on system lines and the assign menu (read once per page). */
const people = { promise: null };
export function loadPeople() {
  people.promise ??= Promise.all([
    api('GET', '/v1/users?per_page=100').catch(() => ({ data: [] })),
    api('GET', '/v1/teams?per_page=100').catch(() => ({ data: [] })),
  ]).then(([u, t]) => ({ users: u.data, teams: t.data }));
  return people.promise;
}

export function Thread({ id, initial, live, onOpened, onChanged, back }) {
  const [conv, setConv] = useState(initial ?? null);
  const [loaded, setLoaded] = useState(false);
  const [messages, setMessages] = useState([]);
  const [system, setSystem] = useState([]);
  const [sources, setSources] = useState({});
  const [hasOlder, setHasOlder] = useState(false);
  const [error, setError] = useState('');
  const [dir, setDir] = useState({ users: [], teams: [] });
  const [showContact, setShowContact] = useState(true);
  const scroller = useRef(null);
  const stick = useRef(true);
  const anchor = useRef(null);
  const loadingOlder = useRef(false);
  const me = session.current.user;

  const names = new Map([...dir.users.map((u) => [u.id, u.name]), ...dir.teams.map((t) => [t.id, t.name])]);

  const aiSources = async (msgs) => {
    const ids = msgs.filter((m) => m.sender.type === 'ai').map((m) => m.id);
    if (!ids.length) return;
    try {
      const res = await api('GET', `/v1/conversations/${id}/ai-replies?message_ids=${ids.join(',')}`);
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
    api('GET', `/v1/conversations/${id}/messages?order=desc&per_page=${PAGE}`).then((page) => {
      if (gone) return;
      const msgs = page.data.slice().reverse();
      // Live events may have arrived while the page was on its way: keep them, and let the newer
      // status of a message win over the page's copy.
      setMessages((live) => live.reduce(mergeMessage, msgs));
      setHasOlder(page.data.length === PAGE);
      setLoaded(true);
      aiSources(msgs);
    }, failed);
    api('GET', `/v1/conversations/${id}`).then((c) => {
      if (gone) return;
      setConv(c);
      onOpened(c);
    }, failed);
    api('GET', `/v1/events?object_id=${id}&type=${SYSTEM_EVENTS.join(',')}&per_page=100`).then(
      (events) =>
        !gone &&
        setSystem((s) => [...events.data, ...s.filter((e) => !events.data.some((x) => x.id === e.id))]),
      () => {},
    );
    loadPeople().then((d) => !gone && setDir(d));
    return () => {
      gone = true;
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
        } else if (event.event.startsWith('conversation.') && d.id === id) {
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
  }, [messages, system]);

  const loadOlder = async () => {
    if (loadingOlder.current || !hasOlder || !messages.length) return;
    loadingOlder.current = true;
    try {
      const page = await api(
        'GET',
        `/v1/conversations/${id}/messages?order=desc&per_page=${PAGE}&before=${messages[0].id}`,
      );
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
  const items = [
    ...messages.map((m) => ({ at: m.created_at, key: m.id, m })),
    ...system
      .filter((e) => !hasOlder || e.timestamp >= oldest)
      .map((e) => ({ at: e.timestamp, key: e.id, e })),
  ].sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key));

  return html`<section class="thread" aria-label=${`Conversation with ${contactLabel(conv)}`}>
    <div class="thread-main">
      <${ActionBar} conv=${conv} me=${me} dir=${dir} onChanged=${changed} back=${back}
        toggleContact=${() => setShowContact((s) => !s)} showContact=${showContact} />
      ${
        conv.ai_paused
          ? html`<p class="banner handoff" role="status">${handoffText(conv, names, Date.now())} The AI does not answer until it is handed back.</p>`
          : null
      }
      ${conv.channel === 'voice' ? html`<${CallsPanel} conv=${conv} live=${live} />` : null}
      <div class="messages" ref=${scroller} onScroll=${onScroll} role="log" aria-label="Messages" aria-live="polite" tabindex="0">
        ${!loaded ? html`<p class="muted center">Loading messages…</p>` : null}
        ${!loaded ? null : hasOlder ? html`<button type="button" class="more" onClick=${loadOlder}>Load older messages</button>` : html`<p class="muted center">Start of the conversation</p>`}
        ${items.map((it) => (it.m ? html`<${Bubble} key=${it.key} m=${it.m} names=${names} ai=${sources[it.m.id]} />` : html`<p key=${it.key} class="system-line">${systemText(it.e, names)} · ${clockTime(it.e.timestamp)}</p>`))}
      </div>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <${Composer} conv=${conv} onSent=${(m) => setMessages((list) => mergeMessage(list, m))} onChanged=${changed} />
    </div>
    ${showContact ? html`<${ContactPanel} conv=${conv} ready=${loaded} live=${live} />` : null}
  </section>`;
}

const tickLabel = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Failed' };
const tickGlyph = { queued: '◷', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

function Bubble({ m, names, ai }) {
  const note = m.type === 'note';
  const who =
    m.sender.type === 'customer'
      ? ''
      : m.sender.type === 'ai'
        ? 'AI'
        : m.sender.type === 'user'
          ? (names.get(m.sender.id) ?? 'Agent')
          : m.sender.type === 'api_key'
            ? 'API'
            : 'System';
  const side = m.direction === 'inbound' ? 'in' : 'out';
  return html`<article class=${`bubble ${side} ${note ? 'note' : ''} sender-${m.sender.type}`} data-id=${m.id} data-status=${m.status}
    aria-label=${`${note ? 'Private note' : side === 'in' ? 'Customer' : who} at ${clockTime(m.created_at)}`}>
    ${who || note ? html`<header>${note ? 'Private note · ' : ''}${who}</header>` : null}
    ${m.template ? html`<div class="tpl">Template <code>${m.template.name}</code> (${m.template.language})</div>` : null}
    <div class="text">${m.text ?? `[${m.type}]`}</div>
    ${m.media?.url ? html`<div class="media"><a href=${m.media.url} target="_blank" rel="noopener noreferrer">${m.media.filename ?? m.type}</a></div>` : null}
    ${
      ai?.sources?.length
        ? html`<details class="sources"><summary>Sources (${ai.sources.length})</summary><ul>${ai.sources.map(
            (s) =>
              html`<li title=${s.doc_id}>${s.title ?? s.doc_id}${typeof s.score === 'number' ? ` · ${s.score.toFixed(2)}` : ''}</li>`,
          )}</ul></details>`
        : null
    }
    <footer>
      <time datetime=${m.created_at} title=${fullTime(m.created_at)}>${clockTime(m.created_at)}</time>
      ${
        side === 'out' && !note
          ? html`<span class=${`tick tick-${m.status}`} role="img" aria-label=${tickLabel[m.status] ?? m.status} title=${m.error ? `${m.error.code}: ${m.error.message}` : (tickLabel[m.status] ?? m.status)}>${tickGlyph[m.status] ?? ''}</span>`
          : null
      }
    </footer>
    ${m.status === 'failed' && m.error ? html`<p class="error small">${m.error.message} (${m.error.code})</p>` : null}
  </article>`;
}

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
  const act = async (method, path, body) => {
    setBusy(true);
    setError('');
    try {
      const c = await api(method, `/v1/conversations/${conv.id}${path}`, body);
      onChanged(c);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  const assign = (value) => {
    if (value === '') return act('POST', '/assign', { user_id: null });
    const [type, id] = value.split(':');
    return act('POST', '/assign', type === 'team' ? { team_id: id } : { user_id: id });
  };
  const takeOver = () =>
    act('POST', '/handoff', { reason: `Taken over by ${me.name}`, assign_to: { type: 'user', id: me.id } });
  const handBack = () => act('POST', '/handoff/resolve');

  useEffect(() => {
    const onKey = (e) => {
      if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey || busy) return;
      if (e.key === 'e' && conv.status !== 'closed') act('POST', '/close');
      else if (e.key === 'a') act('POST', '/assign', { user_id: me.id });
      else if (e.key === 's' && conv.status !== 'closed')
        act('POST', '/snooze', { until: snoozeTimes()[0][1].toISOString() });
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
      <span class="muted small">${conv.channel} · ${conv.contact_address?.startsWith('web:') ? 'web call' : conv.contact_address}${windowLeftMs(conv, Date.now()) !== null ? ` · ${formatWindow(windowLeftMs(conv, Date.now()))}` : ''}</span>
    </div>
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
        ? html`<button type="button" disabled=${busy} onClick=${() => act('POST', '/reopen')}>Reopen</button>`
        : html`<button type="button" disabled=${busy} onClick=${() => setSnooze(true)}>Snooze</button>
          <button type="button" disabled=${busy} onClick=${() => act('POST', '/close')} title="e">Close</button>`
    }
    ${conv.status === 'snoozed' ? html`<span class="badge" title=${fullTime(conv.snoozed_until)}>Snoozed</span>` : null}
    <button type="button" class="ghost" aria-pressed=${showContact} onClick=${toggleContact}>Contact</button>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${
      snooze
        ? html`<${Dialog} title="Snooze until" onClose=${() => setSnooze(false)}><${SnoozeForm} onPick=${(
            d,
          ) => {
            setSnooze(false);
            act('POST', '/snooze', { until: d.toISOString() });
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
            act('PUT', '/tags', { tags: [...new Set(list)] });
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
const drafts = {
  get: (id) => sessionStorage.getItem(`parley.draft.${id}`) ?? '',
  set: (id, text) =>
    text
      ? sessionStorage.setItem(`parley.draft.${id}`, text)
      : sessionStorage.removeItem(`parley.draft.${id}`),
};

function Composer({ conv, onSent, onChanged }) {
  const [text, setText] = useState(() => drafts.get(conv.id));
  // A voice conversation is spoken by the agent: people add notes to it, they do not type replies.
  const [mode, setMode] = useState(conv.channel === 'voice' ? 'note' : 'reply');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [suggest, setSuggest] = useState(null);
  const [forceTemplate, setForceTemplate] = useState(false);
  const box = useRef(null);
  const left = windowLeftMs(conv, Date.now());
  const windowClosed = left !== null && left <= 0;
  const templateMode = mode === 'reply' && (windowClosed || forceTemplate);

  useEffect(() => {
    const onKey = (e) => {
      if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === 'r' || e.key === 'n') {
        e.preventDefault();
        setMode(e.key === 'n' || conv.channel === 'voice' ? 'note' : 'reply');
        box.current?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);

  const update = (value) => {
    setText(value);
    drafts.set(conv.id, value);
  };

  const send = async () => {
    const body = text.trim();
    if (!body || busy) return;
    setBusy(true);
    setError('');
    try {
      const m = await api(
        'POST',
        `/v1/conversations/${conv.id}/reply`,
        mode === 'note' ? { type: 'note', text: body } : { text: body },
      );
      update('');
      onSent(m);
    } catch (err) {
      // The draft stays; the API's own words say why.
      setError(err.message);
      if (err.code === 'whatsapp_outside_24h_window') setForceTemplate(true);
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape') e.currentTarget.blur();
  };

  const askCopilot = async () => {
    setSuggest({ loading: true });
    try {
      setSuggest(await api('POST', `/v1/conversations/${conv.id}/copilot/suggest`));
    } catch (err) {
      setSuggest({ error: err.message });
    }
  };

  if (conv.status === 'closed' && mode === 'reply')
    return html`<div class="composer closed">
      <p class="muted">This conversation is closed. Reopen it to reply, or write a private note.</p>
      <button type="button" onClick=${async () => {
        try {
          onChanged(await api('POST', `/v1/conversations/${conv.id}/reopen`));
        } catch (err) {
          setError(err.message);
        }
      }}>Reopen</button>
      <button type="button" onClick=${() => setMode('note')}>Write a note</button>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    </div>`;

  return html`<div class=${`composer ${mode === 'note' ? 'note-mode' : ''}`}>
    <div role="tablist" aria-label="Message kind" class="tabs small">
      ${
        conv.channel === 'voice'
          ? null
          : html`<button role="tab" type="button" aria-selected=${mode === 'reply'} class=${mode === 'reply' ? 'active' : ''} onClick=${() => setMode('reply')}>Reply</button>`
      }
      <button role="tab" type="button" aria-selected=${mode === 'note'} class=${mode === 'note' ? 'active' : ''} onClick=${() => setMode('note')}>Private note</button>
      <span class="spacer"></span>
      ${mode === 'reply' && !templateMode ? html`<button type="button" class="ghost" onClick=${askCopilot}>Suggest</button>` : null}
      ${
        mode === 'reply' && conv.channel === 'whatsapp' && !windowClosed
          ? html`<button type="button" class="ghost" aria-pressed=${forceTemplate} onClick=${() => setForceTemplate((f) => !f)}>Template</button>`
          : null
      }
    </div>
    ${
      suggest
        ? html`<${Suggestions} s=${suggest} onInsert=${(t) => {
            update(text ? `${text}\n${t}` : t);
            setSuggest(null);
            box.current?.focus();
          }} onClose=${() => setSuggest(null)} />`
        : null
    }
    ${
      templateMode
        ? html`<${TemplatePicker} conv=${conv} windowClosed=${windowClosed} onSent=${(m) => {
            setForceTemplate(false);
            setError('');
            onSent(m);
          }} />`
        : html`<div class="compose-row">
          <label class="sr-only" for="reply-box">${mode === 'note' ? 'Private note (never sent to the customer)' : `Reply on ${conv.channel}`}</label>
          <textarea id="reply-box" ref=${box} rows="3" value=${text} onInput=${(e) => update(e.currentTarget.value)} onKeyDown=${onKeyDown}
            placeholder=${mode === 'note' ? 'A note for your team; the customer never sees it' : `Reply on ${conv.channel} (Enter sends, Shift+Enter adds a line)`}></textarea>
          <button class="primary" type="button" disabled=${busy || !text.trim()} onClick=${send}>${mode === 'note' ? 'Add note' : 'Send'}</button>
        </div>`
    }
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </div>`;
}

function Suggestions({ s, onInsert, onClose }) {
  return html`<div class="suggestions" aria-label="Copilot suggestions">
    <header><strong>Suggestions</strong><button type="button" class="ghost" aria-label="Close suggestions" onClick=${onClose}>×</button></header>
    ${s.loading ? html`<p class="muted">Thinking…</p>` : null}
    ${s.error ? html`<p class="error" role="alert">${s.error}</p>` : null}
    ${s.suggestions?.length === 0 ? html`<p class="muted">No suggestion for this conversation.</p>` : null}
    ${s.suggestions?.map(
      (x) => html`<div class="suggestion">
        <p>${x.text}</p>
        ${x.sources?.length ? html`<p class="muted small">Sources: ${x.sources.map((src) => src.title ?? src.doc_id).join(', ')}</p>` : null}
        <button type="button" onClick=${() => onInsert(x.text)}>Insert</button>
      </div>`,
    )}
    ${
      s.next_best_actions?.length
        ? html`<p class="muted small">Next: ${s.next_best_actions.map((a) => (typeof a === 'string' ? a : (a.label ?? a.type ?? JSON.stringify(a)))).join(' · ')}</p>`
        : null
    }
  </div>`;
}

/** Placeholders of a template body: `{{1}}` or `{{name}}`, in order, each once. */
export function placeholders(body) {
  const out = [];
  for (const m of body.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

function TemplatePicker({ conv, windowClosed, onSent }) {
  const [templates, setTemplates] = useState(null);
  const [chosen, setChosen] = useState('');
  const [vars, setVars] = useState({});
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api('GET', '/v1/templates?status=approved&per_page=100').then(
      (r) => setTemplates(r.data),
      (err) => setError(err.message),
    );
  }, []);
  const tpl = templates?.find((t) => t.id === chosen);
  const names = tpl ? placeholders(tpl.body) : [];
  // What else the template needs at send time: its header's placeholder or media file, and the
  // placeholders of its URL buttons (each field's value is kept under its own key).
  const headerText = tpl?.header?.type === 'text' ? tpl.header.text : '';
  const headerNames = headerText ? placeholders(headerText) : [];
  const mediaHeader = ['image', 'video', 'document'].includes(tpl?.header?.type) ? tpl.header.type : null;
  const buttonFields = (tpl?.buttons ?? [])
    .map((b, index) => ({ index, text: b.text, names: b.type === 'url' && b.url ? placeholders(b.url) : [] }))
    .filter((b) => b.names.length);
  const valuesOf = (list, key) =>
    list.every((n) => /^\d+$/.test(n))
      ? list.map((n) => vars[key(n)] ?? '')
      : Object.fromEntries(list.map((n) => [n, vars[key(n)] ?? '']));
  const preview = tpl ? tpl.body.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, n) => vars[n] || `{{${n}}}`) : '';
  const send = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const header = mediaHeader
        ? { media: { url: vars['header:media'] ?? '' } }
        : headerNames.length
          ? { variables: valuesOf(headerNames, (n) => `header:${n}`) }
          : null;
      const buttons = buttonFields.map((b) => ({
        index: b.index,
        variables: valuesOf(b.names, (n) => `button${b.index}:${n}`),
      }));
      const m = await api('POST', `/v1/conversations/${conv.id}/reply`, {
        template: {
          name: tpl.name,
          language: tpl.language,
          ...(names.length ? { variables: valuesOf(names, (n) => n) } : {}),
          ...(header ? { header } : {}),
          ...(buttons.length ? { buttons } : {}),
        },
      });
      setVars({});
      onSent(m);
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<form class="template-picker" onSubmit=${send} aria-label="Send a template">
    ${
      windowClosed
        ? html`<p class="notice">The customer has not written in 24 hours: WhatsApp accepts only an approved template.</p>`
        : null
    }
    ${templates === null && !error ? html`<p class="muted">Loading templates…</p>` : null}
    ${templates?.length === 0 ? html`<p class="muted">No approved template yet. An admin can add one under Manage → Templates.</p>` : null}
    ${
      templates?.length
        ? html`<label>Template<select aria-label="Template" value=${chosen} onChange=${(e) => {
            setChosen(e.currentTarget.value);
            setVars({});
          }} required>
          <option value="">Choose an approved template…</option>
          ${templates.map((t) => html`<option value=${t.id}>${t.name} (${t.language})</option>`)}
        </select></label>`
        : null
    }
    ${
      mediaHeader
        ? html`<label>${`Header ${mediaHeader} (URL)`}<input type="url" placeholder="https://…" value=${vars['header:media'] ?? ''} required onInput=${(e) => setVars({ ...vars, 'header:media': e.currentTarget.value })} /></label>`
        : null
    }
    ${headerNames.map(
      (n) =>
        html`<label>${`Header {{${n}}}`}<input value=${vars[`header:${n}`] ?? ''} required onInput=${(e) => setVars({ ...vars, [`header:${n}`]: e.currentTarget.value })} /></label>`,
    )}
    ${names.map(
      (n) =>
        html`<label>${`{{${n}}}`}<input value=${vars[n] ?? ''} required onInput=${(e) => setVars({ ...vars, [n]: e.currentTarget.value })} /></label>`,
    )}
    ${buttonFields.flatMap((b) =>
      b.names.map(
        (n) =>
          html`<label>${`Button “${b.text}” {{${n}}}`}<input value=${vars[`button${b.index}:${n}`] ?? ''} required onInput=${(e) => setVars({ ...vars, [`button${b.index}:${n}`]: e.currentTarget.value })} /></label>`,
      ),
    )}
    ${tpl ? html`<p class="preview-text">${preview}</p>` : null}
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <button class="primary" type="submit" disabled=${!tpl || busy}>Send template</button>
  </form>`;
}
