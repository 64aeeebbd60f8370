import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { isStorageUnavailable } from '../../platform/db/database.ts';
import type { Tx } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';
import { type BatchItem, exponentialBackoff } from '../../platform/queue/queue.ts';
import { CONVERSATION_ATTR, childSpan } from '../../platform/tracing.ts';
import type { ChannelRow } from '../channels/index.ts';
import {
  adapterFor,
  type ChannelAdapter,
  type ChannelConfig,
  ChannelSendError,
  channelConfigOf,
  channelKinds,
  channelsByIds,
  type OutboundMessage,
  type OutboundType,
  sandboxAdapter,
} from '../channels/index.ts';
import { setContactOptOut } from '../contacts/index.ts';
import { contactIdOfConversation, conversationWindowExpiry } from '../conversations/index.ts';
import { getMediaFile } from '../media/index.ts';
import { MARKETING_STOPPED_CODE, marketingStoppedBySend } from './consents.ts';
import type { InteractiveInput } from './content.ts';
import { applyEarlyStatuses } from './inbound.service.ts';
import { MESSAGES_PER_JOB, messageIdsOf, sandboxAdvanceJob, sendJob } from './messaging.jobs.ts';
import {
  applyStatusesInTx,
  applyStatusInTx,
  type StatusUpdate,
  type StoredMedia,
  type StoredTemplate,
} from './messaging.service.ts';
import type { MessageRow } from './messaging.tables.ts';
import { outboundMediaOf } from './uploaded-media.ts';

/** Provider attempts before a retryable failure becomes final. */
export const SEND_ATTEMPTS = 5;
const retryDelay = exponentialBackoff(500, 5 * 60_000);
/** How soon the sandbox reports delivered, then read. */
export const SANDBOX_DELIVER_MS = 150;
export const SANDBOX_READ_MS = 400;

/**
 * A message or template header naming a file uploaded to Parley (`media_id`) carries the file's
 * bytes to the adapter: WhatsApp uploads them to Meta. Other providers fetch media by URL, so
 * such a message fails there with what to do.
 */
async function attachHeaderUpload(ctx: AppContext, row: MessageRow, out: OutboundMessage) {
  const headerId = fromJson<StoredTemplate | null>(row.template, null)?.header_media?.media_id;
  if (!headerId || !out.template?.headerMedia) return;
  const scope = { workspaceId: row.workspace_id, livemode: row.livemode === 1 };
  const f = await getMediaFile(ctx.db, scope, headerId);
  out.template.headerMedia.file = {
    content: Buffer.from(f.content_base64, 'base64'),
    mimeType: f.mime_type,
    sha256: f.sha256,
    ...(f.filename ? { filename: f.filename } : {}),
  };
}

function outboundOf(row: MessageRow): OutboundMessage {
  const out: OutboundMessage = { id: row.id, to: row.to_address, type: row.type as OutboundType };
  if (row.text !== null && row.type === 'text') out.text = row.text;
  if (row.template) {
    const t = fromJson<StoredTemplate>(row.template, {
      name: '',
      language: '',
      variables: [],
      rendered_body: '',
    });
    out.template = {
      name: t.name,
      language: t.language,
      renderedBody: t.rendered_body,
      bodyParameters: t.variables,
      ...(t.named ? { namedParameters: t.named } : {}),
      ...(t.header_values?.length ? { headerParameters: t.header_values } : {}),
      ...(t.header_named ? { headerNamedParameters: t.header_named } : {}),
      ...(t.header_media ? { headerMedia: t.header_media } : {}),
      ...(t.buttons?.length
        ? { buttonParameters: t.buttons.map((b) => ({ index: b.index, subType: b.sub_type, text: b.value })) }
        : {}),
    };
  }
  if (row.interactive) {
    const { type, body, ...parts } = fromJson<InteractiveInput>(row.interactive, {
      type: 'button',
      body: '',
    });
    out.interactive = { ...parts, kind: type, body: body ?? '' };
  }
  if (row.reply_to_provider_id) out.replyToProviderId = row.reply_to_provider_id;
  return out;
}

