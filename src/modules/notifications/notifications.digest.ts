import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { adapterFor, channelConfigOf, findChannelForSend } from '../channels/index.ts';
import { userRow } from '../users/index.ts';
import type { NotificationKind } from './notifications.kinds.ts';

/**
 * Email digests: a person who chose `email_digest: hourly` or `daily` gets the notifications they
 * asked for gathered into one email per period, sent through the workspace's email channel (its
 * SMTP settings, live whichever mode the notification came from). A notification joins exactly one digest: a digest takes the pending items with
 * one UPDATE guarded by `digest_id IS NULL` in its own transaction, so two workers never take the
 * same item (PostgreSQL re-checks the row it waited for; SQLite has one writer). A digest is sent
 * by the one worker whose UPDATE claimed it (`claimed_at`), and marked sent once the mail server
 * took it; a failed send gives the claim back for the next attempt, and a claim left by a worker
 * that died is taken back after 10 minutes (then a resend is possible: the Message-ID is the
 * digest's id, so it is recognisable).
 */

export type DigestFrequency = 'off' | 'hourly' | 'daily';

/** In the event's transaction: keeps the notification for the person's next digest. */
export async function keepForDigest(
  trx: Trx,
  scope: Scope,
  userId: string,
  message: { kind: NotificationKind; title: string; body: string; url: string },
  at: string,
): Promise<void> {
  await trx
    .insertInto('notification_digest_items')
    .values({
      ...newRow('ndi', scope),
      user_id: userId,
      kind: message.kind,
      title: message.title.slice(0, 300),
      body: message.body.slice(0, 1000),
      url: message.url,
      created_at: at,
      digest_id: null,
    })
    .execute();
}

/** The start of the period `at` is in: the hour, or the day (UTC). */
export function periodStart(at: Date, frequency: Exclude<DigestFrequency, 'off'>): string {
  const iso = at.toISOString();
  return frequency === 'hourly' ? `${iso.slice(0, 13)}:00:00.000Z` : `${iso.slice(0, 10)}T00:00:00.000Z`;
}

/**
 * Gathers each person's items from periods that have ended into one digest, then sends every
 * digest not sent yet. `frequencyOf` reads a person's choice (off: their items wait, unsent).
 */
export async function runDigests(
  ctx: AppContext,
  frequencyOf: (userId: string) => Promise<DigestFrequency>,
): Promise<void> {
  const now = ctx.clock.now();
  const pending = await ctx.db
    .selectFrom('notification_digest_items')
    .select(['user_id', 'workspace_id', 'livemode'])
    .distinct()
    .where('digest_id', 'is', null)
    .execute();
  for (const p of pending) {
    const frequency = await frequencyOf(p.user_id);
    if (frequency === 'off') continue;
    const before = periodStart(now, frequency);
    const scope: Scope = { workspaceId: p.workspace_id, livemode: p.livemode === 1 };
    await ctx.transaction(async (tx) => {
      const digest = { ...newRow('ndg', scope), user_id: p.user_id };
      const taken = await tx.db
        .updateTable('notification_digest_items')
        .set({ digest_id: digest.id })
        .where('user_id', '=', p.user_id)
        .where('digest_id', 'is', null)
        .where('created_at', '<', before)
        .executeTakeFirst();
      const count = Number(taken.numUpdatedRows ?? 0);
      if (count === 0) return;
      await tx.db
        .insertInto('notification_digests')
        .values({
          ...digest,
          item_count: count,
          created_at: now.toISOString(),
          claimed_at: null,
          sent_at: null,
          error: null,
        })
        .execute();
    });
  }
  const unsent = await ctx.db
    .selectFrom('notification_digests')
    .selectAll()
    .where('sent_at', 'is', null)
    .execute();
  let failed: Error | undefined;
  for (const d of unsent) {
    if (!(await claim(ctx, d.id))) continue;
    try {
      await sendDigest(ctx, d);
      await ctx.db
        .updateTable('notification_digests')
        .set({ sent_at: ctx.clock.now().toISOString(), error: null })
        .where('id', '=', d.id)
        .execute();
    } catch (err) {
      failed = err as Error;
      await ctx.db
        .updateTable('notification_digests')
        .set({ claimed_at: null, error: String((err as Error).message).slice(0, 500) })
        .where('id', '=', d.id)
        .execute();
    }
  }
  // A failed send is tried again with the job's next attempt (the digest keeps its items).
  if (failed) throw failed;
}

/** Takes a digest to send: one worker wins (the UPDATE's guard); an abandoned claim is taken back. */
async function claim(ctx: AppContext, id: string): Promise<boolean> {
  const now = ctx.clock.now();
  const stale = new Date(now.getTime() - CLAIM_MS).toISOString();
  const res = await ctx.db
    .updateTable('notification_digests')
    .set({ claimed_at: now.toISOString() })
    .where('id', '=', id)
    .where('sent_at', 'is', null)
    .where((eb) => eb.or([eb('claimed_at', 'is', null), eb('claimed_at', '<', stale)]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows ?? 0) === 1;
}
const CLAIM_MS = 10 * 60_000;

async function sendDigest(
  ctx: AppContext,
  d: { id: string; workspace_id: string; livemode: number; user_id: string; item_count: number },
): Promise<void> {
  const scope: Scope = { workspaceId: d.workspace_id, livemode: d.livemode === 1 };
  const user = await userRow(ctx.db, scope, d.user_id);
  const items = await tenant(ctx.db, scope)
    .selectFrom('notification_digest_items')
    .selectAll()
    .where('digest_id', '=', d.id)
    .orderBy('created_at', 'asc')
    .execute();
  // A digest goes to a person of the team, not a customer: always through the live email channel
  // (its SMTP settings), whichever mode the notifications came from.
  const row = await findChannelForSend(ctx.db, { ...scope, livemode: true }, { type: 'email' });
  if (!user?.email || !row)
    throw new Error('No email channel (SMTP) is set up in this workspace, or the person has no email.');
  const channel = channelConfigOf(ctx, row);
  const adapter = adapterFor(ctx, channel.provider);
  if (!adapter) throw new Error(`No adapter for ${channel.provider}.`);
  const base = ctx.config.publicUrl?.replace(/\/$/, '') ?? '';
  const lines = items.map((i) => `• ${i.title}${i.body ? `\n  ${i.body}` : ''}\n  ${base}${i.url}`);
  await adapter.send(channel, {
    id: d.id,
    to: user.email,
    type: 'text',
    subject: `Parley: ${items.length} notification${items.length === 1 ? '' : 's'} for you`,
    text: `Hello ${user.name ?? ''},\n\nWhat happened in your inbox:\n\n${lines.join('\n\n')}\n\nChange how you are told in the inbox: Me → Notifications.\n`,
  });
}
