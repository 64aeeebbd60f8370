/**
 * The inbox's pure state rules (no DOM): which conversations a view shows, how a live event
 * changes the list and a thread, unread marks. Unit-tested with node's test runner.
 */

/**
 * @typedef {import('./vendor/sdk/browser.js').components['schemas']['Conversation']} Conversation
 * @typedef {import('./vendor/sdk/browser.js').components['schemas']['Message']} Message
 * @typedef {'mine' | 'unassigned' | 'handoffs' | 'all'} View
 * @typedef {{ status?: string, channel?: string, tag?: string, agent?: string, assignee?: string, priority?: string, q?: string, date?: string, contact?: string }} Filters
 */

/** The tabs of the list and the filters that may narrow them (kept in the URL). */
export const VIEWS = ['mine', 'unassigned', 'handoffs', 'all'];
export const FILTERS = ['status', 'channel', 'tag', 'agent', 'assignee', 'priority', 'q', 'date'];

/** The list's time filters: last activity (a search: messages written) since then. */
export const DATE_FILTERS = {
  today: 'Today',
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
};

/**
 * The start of a time filter, as an ISO time: local midnight today, or that many days before now.
 * @param {string} date
 * @param {number} now
 */
export function dateFrom(date, now = Date.now()) {
  if (date === 'today') {
    const d = new Date(now);
    d.setHours(0, 0, 0, 0);
    return d.toISOString();
  }
  const days = Number(/^(\d+)d$/.exec(date)?.[1] ?? 0);
  return days > 0 ? new Date(now - days * 86_400_000).toISOString() : '';
}

const rank = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 9, received: -1 };

/**
 * Open conversations unless another status (or `any`) is chosen; a search looks in every status
 * unless one is chosen (what a person searches for is often in a closed conversation).
 * @param {Filters} filters
 */
const statusOf = (filters) => (filters.status === 'any' ? '' : filters.status || (filters.q ? '' : 'active'));

/**
 * Query parameters of GET /v1/conversations for a view and its filters.
 * @param {View} view
 * @param {Filters} filters
 * @param {string} me the signed-in user's id
 */
export function listParams(view, filters, me) {
  return viewParams(view, filters, me, 'q');
}

/**
 * The path that lists a view: GET /v1/conversations, or GET /v1/search (every message, not only
 * the last one) when the view has a search.
 * @param {View} view
 * @param {Filters} filters
 * @param {string} me
 */
export function listPath(view, filters, me) {
  return filters.q
    ? `/v1/search?${viewParams(view, filters, me, 'q')}`
    : `/v1/conversations?${viewParams(view, filters, me, 'q')}`;
}

/**
 * @param {View} view
 * @param {Filters} filters
 * @param {string} me
 * @param {string} queryName
 */
function viewParams(view, filters, me, queryName) {
  const p = new URLSearchParams();
  if (view === 'mine' && me) p.set('assignee', me);
  else if (view === 'unassigned') p.set('assignee', 'none');
  else if (filters.assignee) p.set('assignee', filters.assignee);
  if (filters.priority) p.set('priority', filters.priority);
  if (view === 'handoffs') p.set('ai_paused', 'true');
  const status = statusOf(filters);
  if (status) p.set('status', status);
  if (filters.channel) p.set('channel', filters.channel);
  if (filters.tag) p.set('tag', filters.tag);
  if (filters.agent) p.set('agent_id', filters.agent);
  const from = filters.date ? dateFrom(filters.date) : '';
  if (from) p.set('from', from);
  // A customer's conversations (from a search's Contacts tab); the search itself has no such filter.
  if (filters.contact && !filters.q) p.set('contact_id', filters.contact);
  if (filters.q) p.set(queryName, filters.q);
  return p;
}

/**
 * Whether a conversation belongs in a view (so a live update can add it or take it out).
 * @param {Conversation} conv
 * @param {View} view
 * @param {Filters} filters
 * @param {string} me
 */