/**
 * An email reply's subject and References: the cited customer message's subject with "Re: "
 * (kept once), and its References followed by its own Message-ID (RFC 5322 section 3.6.4).
 */
async function emailThreadOf(
  ctx: AppContext,
  row: MessageRow,
): Promise<Pick<OutboundMessage, 'subject' | 'references'>> {
  if (!row.reply_to_provider_id) return {};
  const cited = await ctx.db
    .selectFrom('messages')
    .select(['interactive', 'provider_message_id'])
    .where('channel_id', '=', row.channel_id)
    .where('provider_message_id', '=', row.reply_to_provider_id)
    .executeTakeFirst();
  if (!cited) return { references: [row.reply_to_provider_id] };
  const payload = fromJson<{ subject?: string; references?: string[] }>(cited.interactive, {});
  const subject = payload.subject?.trim();
  // Long threads keep the first reference and the latest ones (RFC 5322 allows trimming).
  const chain = [...(payload.references ?? []), row.reply_to_provider_id];
  const references = chain.length > 20 ? [chain[0], ...chain.slice(-19)] : chain;
  return {
    ...(subject ? { subject: /^re:/i.test(subject) ? subject : `Re: ${subject}` } : {}),
    references,
  };
}

async function fail(
  ctx: AppContext,
  row: MessageRow,
  code: string,
  message: string,
  optOut = false,
  providerCode?: string,
  channelType?: string,
) {
  await ctx.transaction(async (tx) => {
    await applyStatusInTx(tx, row.id, { status: 'failed', at: ctx.clock.now(), error: { code, message } });
    // The provider says the recipient unsubscribed (Twilio 21610): no later send should try.
    if (optOut) await optOutRecipient(tx, row);
    // Meta 131050: the customer stopped marketing messages only (the consent ledger says so).
    if (providerCode === MARKETING_STOPPED_CODE && channelType)
      await marketingStoppedBySend(tx, row, channelType, ctx.clock.now());
  });
}

async function optOutRecipient(tx: Tx, row: MessageRow) {
  const contactId = await contactIdOfConversation(tx.db, row.conversation_id);
  if (!contactId) return;
  const scope = { workspaceId: row.workspace_id, livemode: row.livemode === 1 };
  await setContactOptOut(tx, scope, contactId, true, { type: 'system', id: null });
}

type SendPayload = { messageIds?: string[]; messageId?: string; attempt: number };

/** Status changes written per transaction by the send and sandbox jobs. */
const MESSAGES_PER_TX = 100;

/**
 * Messages handed to providers per step of a batch: a step marks its messages "handed to the
 * provider" with one UPDATE, sends them, and records their answers, so a process that dies
 * leaves at most one step per batch with an unknown outcome.
 */
const MESSAGES_PER_STEP = MESSAGES_PER_TX;

/** Provider sends in flight at once per batch of jobs. */
const SEND_CONCURRENCY = 32;

/** How long a batch keeps trying to record its provider answers while the database is out of reach. */
const RECORD_PATIENCE_MS = 30_000;

/** The error of a message handed to its provider by a run that died before recording the answer. */
export const OUTCOME_UNKNOWN = {
  code: 'send_outcome_unknown',
  message:
    'Parley stopped after handing this message to the provider and before recording its answer: the message may or may not have been sent, so Parley did not send it again.',
};

interface SendTarget {
  channel: ChannelConfig;
  adapter: ChannelAdapter;
}

/**
 * What must hold before a queued message is handed to its provider: an active channel, an
 * adapter for it, and a pacing slot. Returns the target, or null when the message's outcome is
 * already handled (failed, or re-scheduled by pacing without counting an attempt).
 */
