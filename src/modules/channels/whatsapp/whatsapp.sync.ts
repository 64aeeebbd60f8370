import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import { inPartialScope } from '../../../platform/db/scope.ts';
import { ApiError } from '../../../platform/errors.ts';
import { type AnyRoute, defineRoute } from '../../../platform/http/route.ts';
import { describe, idParams } from '../../../platform/http/schemas.ts';
import { defineJob } from '../../../platform/queue/queue.ts';
import { adapterFor, inboundReceiver } from '../adapters.ts';
import { ChannelSendError } from '../channel-adapter.ts';
import { channelConfigOf, getChannelRow } from '../channels.service.ts';
import type { ChannelRow } from '../channels.tables.ts';
import type { WhatsAppAdapter } from './whatsapp.adapter.ts';

/**
 * Template sync: a business bringing its WhatsApp Business Account brings its templates. Parley
 * reads them all from Meta (`GET /{waba_id}/message_templates`, paged) and adopts each with its
 * real status, category, quality, language and components; nothing is submitted again. On
 * demand (`POST /v1/channels/{id}/templates/sync`) and every 6 hours for each live Meta channel.
 */

export const SYNC_EVERY_MS = 6 * 3_600_000;

export const syncTemplatesJob = defineJob({
  name: 'providers.sync_templates',
  payload: z.object({ channelId: z.string() }),
  maxAttempts: 3,
  concurrency: 1,
  timeoutMs: 10 * 60_000,
});

export interface SyncResult {
  object: 'template_sync';
  channel_id: string;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: Array<{ name: string; language: string; reason: string }>;
}

export async function syncChannelTemplates(ctx: AppContext, row: ChannelRow): Promise<SyncResult> {
  if (row.type !== 'whatsapp' || row.provider !== 'meta')
    throw new ApiError(
      'unprocessable',
      `Channel ${row.id} is not a WhatsApp channel on Meta's Cloud API: only those hold templates to sync.`,
    );
  const adapter = adapterFor(ctx, 'meta') as WhatsAppAdapter | undefined;
  if (!adapter?.listTemplates) throw new ApiError('channel_not_configured', 'No WhatsApp adapter is set up.');
  const channel = channelConfigOf(ctx, row);
  let readings: Awaited<ReturnType<WhatsAppAdapter['listTemplates']>>;
  try {
    readings = await adapter.listTemplates(channel);
  } catch (err) {
    if (!(err instanceof ChannelSendError)) throw err;
    if (err.code === 'channel_not_configured') throw new ApiError('channel_not_configured', err.message);
    throw new ApiError('provider_error', `Meta did not answer the template list: ${err.message}`);
  }
  const adopted = readings.flatMap((r) => (r.ok ? [r.template] : []));
  const skipped = readings.flatMap((r) =>
    r.ok ? [] : [{ name: r.name, language: r.language, reason: r.reason }],
  );
  const counts = await inboundReceiver(ctx).adoptTemplates(
    { workspaceId: row.workspace_id, livemode: row.livemode === 1 },
    adopted,
  );
  return { object: 'template_sync', channel_id: row.id, fetched: readings.length, ...counts, skipped };
}

const syncResult = z.object({
  object: describe(z.literal('template_sync'), 'Always `template_sync`.', 'template_sync'),
  channel_id: describe(z.string(), 'The channel synced.', 'ch_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  fetched: describe(z.number().int(), 'Templates read from the WhatsApp Business Account.', 42),
  created: describe(z.number().int(), 'Templates Parley did not have, now stored.', 40),
  updated: describe(z.number().int(), 'Templates Parley had, updated to what Meta holds.', 1),
  unchanged: describe(z.number().int(), 'Templates already as Meta holds them.', 0),
  skipped: describe(
    z.array(
      z.object({
        name: describe(z.string(), 'Template name.', 'location_offer'),
        language: describe(z.string(), 'Language.', 'en_US'),
        reason: describe(
          z.string(),
          'Why Parley did not adopt it.',
          'a LOCATION header is not one Parley can send',
        ),
      }),
    ),
    'Templates Parley cannot send as they are (a location header, a copy-code, OTP, flow or catalog button, a carousel), with why.',
  ),
});

export const templateSyncRoutes: AnyRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/v1/channels/:id/templates/sync',
    summary: "Sync a WhatsApp channel's templates from Meta",
    description:
      "Reads every template of the channel's WhatsApp Business Account from Meta (`GET /{waba_id}/message_templates`, paged) and adopts each with its real status, category, quality rating, language and components: new ones are stored, known ones (same name and language) updated, nothing is submitted for review again. Templates Parley cannot send as they are come back in `skipped` with the reason. 422 `channel_not_configured` when the token lacks `whatsapp_business_management` or has expired (the message says what to fix). Also runs every 6 hours for each live Meta channel.",
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:write',
    params: idParams('ch'),
    responses: { 200: syncResult },
    errors: ['channel_not_configured', 'unprocessable', 'provider_error'],
    handler: async ({ ctx, auth, params }) => {
      const row = await getChannelRow(ctx.db, auth, params.id);
      return { status: 200, body: await syncChannelTemplates(ctx, row) };
    },
  }),
];

/** The sync job, and a timer that enqueues one per live Meta WhatsApp channel every 6 hours. */
export function registerScheduledTemplateSync(ctx: AppContext) {
  ctx.queue.register(syncTemplatesJob, async ({ channelId }) => {
    const row = await ctx.db
      .selectFrom('channels')
      .selectAll()
      .where('id', '=', channelId)
      .executeTakeFirst();
    if (row?.status !== 'active') return;
    try {
      await syncChannelTemplates(ctx, row);
    } catch (err) {
      // A token without the permission is the operator's to fix (the channel doctor says so).
      if (err instanceof ApiError && err.status < 500) {
        ctx.logger.warn({ channel: channelId, err: err.message }, 'template sync refused');
        return;
      }
      throw err;
    }
  });
}

export async function enqueueScheduledSyncs(ctx: AppContext): Promise<number> {
  const rows = await ctx.db
    .selectFrom('channels')
    .select('id')
    .where('type', '=', 'whatsapp')
    .where('provider', '=', 'meta')
    .where('status', '=', 'active')
    // Live channels of every workspace (a test-mode channel has no WhatsApp account to read).
    .where(inPartialScope({ livemode: true }))
    .execute();
  for (const r of rows) await ctx.queue.enqueue(ctx.db, syncTemplatesJob, { channelId: r.id });
  return rows.length;
}
