import {
  api,
  call,
  contactLabel,
  html,
  isAdmin,
  isTyping,
  Link,
  navigate,
  relativeTime,
  session,
} from './lib.js';
import { SearchResults } from './search-results.js';
import {
  DATE_FILTERS,
  FILTERS,
  formatDuration,
  formatHumanWindow,
  formatWindow,
  humanWindowLeftMs,
  isUnread,
  listPath,
  matchesView,
  searchCard,
  senderLabel,
  snippetParts,
  upsertConversation,
  VIEWS,
  windowLeftMs,
  withMessage,
} from './store.js';
import { SlaBadge } from './teamops.js';
import { loadPeople, Thread } from './thread.js';
import { useCallback, useEffect, useMemo, useRef, useState } from './vendor/hooks.mjs';
import { channelKinds, channelLabels, priorities } from './vendor/vocabulary.mjs';

const VIEW_LABELS = { mine: 'Mine', unassigned: 'Unassigned', handoffs: 'Handoffs', all: 'All' };
const PAGE = 50;

/** When this browser last opened each conversation (per user), for the unread marks. */
function seenStore(userId) {
  const key = `parley.seen.${userId}`;
  let map = {};
  try {
    map = JSON.parse(localStorage.getItem(key) ?? '{}');
  } catch {
    map = {};
  }
  return {
    get: (id) => map[id],
    mark(id, at) {
      if (!at || (map[id] && map[id] >= at)) return false;
      map[id] = at;
      localStorage.setItem(key, JSON.stringify(map));
      return true;
    },
  };
}