async function prepareSend(
  ctx: AppContext,
  row: MessageRow,
  channelRow: ChannelRow | undefined,
  attempt: number,
): Promise<SendTarget | null> {
  if (channelRow?.status !== 'active') {
    await fail(
      ctx,
      row,
      'channel_not_configured',
      'The channel of this message was deleted or disabled before it was sent.',
    );
    return null;
  }
  const channel = channelConfigOf(ctx, channelRow);
  const adapter: ChannelAdapter | undefined =
    // The website widget is Parley's own: test mode delivers to its visitors as live does.
    row.livemode === 1 || channel.provider === 'widget' ? adapterFor(ctx, channel.provider) : sandboxAdapter;
  if (!adapter) {
    await fail(
      ctx,
      row,
      'channel_not_configured',
      `No adapter for provider ${channel.provider} is installed.`,
    );
    return null;
  }
  const wait = adapter.reserveSendSlot?.(channel, row.to_address, Date.now()) ?? 0;
  if (wait > 0) {
    // Not marked as handed to the provider yet, so the later job sends it as any other.
    await ctx.queue.enqueue(ctx.db, sendJob, { messageIds: [row.id], attempt }, { delayMs: wait });
    return null;
  }
  return { channel, adapter };
}

/**
 * Marks queued messages "handed to the provider" with one UPDATE per part, committed before
 * any of them is sent; returns the ones this run marked. A message another run marked (or
 * that left the queue) is not returned, so it is never handed over twice.
 */
export async function markSendStarted(ctx: AppContext, ids: string[]): Promise<Set<string>> {
  const at = ctx.clock.now().toISOString();
  const marked = new Set<string>();
  for (const part of chunked(ids)) {
    const rows = await ctx.db
      .updateTable('messages')
      .set({ send_started_at: at })
      .where('id', 'in', part)
      .where('status', '=', 'queued')
      .where('send_started_at', 'is', null)
      .returning('id')
      .execute();
    for (const r of rows) marked.add(r.id);
  }
  return marked;
}

/**
 * One delivery attempt of a message marked as handed to its provider. Returns the provider's
 * id when the provider took the message; otherwise it has already handled the outcome:
 * retryable provider errors put the message back in the queue (mark cleared) with backoff up to
 * SEND_ATTEMPTS, anything else fails the message.
 */
async function deliver(
  ctx: AppContext,
  row: MessageRow,
  { channel, adapter }: SendTarget,
  attempt: number,
): Promise<{ providerMessageId: string; sandboxed: boolean } | null> {
  try {
    const outbound = outboundOf(row);
    const media = fromJson<StoredMedia | null>(row.media, null);
    if (media)
      outbound.media = await outboundMediaOf(
        ctx.db,
        { workspaceId: row.workspace_id, livemode: row.livemode === 1 },
        media,
      );
    if (channel.type === 'email') Object.assign(outbound, await emailThreadOf(ctx, row));
    await attachHeaderUpload(ctx, row, outbound);
    // Messenger and Instagram: a person's reply after the 24 hours goes with Meta's HUMAN_AGENT tag
    // (only a person's send was accepted then; the AI's, an API key's or an automation's never is).
    if (channelKinds[channel.type].humanAgentHours !== null && row.sender_type === 'user') {
      const windowEnd = await conversationWindowExpiry(ctx.db, row.conversation_id);
      if (!windowEnd || windowEnd <= ctx.clock.now().toISOString()) outbound.humanAgent = true;
    }
    const { providerMessageId } = await childSpan(
      `send ${channel.provider}`,
      {
        'parley.channel.type': channel.type,
        'parley.channel.provider': adapter.provider,
        'parley.message_id': row.id,
        [CONVERSATION_ATTR]: row.conversation_id,
      },
      () => adapter.send(channel, outbound),
    );
    return { providerMessageId, sandboxed: adapter.provider === 'sandbox' };
  } catch (err) {
    const retryable = err instanceof ChannelSendError ? err.retryable : true;
    if (retryable && attempt < SEND_ATTEMPTS) {
      const delay = Math.max(
        err instanceof ChannelSendError ? (err.retryAfterMs ?? 0) : 0,
        retryDelay(attempt),
      );
      // The provider did not take it: back in the queue, unmarked, with its next attempt.
      await ctx.transaction(async (tx) => {
        await tx.db
          .updateTable('messages')
          .set({ send_started_at: null })
          .where('id', '=', row.id)
          .where('status', '=', 'queued')
          .execute();
        await ctx.queue.enqueue(
          tx.db,
          sendJob,
          { messageIds: [row.id], attempt: attempt + 1 },
          { delayMs: delay },
        );
      });
      return null;
    }
    if (err instanceof ChannelSendError) {
      await fail(ctx, row, err.code, err.message, err.recipientOptedOut, err.providerCode, channel.type);
      return null;
    }
    ctx.logger.error({ err, messageId: row.id }, 'message send failed');
    await fail(
      ctx,
      row,
      'provider_error',
      `Sending failed after ${attempt} attempts: ${(err as Error).message ?? String(err)}`,
    );
    return null;
  }
}

