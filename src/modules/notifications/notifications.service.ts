/**
 * Telling people what needs them: per person preferences, Web Push to their browsers (RFC 8030,
 * payloads encrypted per RFC 8291, the server identified by VAPID, RFC 8292), and @mentions in
 * private notes. The inbox shows in-app toasts and browser notifications itself from the live
 * stream with the same preferences; Web Push reaches a person whose inbox is closed.
 *
 * Who hears what (each kind can be switched off per person):
 * - `assigned`: a conversation was assigned to you (by someone else or a rule);
 * - `handoff`: a conversation was handed to people: you when it is yours, your team's members when
 *   it is your team's, everyone when nobody has it;
 * - `waiting`: a customer wrote in a handed-off conversation assigned to you;
 * - `sla`: an SLA target of a conversation that is yours (or your team's) passed unmet;
 * - `mentioned`: someone wrote @you in a private note.
 */
import webpush from 'web-push';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, invalidField, notFound } from '../../platform/errors.ts';
import type { EventType, ParleyEvent } from '../../platform/events.ts';
import type { Auth } from '../../platform/http/route.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { Reaction } from '../../platform/reactions.ts';
import { isPrivateAddress, literalAddress } from '../../platform/ssrf.ts';
import { getConversationRow } from '../conversations/index.ts';
import { listUserNames, teamMembers } from '../users/index.ts';
import { sendWebhook } from '../webhooks/index.ts';
import { type DigestFrequency, keepForDigest } from './notifications.digest.ts';
import { pushJob } from './notifications.jobs.ts';
import type { NotificationKind } from './notifications.kinds.ts';

export interface NotificationSettings {
  events: Record<NotificationKind, boolean>;
  /** Toasts inside the open inbox. */
  in_app: boolean;
  /** The browser's own notifications while the inbox is open in a background tab. */
  browser: boolean;
  /** Web Push to the browsers subscribed, even with the inbox closed. */
  push: boolean;
  /** An email gathering the notifications of each hour or day (off: none). */
  email_digest: DigestFrequency;
}

export const DEFAULT_SETTINGS: NotificationSettings = {
  events: { assigned: true, mentioned: true, handoff: true, waiting: true, sla: true },
  in_app: true,
  browser: true,
  push: true,
  email_digest: 'off',
};

/** Only a person has preferences and browsers: an API key is a 403. */
export function person(auth: Auth): string {
  if (auth.kind !== 'user')
    throw new ApiError('forbidden', 'Notifications belong to a person: call this with an inbox session.');
  return auth.principalId;
}

const readSettings = (json: string | undefined): NotificationSettings => {
  const stored = fromJson<Partial<NotificationSettings>>(json ?? '{}', {});
  return { ...DEFAULT_SETTINGS, ...stored, events: { ...DEFAULT_SETTINGS.events, ...(stored.events ?? {}) } };
};

async function settingsOf(db: Db | Trx, userIds: string[]): Promise<Map<string, NotificationSettings>> {
  const rows = userIds.length
    ? await db
        .selectFrom('notification_settings')
        .select(['user_id', 'settings'])
        .where('user_id', 'in', userIds)
        .execute()
    : [];
  const stored = new Map(rows.map((r) => [r.user_id, r.settings]));
  return new Map(userIds.map((id) => [id, readSettings(stored.get(id))]));
}

export async function mySettings(ctx: AppContext, auth: Auth): Promise<NotificationSettings> {
  return (await settingsOf(ctx.db, [person(auth)])).get(auth.principalId)!;
}

export async function setMySettings(
  ctx: AppContext,
  auth: Auth,
  patch: Partial<Omit<NotificationSettings, 'events'>> & { events?: Partial<NotificationSettings['events']> },
): Promise<NotificationSettings> {
  const userId = person(auth);
  const current = await mySettings(ctx, auth);
  const next: NotificationSettings = {
    ...current,
    ...patch,
    events: { ...current.events, ...(patch.events ?? {}) },
  };
  const at = ctx.clock.now().toISOString();
  await ctx.db
    .insertInto('notification_settings')
    .values({
      user_id: userId,
      workspace_id: auth.workspaceId,
      livemode: auth.livemode ? 1 : 0,
      settings: toJson(next),
      updated_at: at,
    })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ settings: toJson(next), updated_at: at }))
    .execute();
  return next;
}

