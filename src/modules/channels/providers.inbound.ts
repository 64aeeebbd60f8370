import { z } from 'zod';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db/schema.ts';
import { ApiError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { defineJob } from '../../platform/queue/queue.ts';
import { findContactByPhone, setContactOptOut } from '../contacts/index.ts';
import { adapterFor, inboundReceiver } from './adapters.ts';
import type { ChannelConfig, InboundBatch, ProviderName, RawInbound } from './channel-adapter.ts';
import { loadChannelConfig } from './channels.service.ts';
import { channelKinds } from './kinds.ts';
import './providers.tables.ts';
import { stripNul } from '../../platform/nul.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { markDeadLetter, notDeadLetter, parseStripped, processInboundRows } from './providers.dead-letter.ts';
import { applyHealthNotices } from './whatsapp/whatsapp.health.ts';

/**
 * The provider-facing side shared by every real channel: a hook route verifies the request,
 * then `acceptInbound` stores the exact payload and enqueues its processing in one transaction,
 * so the provider gets its 200 at once and nothing verified is lost. The job parses the stored
 * payload and hands it to the messaging module's receiver (`inboundReceiver(ctx).ingest`, which
 * dedups by provider id).
 */

export const processInboundJob = defineJob({
  name: 'providers.process_inbound',
  payload: z.object({ ids: z.array(z.string()).min(1) }),
  maxAttempts: 8,
  timeoutMs: 120_000,
  concurrency: 2,
});

// Hook requests read their channel on every call; a short cache spares the query and the
// credential decryption under load. Edits to a channel take effect within this long.
const CHANNEL_CACHE_MS = 5_000;

async function cachedChannel(ctx: AppContext, channelId: string): Promise<ChannelConfig> {
  const cache = ctx.modules.providers.hookChannels;
  const now = Date.now();
  const hit = cache.get(channelId);
  if (hit && now - hit.at < CHANNEL_CACHE_MS) return hit.channel;
  const channel = await loadChannelConfig(ctx, channelId);
  if (cache.size > 10_000) cache.clear();
  cache.set(channelId, { at: now, channel });
  return channel;
}

/** The channel a hook URL names, when it exists and speaks `provider`; 404 otherwise. */
export async function hookChannel(
  ctx: AppContext,
  channelId: string,
  providers: ProviderName[],
): Promise<ChannelConfig> {
  let channel: ChannelConfig;
  try {
    channel = await cachedChannel(ctx, channelId);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('not_found', `No channel ${channelId} here.`);
  }
  if (!providers.includes(channel.provider))
    throw new ApiError('not_found', `No channel ${channelId} for this provider.`);
  return channel;
}

/**
 * The Twilio channel a hook URL names (404 otherwise), once the request is form-encoded as every
 * Twilio webhook is (415 `unsupported_media_type` otherwise); its signature is the caller's to check.
 */
export async function twilioHookChannel(
  ctx: AppContext,
  channelId: string,
  contentType: string | undefined,
): Promise<ChannelConfig> {
  const channel = await hookChannel(ctx, channelId, ['twilio']);
  const type = String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new ApiError('unsupported_media_type', 'Twilio webhooks are form-encoded.');
  return channel;
}

/** Verifies with the channel's adapter; 401 `invalid_signature` (nothing stored) when it fails. */
export function verifyOrThrow(ctx: AppContext, channel: ChannelConfig, request: RawInbound) {
  const adapter = adapterFor(ctx, channel.provider);
  if (!adapter) throw new ApiError('channel_not_configured', `No adapter for provider ${channel.provider}.`);
  if (!request.rawBody || !adapter.verifyInbound(channel, request)) {
    throw new ApiError(
      'invalid_signature',
      'The request signature is missing or does not match this channel.',
    );
  }
}

export interface PendingInbound {
  row: Database['provider_inbound'];
  resolve: (r: { id: string; duplicate: boolean }) => void;
  reject: (err: unknown) => void;
}

/**
 * Stores a verified payload and enqueues its processing, atomically, before the provider gets
 * its 200. Requests arriving together are committed in one transaction with one job (SQLite has
 * one writer; a commit per webhook would cap ingest far below what providers burst). An exact
 * replay of a stored payload (a provider retry) is acknowledged without being stored again.
 */
export function acceptInbound(
  ctx: AppContext,
  channel: ChannelConfig,
  kind: string,
  contentType: string,
  rawBody: Buffer,
): Promise<{ id: string; duplicate: boolean }> {
  const binary = storedAsBase64(contentType);
  const row = {
    id: newId('inb'),
    channel_id: channel.id,
    workspace_id: channel.workspaceId,
    livemode: channel.livemode ? 1 : 0,
    provider: channel.provider,
    kind,
    content_type: contentType,
    // Text payloads lose any NUL here, so nothing stored can fail on it later (MIME and
    // multipart bodies are base64; what is parsed from them is stripped after parsing).
    raw_body: binary ? rawBody.toString('base64') : rawBody.toString('utf8').replaceAll('\u0000', ''),
    body_sha256: sha256Hex(rawBody),
    received_at: ctx.clock.now().toISOString(),
    processed_at: null,
    error: null,
  };
  return new Promise((resolve, reject) => {
    const pending = ctx.modules.providers.pendingInbound;
    if (!pending.queue) {
      pending.queue = [];
      setImmediate(() => void flush(ctx));
    }
    pending.queue.push({ row, resolve, reject });
  });
}

const MAX_BATCH = 200;

async function flush(ctx: AppContext) {
  const pending = ctx.modules.providers.pendingInbound;
  const all = pending.queue ?? [];
  pending.queue = undefined;
  for (const batch of chunked(all, MAX_BATCH)) {
    try {
      const outcome = await ctx.transaction(async (tx) => {
        await tx.db
          .insertInto('provider_inbound')
          .values(batch.map((p) => p.row))
          .onConflict((oc) => oc.columns(['channel_id', 'body_sha256']).doNothing())
          .execute();
        // Rows skipped as replays (of earlier payloads, or twins in this batch) are not ours.
        const kept = await tx.db
          .selectFrom('provider_inbound')
          .select('id')
          .where(
            'id',
            'in',
            batch.map((p) => p.row.id),
          )
          .execute();
        const stored = new Set(kept.map((r) => r.id));
        if (stored.size) await ctx.queue.enqueue(tx.db, processInboundJob, { ids: [...stored] });
        return batch.map((p) => stored.has(p.row.id));
      });
      for (const [n, p] of batch.entries()) p.resolve({ id: p.row.id, duplicate: !outcome[n] });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}

/** Payloads that may hold binary parts (files, 8-bit MIME) are stored base64; JSON and forms as text. */
const storedAsBase64 = (contentType: string) => /^(multipart\/|message\/rfc822)/i.test(contentType);

function bodyOf(contentType: string, raw: string): unknown {
  if (contentType === 'application/x-www-form-urlencoded')
    return Object.fromEntries(new URLSearchParams(raw));
  if (contentType === 'application/json') return JSON.parse(raw);
  // Multipart and MIME bodies are the adapter's to read from the raw bytes.
  return undefined;
}

/** Parses and ingests one stored payload; safe to run twice (ingest dedups by provider id). */
export async function processInbound(ctx: AppContext, id: string): Promise<void> {
  const row = await ctx.db.selectFrom('provider_inbound').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.processed_at) return;
  const finish = (error: string | null) =>
    ctx.db
      .updateTable('provider_inbound')
      .set({ processed_at: ctx.clock.now().toISOString(), error })
      .where('id', '=', id)
      .execute();

  let channel: ChannelConfig;
  try {
    channel = await loadChannelConfig(ctx, row.channel_id);
  } catch {
    // The channel was deleted after the payload arrived: nothing left to deliver it to.
    await finish('channel deleted');
    return;
  }
  const adapter = adapterFor(ctx, channel.provider);
  if (!adapter) throw new Error(`No adapter for provider ${channel.provider}`);
  let batch: InboundBatch;
  try {
    // A provider vouched for this text: a NUL in it costs the character, not the message.
    const body = stripNul(bodyOf(row.content_type, row.raw_body));
    batch = await parseStripped(adapter, channel, {
      rawBody: Buffer.from(row.raw_body, storedAsBase64(row.content_type) ? 'base64' : 'utf8'),
      headers: {},
      url: '',
      body,
      contentType: row.content_type,
    });
  } catch (err) {
    // A verified payload we cannot read stays stored as a dead letter; retrying would not help.
    await markDeadLetter(ctx, id, `unparseable: ${(err as Error).message}`);
    return;
  }
  await inboundReceiver(ctx).ingest(channel, batch);
  if (batch.health?.length) await applyHealthNotices(ctx, channel, batch.health);
  if (channelKinds[channel.type].optOutKeywords) await applyOptKeywords(ctx, channel, batch);
  await finish(null);
}

/**
 * A delivery failure because the recipient unsubscribed (Twilio 21610) opts the contact out.
 * (STOP / START messages are applied where they are stored, in the message's transaction.)
 */
async function applyOptKeywords(ctx: AppContext, channel: ChannelConfig, batch: InboundBatch) {
  const verdicts: Array<{ from: string; keyword: 'opt_out' | 'opt_in' }> = [];
  for (const s of batch.statuses) {
    if (!s.recipientOptedOut) continue;
    const to = await inboundReceiver(ctx).sentTo(channel.id, s.providerMessageId);
    if (to) verdicts.push({ from: to, keyword: 'opt_out' });
  }
  for (const { from, keyword } of verdicts) {
    const scope = {
      workspaceId: channel.workspaceId,
      livemode: channel.livemode,
      defaultCountry: (await workspaceTerms(ctx.db, channel.workspaceId)).defaultCountry,
    };
    const contact = await findContactByPhone(ctx.db, scope, from);
    if (!contact) continue;
    await ctx.transaction((tx) =>
      setContactOptOut(tx, scope, contact.id, keyword === 'opt_out', { type: 'customer', id: contact.id }),
    );
  }
}

/** Deletes processed payloads older than `days` (replays of those are still caught by provider-id dedup). */
export async function purgeProcessedInbound(ctx: AppContext, days = 7): Promise<void> {
  await inboundReceiver(ctx).purgeEarlyStatuses(days);
  const cutoff = new Date(ctx.clock.now().getTime() - days * 86_400_000).toISOString();
  await ctx.db
    .deleteFrom('provider_inbound')
    .where('processed_at', 'is not', null)
    .where(notDeadLetter)
    .where('received_at', '<', cutoff)
    .execute();
}

export function registerInboundJobs(ctx: AppContext) {
  ctx.queue.register(processInboundJob, async (payload, job) => {
    await processInboundRows(ctx, payload.ids, job, processInbound);
  });
}