export function matchesView(conv, view, filters, me) {
  if (view === 'mine' && !(conv.assignee?.type === 'user' && conv.assignee.id === me)) return false;
  if (view === 'unassigned' && conv.assignee) return false;
  if (view === 'handoffs' && !conv.ai_paused) return false;
  const status = statusOf(filters);
  if (status && conv.status !== status) return false;
  if (filters.channel && conv.channel !== filters.channel) return false;
  if (filters.tag && !conv.tags.includes(filters.tag.toLowerCase())) return false;
  if (filters.agent && conv.agent_id !== filters.agent) return false;
  if (filters.priority && conv.priority !== filters.priority) return false;
  if (view !== 'mine' && view !== 'unassigned' && !assignedTo(conv, filters.assignee)) return false;
  if (filters.contact && conv.contact?.id !== filters.contact) return false;
  if (filters.date && (conv.last_message_at ?? '') < dateFrom(filters.date)) return false;
  return !filters.q || searchedText(conv).includes(filters.q.toLowerCase());
}

/**
 * The text a live update's card is matched against a search by: its last message and customer.
 * @param {Conversation} conv
 */
const searchedText = (conv) =>
  [conv.last_message, conv.contact?.name, conv.contact_address, conv.contact?.phone]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();

/**
 * Whether the conversation's assignee is the filter's (a user or team id, `none`, or empty: any).
 * @param {Conversation} conv
 * @param {string | undefined} assignee
 */
const assignedTo = (conv, assignee) =>
  !assignee || (assignee === 'none' ? !conv.assignee : conv.assignee?.id === assignee);

/** @param {Conversation} a @param {Conversation} b */
const newestFirst = (a, b) =>
  (b.last_message_at ?? b.created_at).localeCompare(a.last_message_at ?? a.created_at) ||
  b.id.localeCompare(a.id);

/**
 * The list after a conversation changed: replaced, added in order, or removed when it no longer matches.
 * @param {Conversation[]} list
 * @param {Conversation} conv
 * @param {View} view
 * @param {Filters} filters
 * @param {string} me
 */
export function upsertConversation(list, conv, view, filters, me) {
  const old = list.find((c) => c.id === conv.id);
  const rest = old ? list.filter((c) => c.id !== conv.id) : list;
  // A search found the card by any of its messages: a change keeps it (with its matches) while the
  // rest of the view still holds; a new card joins when its own text matches.
  const keep =
    old && filters.q
      ? matchesView(conv, view, { ...filters, q: '' }, me)
      : matchesView(conv, view, filters, me);
  if (!keep) return rest;
  const matches = /** @type {{matches?: unknown[]} | undefined} */ (old)?.matches;
  const next = matches ? { ...conv, matches } : conv;
  return filters.q ? [...rest.filter((c) => c !== old), next] : [...rest, next].sort(newestFirst);
}

/**
 * A search result as a card: the conversation with its matching messages.
 * @param {{conversation: Conversation, matches: Array<{snippet: string, highlights: Array<[number, number]>}>}} hit
 */
export const searchCard = (hit) => ({ ...hit.conversation, matches: hit.matches });

/**
 * A snippet cut into plain and highlighted parts (never HTML: the parts are rendered as text).
 * @param {string} snippet
 * @param {Array<[number, number]>} highlights
 * @returns {Array<{text: string, mark: boolean}>}
 */
export function snippetParts(snippet, highlights) {
  const parts = [];
  let at = 0;
  for (const [start, end] of [...highlights].sort((a, b) => a[0] - b[0])) {
    if (start < at || end > snippet.length) continue;
    if (start > at) parts.push({ text: snippet.slice(at, start), mark: false });
    parts.push({ text: snippet.slice(start, end), mark: true });
    at = end;
  }
  if (at < snippet.length) parts.push({ text: snippet.slice(at), mark: false });
  return parts;
}

