/**
 * Which live events the signed-in person is told about in the open inbox (the server's Web Push
 * follows the same rules for a closed one: notifications.service.ts). Pure, unit-tested.
 */

/**
 * @typedef {{ kind: 'assigned' | 'mentioned' | 'handoff' | 'sla', title: string, body: string, url: string, tag: string, tags?: string[] }} Notice
 * @typedef {{ id: string, name: string, email: string, team_ids?: string[] }} Me
 */

/**
 * Whether an assignee is mine: me, or a team I am in. A person whose teams are not known yet
 * (`team_ids` missing) hears of every team's, as before they load.
 * @param {{ type: string, id: string } | null | undefined} assignee
 * @param {Me} me
 */
const ownedBy = (assignee, me) =>
  !!assignee &&
  (assignee.type === 'team' ? !me.team_ids || me.team_ids.includes(assignee.id) : assignee.id === me.id);

/** @param {Record<string, any>} d */
const who = (d) =>
  d.contact?.name || d.contact?.phone || d.contact?.email || d.contact_address || 'A customer';

/**
 * The forms of a person's name a note can mention: @first, @FullName, @full.name, @email-local-part.
 * @param {Me} me
 */
export function mentionForms(me) {
  const name = me.name.trim().toLowerCase();
  return [
    name.split(/\s+/)[0],
    name.replace(/\s+/g, ''),
    name.replace(/\s+/g, '.'),
    me.email.split('@')[0],
  ].filter(Boolean);
}

/**
 * @param {string} text
 * @param {Me} me
 */
export function mentions(text, me) {
  const forms = new Set(mentionForms(me));
  for (const m of text.matchAll(/@([\p{L}\p{N}][\p{L}\p{N}._-]*)/gu))
    if (forms.has(m[1].toLowerCase().replace(/[._-]+$/, ''))) return true;
  return false;
}

/**
 * @param {{ event: string, data: Record<string, any>, actor?: { type: string, id: string | null } }} event
 * @param {Me} me
 * @returns {Notice | null}
 */
export function noticeFor(event, me) {
  const d = event.data ?? {};
  const byMe = event.actor?.type === 'user' && event.actor.id === me.id;
  if (byMe) return null;
  const url = (id) => `/app/c/${id}`;
  switch (event.event) {
    case 'conversation.assigned':
      return d.assignee?.type === 'user' && d.assignee.id === me.id
        ? {
            kind: 'assigned',
            title: `Assigned to you: ${who(d)}`,
            body: d.last_message ?? '',
            url: url(d.id),
            tag: `assigned:${d.id}`,
          }
        : null;
    case 'conversation.escalated':
      // The team that owns the queue hears of it; nobody's is everybody's.
      return !d.assignee || ownedBy(d.assignee, me)
        ? {
            kind: 'handoff',
            title: `${who(d)} needs a person`,
            body: d.reason ?? d.handoff_reason ?? '',
            url: url(d.id),
            tag: `handoff:${d.id}`,
          }
        : null;
    case 'sla.breached':
      return ownedBy(d.assignee, me)
        ? { kind: 'sla', title: `SLA missed: ${who(d)}`, body: '', url: url(d.id), tag: `sla:${d.id}` }
        : null;
    case 'message.note_added':
      return typeof d.text === 'string' && mentions(d.text, me)
        ? {
            kind: 'mentioned',
            title: 'You were mentioned in a note',
            body: d.text.slice(0, 200),
            url: url(d.conversation_id),
            tag: `mentioned:${d.id}`,
          }
        : null;
    default:
      return null;
  }
}

/**
 * The toasts on screen after `next` arrives: handoffs in a burst collapse into one ("5 customers
 * need a person", opening the Handoffs view) instead of a stack of toasts; others replace the one
 * with their tag. At most four.
 * @param {Array<Notice & { count?: number }>} toasts
 * @param {Notice} next
 * @returns {Array<Notice & { count?: number }>}
 */
export function addToast(toasts, next) {
  if (next.kind === 'handoff') {
    const handoffs = toasts.filter((t) => t.kind === 'handoff');
    if (handoffs.length) {
      const tags = new Set(handoffs.flatMap((t) => (t.tag === 'handoffs' ? (t.tags ?? []) : [t.tag])));
      tags.add(next.tag);
      if (tags.size === 1) return [...toasts.filter((t) => t.kind !== 'handoff'), next];
      /** @type {Notice} */
      const many = {
        kind: 'handoff',
        title: `${tags.size} customers need a person`,
        body: 'Open the Handoffs view',
        url: '/app?view=handoffs',
        tag: 'handoffs',
        tags: [...tags],
      };
      return [...toasts.filter((t) => t.kind !== 'handoff'), many].slice(-4);
    }
  }
  return [...toasts.filter((t) => t.tag !== next.tag), next].slice(-4);
}