/** The server's VAPID keys: made once, on first use, and kept (the private key sealed). */
export async function vapidKeys(ctx: AppContext): Promise<{ publicKey: string; privateKey: string }> {
  const read = () => ctx.db.selectFrom('push_keys').selectAll().where('id', '=', 'vapid').executeTakeFirst();
  let row = await read();
  if (!row) {
    const keys = webpush.generateVAPIDKeys();
    await ctx.db
      .insertInto('push_keys')
      .values({
        id: 'vapid',
        public_key: keys.publicKey,
        private_key_sealed: ctx.secrets.seal(keys.privateKey),
        created_at: ctx.clock.now().toISOString(),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    // Another process may have made them first: theirs are the ones.
    row = (await read())!;
  }
  return { publicKey: row.public_key, privateKey: ctx.secrets.open(row.private_key_sealed) };
}

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const decodedLength = (s: string) => Buffer.from(s, 'base64url').length;

/** A push service's address: https, not private (unless private targets are allowed for the server). */
function checkEndpoint(ctx: AppContext, endpoint: string) {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalidField('endpoint', 'must be a URL');
  }
  const allowPrivate = Boolean(ctx.config.webhookAllowPrivate);
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    throw invalidField('endpoint', 'must be an https:// URL of a push service');
  const literal = literalAddress(url.hostname);
  if (!allowPrivate && (url.hostname === 'localhost' || (literal && isPrivateAddress(literal))))
    throw invalidField(
      'endpoint',
      'must not be a private or reserved address (set PARLEY_WEBHOOK_ALLOW_PRIVATE=1 to allow it)',
    );
}

export interface SubscriptionInput {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export function presentSubscription(row: {
  id: string;
  endpoint: string;
  user_agent: string | null;
  created_at: string;
  last_error: string | null;
}) {
  return {
    id: row.id,
    object: 'push_subscription' as const,
    endpoint: row.endpoint,
    user_agent: row.user_agent,
    last_error: row.last_error,
    created_at: row.created_at,
  };
}

export async function subscribe(
  ctx: AppContext,
  auth: Auth,
  input: SubscriptionInput,
  userAgent: string | null,
) {
  const userId = person(auth);
  checkEndpoint(ctx, input.endpoint);
  if (!BASE64URL.test(input.keys.p256dh) || decodedLength(input.keys.p256dh) !== 65)
    throw invalidField('keys.p256dh', 'must be the browser’s P-256 public key (65 bytes, base64url)');
  if (!BASE64URL.test(input.keys.auth) || decodedLength(input.keys.auth) !== 16)
    throw invalidField('keys.auth', 'must be the browser’s auth secret (16 bytes, base64url)');
  const scope: Scope = auth;
  const row = {
    ...newRow('psub', scope),
    user_id: userId,
    endpoint: input.endpoint,
    p256dh: input.keys.p256dh,
    auth: input.keys.auth,
    user_agent: userAgent?.slice(0, 300) ?? null,
    created_at: ctx.clock.now().toISOString(),
    last_error: null,
  };
  await ctx.db
    .insertInto('push_subscriptions')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'endpoint'])
        .doUpdateSet({ p256dh: row.p256dh, auth: row.auth, last_error: null }),
    )
    .execute();
  const stored = await tenant(ctx.db, scope)
    .selectFrom('push_subscriptions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('endpoint', '=', input.endpoint)
    .executeTakeFirstOrThrow();
  return presentSubscription(stored);
}

export async function mySubscriptions(ctx: AppContext, auth: Auth) {
  const rows = await tenant(ctx.db, auth)
    .selectFrom('push_subscriptions')
    .selectAll()
    .where('user_id', '=', person(auth))
    .orderBy('id')
    .execute();
  return rows.map(presentSubscription);
}

export async function unsubscribe(ctx: AppContext, auth: Auth, id: string) {
  // Found in this workspace and mode first (another's is a 404 whoever asks), then the person's own.
  const row = await tenant(ctx.db, auth).findById('push_subscriptions', id);
  if (!row || (auth.kind === 'user' && row.user_id !== auth.principalId))
    throw notFound('push subscription', id);
  await ctx.db
    .deleteFrom('push_subscriptions')
    .where('id', '=', row.id)
    .where('user_id', '=', person(auth))
    .execute();
  return { id, object: 'push_subscription' as const, deleted: true as const };
}

/** What a push says: a title, a line, and the inbox page it opens. */
export interface PushMessage {
  kind: NotificationKind;
  title: string;
  body: string;
  url: string;
  /** Replaces an earlier notification with the same tag (one per conversation and kind). */
  tag: string;
}

const who = (data: Record<string, unknown>) => {
  const contact = (data.contact ?? {}) as {
    name?: string | null;
    phone?: string | null;
    email?: string | null;
  };
  return contact.name || contact.phone || contact.email || (data.contact_address as string) || 'A customer';
};
const assigneeOf = (data: Record<string, unknown>) =>
  (data.assignee ?? null) as { type: 'user' | 'team'; id: string } | null;