/**
 * Runs `write` again while the database is out of reach, for up to RECORD_PATIENCE_MS: the
 * provider has answered, and a record given up on becomes "outcome unknown" for those messages.
 * Writing again is safe: a status moves forward once, so a repeat changes nothing.
 */
async function patiently(ctx: AppContext, write: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + RECORD_PATIENCE_MS;
  for (;;) {
    try {
      return await write();
    } catch (err) {
      if (!isStorageUnavailable(err) || Date.now() >= deadline) throw err;
      ctx.logger.warn({ err: (err as Error).message }, 'recording sends: database unavailable, trying again');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Records the messages the providers took as `sent`, with their events (and sandbox steps). */
async function recordSent(ctx: AppContext, sent: Array<StatusUpdate & { sandboxed: boolean }>) {
  // In transactions of at most MESSAGES_PER_TX, so none holds the database for long.
  for (const part of chunked(sent, MESSAGES_PER_TX)) {
    await patiently(ctx, () =>
      ctx.transaction(async (tx) => {
        const applied = await applyStatusesInTx(tx, 'sent', ctx.clock.now(), part);
        // Statuses the provider sent before we stored its id (fast networks do) apply now.
        await applyEarlyStatuses(tx, applied);
        const sandboxed = new Set(part.filter((s) => s.sandboxed).map((s) => s.messageId));
        await enqueueAdvance(
          ctx,
          tx,
          applied.filter((r) => sandboxed.has(r.id)).map((r) => r.id),
          'delivered',
          SANDBOX_DELIVER_MS,
        );
      }),
    );
  }
}

/**
 * The `messages.send` job, worked in batches: a job names the messages of one accepted batch
 * (or one message), and the handler takes several jobs at once. The messages and their channels
 * are read with one query each. Then, MESSAGES_PER_STEP messages at a time: each is checked
 * (channel, adapter, pacing), the ones ready are marked "handed to the provider" with one
 * committed UPDATE, handed to their adapters (up to SEND_CONCURRENCY at a time), and the ones
 * the providers took are marked `sent` with their events (and, in the sandbox, one job for their
 * delivered step). A message that cannot be sent is that message's outcome only (retried or
 * failed on its own); a job fails only when its handling broke, and then runs again.
 *
 * Exactly once: a message found still queued but already marked was handed to its provider by
 * a run that died before recording the answer. Neither Meta nor Twilio takes an idempotency
 * key, so it is not sent again: it fails with `send_outcome_unknown` (as a send that timed out
 * does) and `message.failed` says so.
 */
export async function runSendBatch(
  ctx: AppContext,
  items: BatchItem<SendPayload>[],
): Promise<Array<Error | null>> {
  const work: Array<{ item: number; id: string; attempt: number }> = [];
  const seen = new Set<string>();
  items.forEach(({ payload }, item) => {
    for (const id of messageIdsOf(payload)) {
      if (seen.has(id)) continue;
      seen.add(id);
      work.push({ item, id, attempt: payload.attempt });
    }
  });
  const messages = new Map<string, MessageRow>();
  for (const part of chunked(work)) {
    const ids = part.map((w) => w.id);
    for (const row of await ctx.db.selectFrom('messages').selectAll().where('id', 'in', ids).execute())
      messages.set(row.id, row);
  }
  const channelIds = [...new Set([...messages.values()].map((r) => r.channel_id))];
  const channels = new Map((await channelsByIds(ctx.db, channelIds)).map((c) => [c.id, c]));
  const outcomes: Array<Error | null> = items.map(() => null);
  const failItem = (item: number, err: unknown) => {
    outcomes[item] = err instanceof Error ? err : new Error(String(err));
  };

  // Only a queued message is sent: one sent by an earlier run of this job is skipped, and one
  // an earlier run handed over without recording the answer has an unknown outcome.
  const queued = work.filter((w) => messages.get(w.id)?.status === 'queued');
  const unknown = queued.filter((w) => messages.get(w.id)!.send_started_at !== null);
  for (const part of chunked(unknown, MESSAGES_PER_TX)) {
    await ctx.transaction(async (tx) => {
      // Only from `queued`: a run still in flight for the same message (a paced or retried copy
      // of its job) may have recorded it `sent` since it was read; then it was sent, once.
      await applyStatusesInTx(
        tx,
        'failed',
        ctx.clock.now(),
        part.map((w) => ({ messageId: w.id, error: OUTCOME_UNKNOWN })),
        { type: 'system', id: null },
        ['queued'],
      );
    });
  }
  const fresh = queued.filter((w) => messages.get(w.id)!.send_started_at === null);

  for (const step of chunked(fresh, MESSAGES_PER_STEP)) {
    const ready: Array<{ w: (typeof work)[number]; row: MessageRow; target: SendTarget }> = [];
    for (const w of step) {
      const row = messages.get(w.id)!;
      try {
        const target = await prepareSend(ctx, row, channels.get(row.channel_id), w.attempt);
        if (target) ready.push({ w, row, target });
      } catch (err) {
        failItem(w.item, err);
      }
    }
    if (ready.length === 0) continue;
    const marked = await markSendStarted(
      ctx,
      ready.map((r) => r.row.id),
    );
    const handed = ready.filter((r) => marked.has(r.row.id));
    const sent: Array<StatusUpdate & { sandboxed: boolean }> = [];
    let next = 0;
    const worker = async () => {
      while (next < handed.length) {
        const { w, row, target } = handed[next++]!;
        try {
          const result = await deliver(ctx, row, target, w.attempt);
          if (result) sent.push({ messageId: row.id, ...result });
        } catch (err) {
          failItem(w.item, err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, handed.length) }, worker));
    await recordSent(ctx, sent);
  }
  return outcomes;
}

/** One sandbox step job per MESSAGES_PER_JOB messages. */
async function enqueueAdvance(
  ctx: AppContext,
  tx: Tx,
  ids: string[],
  status: 'delivered' | 'read',
  delayMs: number,
) {
  await ctx.queue.enqueueMany(
    tx.db,
    sandboxAdvanceJob,
    chunked(ids, MESSAGES_PER_JOB).map((messageIds) => ({
      payload: { messageIds, status },
      opts: { delayMs },
    })),
  );
}

/** The sandbox's status steps, in batches: delivered (then read scheduled), and read. */
export async function runSandboxAdvanceBatch(
  ctx: AppContext,
  items: BatchItem<{ messageIds?: string[]; messageId?: string; status: 'delivered' | 'read' }>[],
): Promise<void> {
  const of = (status: 'delivered' | 'read') => [
    ...new Set(items.filter((i) => i.payload.status === status).flatMap((i) => messageIdsOf(i.payload))),
  ];
  for (const status of ['delivered', 'read'] as const) {
    const ids = of(status);
    // In transactions of at most MESSAGES_PER_TX, so none holds the database for long.
    for (const part of chunked(ids, MESSAGES_PER_TX)) {
      await ctx.transaction(async (tx) => {
        const applied = await applyStatusesInTx(
          tx,
          status,
          ctx.clock.now(),
          part.map((messageId) => ({ messageId })),
        );
        if (status === 'delivered')
          await enqueueAdvance(
            ctx,
            tx,
            applied.map((r) => r.id),
            'read',
            SANDBOX_READ_MS,
          );
      });
    }
  }
}
