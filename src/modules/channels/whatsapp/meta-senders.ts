/** Who sent a `messages` change's messages, from its `contacts[]` (pure functions). */

/** The fields of a message that name its sender. */
interface NamesSender {
  from?: string;
  from_user_id?: string;
  from_parent_user_id?: string;
}

export const nonBlank = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** Who a message comes from, as the `contacts[]` entry of the webhook names them. */
export interface WaSender {
  profileName?: string;
  /** The phone number (wa_id), when Meta shares it. */
  waId?: string;
  userId?: string;
  username?: string;
}

/**
 * A message that names no sender (no `from`, no `from_user_id`: a username-only sender in some of
 * Meta's payloads, which put the business-scoped id in `contacts[]` only) is from its change's
 * contact: the only one, or the one at its index when each message has its contact.
 */
export function namedSender<M extends NamesSender>(m: M, contacts: unknown[], count: number, i: number): M {
  if (
    !m ||
    typeof m !== 'object' ||
    nonBlank(m.from) ||
    nonBlank(m.from_user_id) ||
    nonBlank(m.from_parent_user_id)
  )
    return m;
  const c = (contacts.length === 1 ? contacts[0] : contacts.length === count ? contacts[i] : undefined) as
    | { wa_id?: unknown; user_id?: unknown }
    | undefined;
  const waId = nonBlank(c?.wa_id);
  const userId = nonBlank(c?.user_id);
  return waId || userId
    ? { ...m, ...(waId ? { from: waId } : {}), ...(userId ? { from_user_id: userId } : {}) }
    : m;
}

/** Each sender by phone (wa_id) and by business-scoped user id (user_id), either may be missing. */
export function sendersOf(contacts: unknown): Map<string, WaSender> {
  const senders = new Map<string, WaSender>();
  for (const c of Array.isArray(contacts) ? contacts : []) {
    if (!c || typeof c !== 'object') continue;
    const sender: WaSender = {
      ...(c.profile?.name ? { profileName: String(c.profile.name) } : {}),
      ...(c.wa_id ? { waId: String(c.wa_id) } : {}),
      ...(c.user_id ? { userId: String(c.user_id) } : {}),
      ...(c.profile?.username ? { username: String(c.profile.username) } : {}),
    };
    if (sender.waId) senders.set(sender.waId, sender);
    if (sender.userId) senders.set(sender.userId, sender);
    if (c.parent_user_id) senders.set(String(c.parent_user_id), sender);
  }
  return senders;
}