/** The people behind an assignee: the user, a team's members, or (nobody) every person of the workspace. */
async function peopleOf(trx: Trx, scope: Scope, assignee: { type: 'user' | 'team'; id: string } | null) {
  if (assignee?.type === 'user') return [assignee.id];
  if (assignee?.type === 'team') return (await teamMembers(trx, scope, assignee.id)) ?? [];
  return (await listUserNames(trx, scope)).map((u) => u.id);
}

const MENTION = /@([\p{L}\p{N}][\p{L}\p{N}._-]*)/gu;

/** The people a note names with @first-name, @FullName, @full.name or @email-local-part. */
async function mentioned(trx: Trx, scope: Scope, text: string): Promise<string[]> {
  const tokens = new Set([...text.matchAll(MENTION)].map((m) => m[1]!.toLowerCase().replace(/[._-]+$/, '')));
  if (!tokens.size) return [];
  const users = await listUserNames(trx, scope);
  return users
    .filter((u) => {
      const name = u.name.trim().toLowerCase();
      const forms = [
        name.split(/\s+/)[0],
        name.replace(/\s+/g, ''),
        name.replace(/\s+/g, '.'),
        u.email.split('@')[0],
      ];
      return forms.some((f) => f && tokens.has(f));
    })
    .map((u) => u.id);
}

/** Who an event concerns, and what to tell them. */
async function recipients(
  trx: Trx,
  e: ParleyEvent,
): Promise<{ users: string[]; message: PushMessage } | null> {
  const scope: Scope = { workspaceId: e.workspace_id, livemode: e.livemode };
  const d = e.data;
  const actorUser = e.actor.type === 'user' ? e.actor.id : null;
  const conversationUrl = (id: unknown) => `/app/c/${String(id)}`;
  switch (e.event) {
    case 'conversation.assigned': {
      const a = assigneeOf(d);
      if (a?.type !== 'user' || a.id === actorUser) return null;
      const message = {
        kind: 'assigned' as const,
        title: `Assigned to you: ${who(d)}`,
        body: String(d.last_message ?? ''),
        url: conversationUrl(d.id),
        tag: `assigned:${d.id}`,
      };
      return { users: [a.id], message };
    }
    case 'conversation.escalated': {
      const users = (await peopleOf(trx, scope, assigneeOf(d))).filter((u) => u !== actorUser);
      const message = {
        kind: 'handoff' as const,
        title: `${who(d)} needs a person`,
        body: String(d.reason ?? d.handoff_reason ?? d.last_message ?? ''),
        url: conversationUrl(d.id),
        tag: `handoff:${d.id}`,
      };
      return { users, message };
    }
    case 'sla.breached': {
      const a = assigneeOf(d);
      if (!a) return null;
      const message = {
        kind: 'sla' as const,
        title: `SLA missed: ${who(d)}`,
        body: `The ${String((d.sla_breach as { target?: string } | undefined)?.target ?? 'response').replace('_', ' ')} target passed.`,
        url: conversationUrl(d.id),
        tag: `sla:${d.id}`,
      };
      return { users: await peopleOf(trx, scope, a), message };
    }
    case 'message.received': {
      if (typeof d.conversation_id !== 'string') return null;
      const conv = await getConversationRow(trx, scope, d.conversation_id).catch(() => null);
      if (!conv?.ai_paused || conv.assignee_type !== 'user' || !conv.assignee_id) return null;
      const message = {
        kind: 'waiting' as const,
        title: `${conv.contact_address} wrote`,
        body: String(d.text ?? `[${String(d.type)}]`).slice(0, 200),
        url: conversationUrl(conv.id),
        tag: `waiting:${conv.id}`,
      };
      return { users: [conv.assignee_id], message };
    }
    case 'message.note_added': {
      const text = String(d.text ?? '');
      const users = (await mentioned(trx, scope, text)).filter((u) => u !== actorUser);
      if (!users.length) return null;
      const at = e.timestamp;
      for (const userId of users)
        await trx
          .insertInto('mentions')
          .values({
            ...newRow('men', scope),
            user_id: userId,
            conversation_id: String(d.conversation_id),
            message_id: String(d.id),
            by_user_id: actorUser,
            excerpt: text.slice(0, 280),
            created_at: at,
            read_at: null,
          })
          .execute();
      const message = {
        kind: 'mentioned' as const,
        title: 'You were mentioned in a note',
        body: text.slice(0, 200),
        url: conversationUrl(d.conversation_id),
        tag: `mentioned:${d.id}`,
      };
      return { users, message };
    }
    default:
      return null;
  }
}