/**
 * A short preview of a message, as the list shows it.
 * @param {Pick<Message, 'text' | 'type'>} message
 */
export function previewOf(message) {
  if (message.text) return message.text.length > 200 ? `${message.text.slice(0, 199)}…` : message.text;
  return `[${message.type}]`;
}

/**
 * A conversation card after one of its messages arrived or went out (notes do not change it).
 * @param {Conversation} conv
 * @param {Message} message
 * @returns {Conversation}
 */
export function withMessage(conv, message) {
  if (message.type === 'note') return conv;
  if (conv.last_message_at && message.created_at < conv.last_message_at) return conv;
  return {
    ...conv,
    last_message: previewOf(message),
    last_message_at: message.created_at,
    last_message_sender: message.sender?.type ?? null,
    ...(conv.handoff
      ? { handoff: { ...conv.handoff, waiting_since: waitingAfter(conv.handoff, message) } }
      : {}),
  };
}

/**
 * As the server keeps it: a customer's message starts a wait, a person's reply ends it.
 * @param {NonNullable<Conversation['handoff']>} handoff
 * @param {Message} message
 */
function waitingAfter(handoff, message) {
  const type = message.sender?.type;
  if (type === 'user' || type === 'api_key') return null;
  if (type === 'customer') return handoff.waiting_since ?? message.created_at;
  return handoff.waiting_since;
}

/**
 * A thread after a message event: added in id order (ids sort by time), or its status moved
 * forward only, so a late `sent` never undoes a `read`.
 */
/**
 * @param {Message[]} messages
 * @param {Message} message
 */
export function mergeMessage(messages, message) {
  const i = messages.findIndex((m) => m.id === message.id);
  if (i === -1) {
    const next = [...messages, message];
    if (messages.length && messages[messages.length - 1].id > message.id)
      next.sort((a, b) => a.id.localeCompare(b.id));
    return next;
  }
  const old = messages[i];
  if ((rank[message.status] ?? 0) < (rank[old.status] ?? 0)) return messages;
  const next = messages.slice();
  next[i] = { ...old, ...message };
  return next;
}

/**
 * Older messages loaded on scroll, put before the ones shown, without doubles.
 * @param {Message[]} messages
 * @param {Message[]} older
 */
export function prependMessages(messages, older) {
  const have = new Set(messages.map((m) => m.id));
  return [...older.filter((m) => !have.has(m.id)).sort((a, b) => a.id.localeCompare(b.id)), ...messages];
}

/**
 * Unread: the customer wrote last, after the time this browser last opened the conversation.
 * @param {Conversation} conv
 * @param {string | undefined} seenAt
 */
export function isUnread(conv, seenAt) {
  if (conv.last_message_sender && conv.last_message_sender !== 'customer') return false;
  if (!conv.last_message_at) return false;
  return !seenAt || conv.last_message_at > seenAt;
}

/**
 * Milliseconds left in the 24-hour window (WhatsApp's for free-form messages; Messenger's and
 * Instagram's for any reply), or null when it does not apply.
 * @param {Conversation} conv
 * @param {number} now
 */
export function windowLeftMs(conv, now) {
  if (conv.channel !== 'whatsapp' && !hasHumanAgentWindow(conv)) return null;
  if (!conv.window_expires_at) return 0;
  return Math.max(0, Date.parse(conv.window_expires_at) - now);
}

/** @param {Conversation} conv */
const hasHumanAgentWindow = (conv) => conv.channel === 'messenger' || conv.channel === 'instagram';

/**
 * Messenger and Instagram: milliseconds left for a person's reply (Meta's HUMAN_AGENT tag, 7 days
 * after the customer's last message), or null when it does not apply.
 * @param {Conversation} conv
 * @param {number} now
 */