/** A clock for the relative times and WhatsApp countdowns: one tick a minute for the whole list. */
function useMinuteClock() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function Inbox({ route, live }) {
  const me = session.current.user.id;
  const view = VIEWS.includes(route.query.get('view')) ? route.query.get('view') : 'all';
  /** @type {Record<string, string>} */
  const filters = Object.fromEntries([...FILTERS, 'contact'].map((f) => [f, route.query.get(f) ?? '']));
  const filterKey = `${view}|${FILTERS.map((f) => filters[f]).join('|')}|${filters.contact}`;
  // A search's results: its conversations, their matching messages one by one, or matching contacts.
  const searchTab =
    filters.q && ['messages', 'contacts'].includes(route.query.get('in')) ? route.query.get('in') : '';
  const selectedId = /^\/app\/c\/(conv_[0-9A-Za-z]+)/.exec(route.path)?.[1] ?? null;
  const [list, setList] = useState([]);
  const [meta, setMeta] = useState(null);
  const [state, setState] = useState({ loading: true, error: '' });
  const [cursor, setCursor] = useState(null);
  const [, bump] = useState(0);
  const [names, setNames] = useState(new Map());
  useEffect(() => {
    loadPeople().then((d) => setNames(new Map([...d.users, ...d.teams].map((x) => [x.id, x.name]))));
  }, []);
  const seen = useMemo(() => seenStore(me), [me]);
  const now = useMinuteClock();
  const viewRef = useRef({ view, filters });
  viewRef.current = { view, filters };
  const listRef = useRef(list);
  listRef.current = list;

  const load = useCallback(
    async (page = 1) => {
      setState({ loading: true, error: '' });
      const params = new URLSearchParams({ per_page: String(PAGE), page: String(page) });
      try {
        const res = await api('GET', `${listPath(view, filters, me)}&${params}`);
        const cards = filters.q ? res.data.map(searchCard) : res.data;
        setList((old) =>
          page === 1 ? cards : [...old, ...cards.filter((c) => !old.some((o) => o.id === c.id))],
        );
        setMeta(res.meta);
        setState({ loading: false, error: '' });
        // When the list is first on screen (the benchmark reads it).
        if (!performance.getEntriesByName('parley:list-ready').length) performance.mark('parley:list-ready');
      } catch (err) {
        setState({ loading: false, error: err.message });
      }
    },
    [filterKey, me],
  );
  useEffect(() => {
    load(1);
  }, [load]);

  // Live: conversation events carry the conversation; message events patch its card.
  useEffect(() => {
    /**
     * Reads a conversation and puts its card in the list (only when it matches the view, if asked).
     * @param {string} id
     * @param {boolean} onlyMatching
     */
    const reread = (id, onlyMatching) => {
      const { view: v, filters: f } = viewRef.current;
      call('get', '/v1/conversations/{id}', { params: { id } })
        .then((conv) => {
          if (!onlyMatching || matchesView(conv, v, f, me))
            setList((l) => upsertConversation(l, conv, v, f, me));
        })
        .catch(() => {
          // Not visible to this session: nothing to show.
        });
    };
    return live.on((event) => {
      const { view: v, filters: f } = viewRef.current;
      if (event.event.startsWith('conversation.')) {
        setList((l) => upsertConversation(l, event.data, v, f, me));
        // A new conversation's SLA due times are set after its `conversation.created` was
        // written (in the same transaction): read it once more for them.
        if (event.event === 'conversation.created') reread(event.data.id, false);
        return;
      }
      if (!event.event.startsWith('message.')) return;
      const msg = event.data;
      const known = listRef.current.find((c) => c.id === msg.conversation_id);
      if (known) setList((l) => upsertConversation(l, withMessage(known, msg), v, f, me));
      else if (event.event === 'message.received' || event.event === 'message.sent')
        reread(msg.conversation_id, true);
    });
  }, [me]);

  const setQuery = (patch) => {
    const q = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(patch)) {
      if (v) q.set(k, v);
      else q.delete(k);
    }
    const s = q.toString();
    navigate(`${location.pathname}${s ? `?${s}` : ''}`, { replace: 'q' in patch });
  };

  const unread = list.filter((c) => c.id !== selectedId && isUnread(c, seen.get(c.id))).length;
  useEffect(() => {
    document.title = `${unread ? `(${unread}) ` : ''}Parley inbox`;
  }, [unread]);

  const search = location.search;
  const open = (id) => navigate(`/app/c/${id}${search}`);
  const index = list.findIndex((c) => c.id === (cursor ?? selectedId));

  useEffect(() => {
    const onKey = (e) => {
      if (isTyping(e) || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === 'j' || e.key === 'k') {
        e.preventDefault();
        const next = list[Math.max(0, Math.min(list.length - 1, index + (e.key === 'j' ? 1 : -1)))];
        if (next) {
          setCursor(next.id);
          document.getElementById(`card-${next.id}`)?.focus();
        }
      } else if (e.key === 'Enter' && cursor && cursor !== selectedId) {
        e.preventDefault();
        open(cursor);
      } else if (e.key === '/') {
        e.preventDefault();
        document.getElementById('search')?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [list, index, cursor, selectedId, search]);

  const onOpened = (conv) => {
    if (seen.mark(conv.id, conv.last_message_at)) bump((n) => n + 1);
  };
  const onChanged = (conv) => setList((l) => upsertConversation(l, conv, view, filters, me));

  return html`<div class=${`inbox ${selectedId ? 'has-thread' : ''}`}>
    <section class="list-pane" aria-label="Conversations">
      <div role="tablist" aria-label="Views" class="tabs">
        ${VIEWS.map(
          (
            v,
          ) => html`<button role="tab" type="button" aria-selected=${v === view} class=${v === view ? 'active' : ''}
            onClick=${() => setQuery({ view: v === 'all' ? '' : v })}>${VIEW_LABELS[v]}</button>`,
        )}
      </div>
      <${Filters} filters=${filters} setQuery=${setQuery} names=${names} />
      <${SavedViewsButton} view=${view} filters=${filters} setQuery=${setQuery} me=${me} />
      ${filters.contact && !filters.q ? html`<p class="row small pad contact-filter">One customer’s conversations <button type="button" class="ghost" onClick=${() => setQuery({ contact: '' })}>Show everyone’s</button></p>` : null}
      ${filters.q ? html`<${SearchTabs} tab=${searchTab} setQuery=${setQuery} />` : null}
      ${state.error ? html`<p class="error" role="alert">${state.error} <button type="button" onClick=${() => load(1)}>Retry</button></p>` : null}
      ${searchTab ? html`<${SearchResults} tab=${searchTab} list=${list} filters=${filters} setQuery=${setQuery} search=${search} now=${now} />` : null}
      <ul class="conv-list" aria-label="Conversation list" aria-busy=${state.loading} hidden=${Boolean(searchTab)}>
        ${list.map(
          (
            c,
          ) => html`<${Card} key=${c.id} conv=${c} me=${me} names=${names} now=${now} selected=${c.id === selectedId}
            cursor=${c.id === cursor} unread=${c.id !== selectedId && isUnread(c, seen.get(c.id))} search=${search} />`,
        )}
      </ul>
      ${!searchTab && !state.loading && !list.length && !state.error ? html`<${EmptyList} view=${view} filters=${filters} setQuery=${setQuery} />` : null}
      ${state.loading ? html`<p class="muted pad">Loading…</p>` : null}
      ${
        meta && meta.page < meta.total_pages && !state.loading && searchTab !== 'contacts'
          ? html`<button type="button" class="more" onClick=${() => load(meta.page + 1)}>Load more (${meta.total - list.length} left)</button>`
          : null
      }
    </section>
    ${
      selectedId
        ? html`<${Thread} key=${selectedId} id=${selectedId} initial=${list.find((c) => c.id === selectedId)} live=${live} onOpened=${onOpened} onChanged=${onChanged}
          back=${`/app${search}`} />`
        : html`<section class="thread empty" aria-label="Conversation"><p class="muted">${list.length ? 'Choose a conversation on the left (or press j, then Enter).' : 'Conversations open here once a customer writes or calls.'}</p></section>`
    }
  </div>`;
}

/** An empty list says why and what to do next: clear the filters, or get a first message in. */
function EmptyList({ view, filters, setQuery }) {
  const filtered = FILTERS.some((f) => filters[f]) || Boolean(filters.contact);
  if (filtered || view !== 'all') {
    const clear = Object.fromEntries([...FILTERS, 'view', 'contact', 'in'].map((f) => [f, '']));
    return html`<div class="empty-state pad" role="status">
      <p><strong>Nothing matches this view.</strong> ${view === 'handoffs' ? 'No conversation waits for a person right now.' : 'Try another view, or clear the filters.'}</p>
      ${
        filters.q && filters.status && filters.status !== 'any'
          ? html`<button type="button" onClick=${() => setQuery({ status: 'any' })}>Search every status for “${filters.q}”</button> `
          : null
      }<button type="button" onClick=${() => setQuery(clear)}>Show all active conversations</button>
    </div>`;
  }
  return html`<div class="empty-state pad" role="status">
    <p><strong>No conversations yet.</strong> They appear here, live, as customers write or call.</p>
    <ol>
      <li>Connect a channel (WhatsApp, SMS, email or voice): <code>POST /v1/channels</code>.</li>
      <li>Try it now with a test key: <code>POST /v1/sandbox/inbound</code> with <code>{"from": "+919800000001", "text": "Hi"}</code> sends a test message that the default agent (the oldest active one) answers; add <code>"agent_id"</code> to write to another agent (or <code>parley chat agt_...</code>).</li>
      ${isAdmin() ? html`<li>Set up the AI that answers in <${Link} href="/app/manage/agents">Manage → AI agents<//>.</li>` : null}
    </ol>
  </div>`;
}

/** A search's results page: Conversations, Messages, Contacts (the `in` query parameter). */
function SearchTabs({ tab, setQuery }) {
  const tabs = [
    ['', 'Conversations'],
    ['messages', 'Messages'],
    ['contacts', 'Contacts'],
  ];
  return html`<div role="tablist" aria-label="Search results" class="tabs search-tabs">
    ${tabs.map(
      ([
        v,
        label,
      ]) => html`<button role="tab" type="button" aria-selected=${tab === v} class=${tab === v ? 'active' : ''}
      onClick=${() => setQuery({ in: v })}>${label}</button>`,
    )}
  </div>`;
}

/** "Saved views": its menu (saved-views.js) loads on the first click, not with the inbox. */
function SavedViewsButton(props) {
  const [Menu, setMenu] = useState(null);
  const [open, setOpen] = useState(false);
  const toggle = async () => {
    if (!Menu) {
      const m = await import('./saved-views.js');
      setMenu(() => m.SavedViews);
    }
    setOpen((o) => !o);
  };
  return html`<div class="saved-views">
    <button type="button" class="ghost" aria-expanded=${open} onClick=${toggle}>Saved views</button>
    ${open && Menu ? html`<${Menu} ...${props} onClose=${() => setOpen(false)} />` : null}
  </div>`;
}

function Filters({ filters, setQuery, names }) {
  const [q, setQ] = useState(filters.q);
  const [agents, setAgents] = useState([]);
  useEffect(() => setQ(filters.q), [filters.q]);
  useEffect(() => {
    call('get', '/v1/agents', { query: { per_page: 100 } }).then(
      (r) => setAgents(r.data),
      () => setAgents([]),
    );
  }, []);
  useEffect(() => {
    if (q === filters.q) return;
    const t = setTimeout(() => setQuery({ q }), 250);
    return () => clearTimeout(t);
  }, [q]);
  return html`<div class="filters">
    <input id="search" type="search" placeholder="Search (/)" aria-label="Search conversations" value=${q}
      onInput=${(e) => setQ(e.currentTarget.value)} />
    <select aria-label="Status" value=${filters.status} onChange=${(e) => setQuery({ status: e.currentTarget.value })}>
      <option value="">Active</option><option value="snoozed">Snoozed</option><option value="closed">Closed</option>
      <option value="any">Any status</option>
    </select>
    <select aria-label="Channel" value=${filters.channel} onChange=${(e) => setQuery({ channel: e.currentTarget.value })}>
      <option value="">All channels</option>
      ${channelKinds.map((c) => html`<option value=${c}>${CHANNEL_NAMES[c] ?? c}</option>`)}
    </select>
    <select aria-label="Priority" value=${filters.priority} onChange=${(e) => setQuery({ priority: e.currentTarget.value })}>
      <option value="">Any priority</option>
      ${priorities.map((p) => html`<option value=${p}>${p[0].toUpperCase()}${p.slice(1)}</option>`)}
    </select>
    <select aria-label="Assignee" value=${filters.assignee} onChange=${(e) => setQuery({ assignee: e.currentTarget.value })}>
      <option value="">Anyone</option><option value="none">Unassigned</option>
      ${[...names].map(([id, name]) => html`<option value=${id}>${id.startsWith('team_') ? `Team: ${name}` : name}</option>`)}
    </select>
    <select aria-label="AI agent" value=${filters.agent} onChange=${(e) => setQuery({ agent: e.currentTarget.value })}>
      <option value="">All agents</option>
      ${agents.map((a) => html`<option value=${a.id}>${a.name}</option>`)}
    </select>
    <input type="text" placeholder="Tag" aria-label="Tag" value=${filters.tag} size="8"
      onChange=${(e) => setQuery({ tag: e.currentTarget.value.trim().toLowerCase() })} />
    <select aria-label=${filters.q ? 'Written' : 'Last activity'} value=${filters.date} onChange=${(e) => setQuery({ date: e.currentTarget.value })}>
      <option value="">Any time</option>
      ${Object.entries(DATE_FILTERS).map(([v, label]) => html`<option value=${v}>${label}</option>`)}
    </select>
  </div>`;
}

/** Each channel kind's name and card badge, as the server's channel kinds say them. */
const CHANNEL_NAMES = Object.fromEntries(Object.entries(channelLabels).map(([k, v]) => [k, v.label]));
const channelIcon = Object.fromEntries(Object.entries(channelLabels).map(([k, v]) => [k, v.badge]));

/** Priority on a card: shown unless normal. */
function PriorityBadge({ priority }) {
  return priority && priority !== 'normal'
    ? html`<span class=${`badge prio-${priority}`} title="Priority">${priority}</span>`
    : null;
}

/** The card's line of text: a search's matching messages with their words marked, else the last message. */
function Preview({ conv, who }) {
  if (conv.matches?.length)
    return conv.matches.map(
      (m) =>
        html`<span class="preview match">${snippetParts(m.snippet, m.highlights).map((p) => (p.mark ? html`<mark>${p.text}</mark>` : p.text))}</span>`,
    );
  return html`<span class="preview">${who ? html`<span class="who">${who}: </span>` : null}${conv.last_message ?? ''}</span>`;
}

/** The 24-hour window's countdown; on Messenger and Instagram a person's 7 days' too. */
function WindowBadges({ conv, now }) {
  const left = windowLeftMs(conv, now);
  const humanLeft = humanWindowLeftMs(conv, now);
  return html`${left !== null ? html`<span class=${`window ${left <= 0 ? 'closed' : left < 3_600_000 ? 'soon' : ''}`} title="24-hour window">${humanLeft !== null ? '24 h: ' : ''}${formatWindow(left)}</span>` : null}
    ${humanLeft !== null ? html`<span class=${`window human ${humanLeft <= 0 ? 'closed' : humanLeft < 86_400_000 ? 'soon' : ''}`} title="A person's reply (HUMAN_AGENT tag), 7 days">${formatHumanWindow(humanLeft)}</span>` : null}`;
}

function Card({ conv, me, names, now, selected, cursor, unread, search }) {
  const who = senderLabel(conv.last_message_sender, false);
  return html`<li>
    <${Link} id=${`card-${conv.id}`} href=${`/app/c/${conv.id}${search}`}
      class=${`card ${selected ? 'selected' : ''} ${cursor ? 'cursor' : ''} ${unread ? 'unread' : ''}`}
      aria-current=${selected ? 'true' : undefined} data-id=${conv.id}>
      <span class="row">
        <span class=${`chan chan-${conv.channel}`} title=${conv.channel} aria-label=${conv.channel}>${channelIcon[conv.channel] ?? conv.channel}</span>
        <strong class="name">${contactLabel(conv)}</strong>
        ${unread ? html`<span class="unread-dot" aria-label="unread"></span>` : null}
        <time datetime=${conv.last_message_at}>${relativeTime(conv.last_message_at, now)}</time>
      </span>
      <${Preview} conv=${conv} who=${who} />
      <span class="row meta">
        <${PriorityBadge} priority=${conv.priority} />
        ${conv.ai_paused && conv.status !== 'closed' ? html`<span class="badge handoff" title=${conv.handoff_reason ?? ''}>${conv.handoff?.waiting_since ? `Waiting ${formatDuration(now - Date.parse(conv.handoff.waiting_since))}` : 'Handoff'}</span>` : null}
        ${conv.status !== 'active' ? html`<span class="badge">${conv.status}</span>` : null}
        <${SlaBadge} sla=${conv.sla} now=${now} />
        ${conv.assignee ? html`<span class="badge assignee">${conv.assignee.id === me ? 'Me' : (names.get(conv.assignee.id) ?? conv.assignee.type)}</span>` : null}
        ${conv.tags.map((t) => html`<span class="tag">${t}</span>`)}
        <${WindowBadges} conv=${conv} now=${now} />
      </span>
    <//>
  </li>`;
}