/** The events a person can be notified of. */
export const NOTIFIED = [
  'conversation.assigned',
  'conversation.escalated',
  'sla.breached',
  'message.received',
  'message.note_added',
] as const satisfies readonly EventType[];
const HEARD = new Set<string>(NOTIFIED);

/**
 * In the events' transaction: records mentions, and enqueues one push job per person who wants
 * this kind pushed and has a browser subscribed (so a push exists if and only if its event does).
 */
export function notificationSink(ctx: AppContext): Reaction['run'] {
  return async ({ db: trx }, events) => {
    for (const e of events) {
      if (!HEARD.has(e.event)) continue;
      const found = await recipients(trx, e);
      if (!found?.users.length) continue;
      const users = [...new Set(found.users)];
      const scope: Scope = { workspaceId: e.workspace_id, livemode: e.livemode };
      for (const [userId, s] of await settingsOf(trx, users))
        if (s.email_digest !== 'off' && s.events[found.message.kind])
          await keepForDigest(
            trx,
            scope,
            userId,
            found.message,
            e.timestamp ?? ctx.clock.now().toISOString(),
          );
      const subscribed = new Set(
        (
          await trx
            .selectFrom('push_subscriptions')
            .select('user_id')
            .distinct()
            .where('user_id', 'in', users)
            .execute()
        ).map((r) => r.user_id),
      );
      const settings = await settingsOf(
        trx,
        users.filter((u) => subscribed.has(u)),
      );
      for (const [userId, s] of settings) {
        if (!s.push || !s.events[found.message.kind]) continue;
        await ctx.queue.enqueue(trx, pushJob, { userId, message: found.message });
      }
    }
  };
}

/** The subject VAPID names: the server's public https address, or a mailto for one without. */
const vapidSubject = (ctx: AppContext) =>
  ctx.config.publicUrl?.startsWith('https://') ? ctx.config.publicUrl : 'mailto:admin@parley.invalid';

/**
 * Pushes one message to each browser the person subscribed. A push service that says the
 * subscription is gone (404, 410) loses it; another failure is recorded on it. Pushes are not
 * retried: a late notification is worse than none.
 */
export async function deliverPush(ctx: AppContext, userId: string, message: PushMessage): Promise<void> {
  const subs = await ctx.db
    .selectFrom('push_subscriptions')
    .selectAll()
    .where('user_id', '=', userId)
    .execute();
  if (!subs.length) return;
  const keys = await vapidKeys(ctx);
  const payload = JSON.stringify(message);
  for (const sub of subs) {
    const details = webpush.generateRequestDetails(
      { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
      payload,
      {
        vapidDetails: { subject: vapidSubject(ctx), publicKey: keys.publicKey, privateKey: keys.privateKey },
        TTL: 3600,
        contentEncoding: 'aes128gcm',
        urgency: message.kind === 'handoff' || message.kind === 'waiting' ? 'high' : 'normal',
        topic: message.tag.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32),
      },
    );
    const headers = Object.fromEntries(Object.entries(details.headers).map(([k, v]) => [k, String(v)]));
    const result = await sendWebhook({
      url: details.endpoint,
      headers,
      body: details.body ?? '',
      allowPrivate: Boolean(ctx.config.webhookAllowPrivate),
      timeoutMs: 10_000,
      excerptBytes: 200,
    });
    if (result.statusCode === 404 || result.statusCode === 410)
      await ctx.db.deleteFrom('push_subscriptions').where('id', '=', sub.id).execute();
    else
      await ctx.db
        .updateTable('push_subscriptions')
        .set({
          last_error: result.ok ? null : (result.error ?? `The push service answered ${result.statusCode}`),
        })
        .where('id', '=', sub.id)
        .execute();
  }
}

export async function myMentions(ctx: AppContext, auth: Auth, limit: number) {
  const rows = await tenant(ctx.db, auth)
    .selectFrom('mentions')
    .selectAll()
    .where('user_id', '=', person(auth))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    object: 'mention' as const,
    conversation_id: r.conversation_id,
    message_id: r.message_id,
    by_user_id: r.by_user_id,
    excerpt: r.excerpt,
    created_at: r.created_at,
    read_at: r.read_at,
  }));
}

export async function readMyMentions(ctx: AppContext, auth: Auth) {
  const result = await tenant(ctx.db, auth)
    .updateTable('mentions')
    .set({ read_at: ctx.clock.now().toISOString() })
    .where('user_id', '=', person(auth))
    .where('read_at', 'is', null)
    .executeTakeFirst();
  return { read: Number(result.numUpdatedRows ?? 0) };
}

/** A person's digest choice, for the digest job. */
export async function digestFrequencyOf(ctx: AppContext, userId: string): Promise<DigestFrequency> {
  return (await settingsOf(ctx.db, [userId])).get(userId)!.email_digest;
}