export function humanWindowLeftMs(conv, now) {
  if (!hasHumanAgentWindow(conv)) return null;
  if (!conv.human_agent_window_expires_at) return 0;
  return Math.max(0, Date.parse(conv.human_agent_window_expires_at) - now);
}

/**
 * "7 d: 3 d 4 h left" for a person's 7 days (below a day as formatWindow says it).
 * @param {number | null} ms
 */
export function formatHumanWindow(ms) {
  if (ms === null) return '';
  if (ms <= 0) return '7 d: closed';
  const hours = Math.floor(ms / 3_600_000);
  if (hours < 24) return `7 d: ${formatWindow(ms)}`;
  return `7 d: ${Math.floor(hours / 24)} d ${hours % 24} h left`;
}

/**
 * "3 h 20 min", "12 min", "closed"
 * @param {number | null} ms
 */
export function formatWindow(ms) {
  if (ms === null) return '';
  if (ms <= 0) return 'window closed';
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min left`;
  return `${Math.floor(min / 60)} h ${min % 60} min left`;
}

/**
 * A length of time as the inbox shows it: "under 1 min", "12 min", "2 h 5 min".
 * @param {number} ms
 */
export function formatDuration(ms) {
  const min = Math.floor(Math.max(0, ms) / 60_000);
  if (min < 1) return 'under 1 min';
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

const ACTORS = { ai: 'the AI', customer: 'the customer', api_key: 'the API', system: 'the system' };
/** Who wrote the last message when no customer is waiting (the AI's reply is not a person's). */
const REPLIED = { ai: 'the AI', user: 'a person', api_key: 'the API', system: 'the system' };

/**
 * The handoff banner of a conversation: who handed it off and how long ago, why, and who the
 * customer waits for since how long (`names`: user and team names by id). Null when not handed off.
 */
/**
 * @param {Conversation} conv
 * @param {Map<string, string>} names
 * @param {number} now
 */
export function handoffText(conv, names, now) {
  if (!conv.ai_paused) return null;
  /** @type {Partial<NonNullable<Conversation['handoff']>>} */
  const h = conv.handoff ?? { reason: conv.handoff_reason, started_at: null, started_by: null };
  const by = h.started_by
    ? h.started_by.type === 'user'
      ? (names.get(h.started_by.id) ?? 'an agent')
      : (ACTORS[h.started_by.type] ?? 'the system')
    : null;
  const ago = h.started_at ? ` ${formatDuration(now - Date.parse(h.started_at))} ago` : '';
  const who = h.waiting_for
    ? h.waiting_for.type === 'user'
      ? (names.get(h.waiting_for.id) ?? 'a user')
      : `team ${names.get(h.waiting_for.id) ?? h.waiting_for.id}`
    : 'anyone';
  const waiting = h.waiting_since
    ? ` The customer has waited ${formatDuration(now - Date.parse(h.waiting_since))} for ${who}.`
    : ` No one is waiting: ${REPLIED[conv.last_message_sender] ?? 'a person'} replied last.`;
  return `Handed off to people${by ? ` by ${by}` : ''}${ago}${h.reason ? `: ${h.reason}` : ''}.${conv.handoff ? waiting : ''}`;
}

/**
 * Who wrote the last message, as the card's prefix.
 * @param {Conversation['last_message_sender']} type
 * @param {boolean} isMe
 */
export function senderLabel(type, isMe) {
  switch (type) {
    case 'customer':
      return 'Customer';
    case 'ai':
      return 'AI';
    case 'user':
      return isMe ? 'You' : 'Agent';
    case 'api_key':
      return 'API';
    case 'system':
      return 'System';
    default:
      return '';
  }
}

/**
 * The `/word` being typed just before the caret, or null.
 * @param {string} text
 * @param {number} caret
 */
export function slashQuery(text, caret) {
  const m = /(^|\s)\/([\w-]*)$/.exec(text.slice(0, caret));
  return m ? { query: m[2], start: caret - m[2].length - 1 } : null;
}
