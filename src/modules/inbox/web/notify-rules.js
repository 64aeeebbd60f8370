/**
 * Which live events the signed-in person is told about in the open inbox (the server's Web Push
 * follows the same rules for a closed one: notifications.service.ts). Pure, unit-tested.
 */

/**
 * @typedef {{ kind: 'assigned' | 'mentioned' | 'handoff' | 'sla', title: string, body: string, url: string, tag: string }} Notice
 * @typedef {{ id: string, name: string, email: string }} Me
 */

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
      return !d.assignee || d.assignee.type === 'team' || d.assignee.id === me.id
        ? {
            kind: 'handoff',
            title: `${who(d)} needs a person`,
            body: d.reason ?? d.handoff_reason ?? '',
            url: url(d.id),
            tag: `handoff:${d.id}`,
          }
        : null;
    case 'sla.breached':
      return d.assignee && (d.assignee.type === 'team' || d.assignee.id === me.id)
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
