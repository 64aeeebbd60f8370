import { z } from 'zod';
import { inScope } from '../../../platform/db/scope.ts';
import { ApiError } from '../../../platform/errors.ts';
import { type AnyRoute, defineRoute } from '../../../platform/http/route.ts';
import { describe, idParams } from '../../../platform/http/schemas.ts';
import { channelConfigOf, getChannelRow } from '../channels.service.ts';
import { runDoctor } from './whatsapp.doctor.ts';
import { channelHealth, channelHealthObject, healthOfChannels } from './whatsapp.health.ts';

const checkStatus = z.enum(['ok', 'warn', 'fail']);
const checkResult = z.object({
  object: describe(z.literal('channel_check'), 'Always `channel_check`.', 'channel_check'),
  channel_id: describe(z.string(), 'The channel checked.', 'ch_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  status: describe(checkStatus, 'The worst of the checks.', 'fail'),
  checks: describe(
    z.array(
      z.object({
        name: describe(
          z.enum(['token', 'subscription', 'number', 'webhook', 'graph_version']),
          'What was checked.',
          'subscription',
        ),
        status: describe(checkStatus, '`ok`, `warn` or `fail`.', 'fail'),
        message: describe(
          z.string(),
          'What Parley found, in plain words.',
          'No app is subscribed to this WhatsApp Business Account.',
        ),
        fix: describe(
          z.string().nullable(),
          'What to do about it (null when nothing).',
          'Subscribe your app: POST https://graph.facebook.com/v26.0/{waba_id}/subscribed_apps with the channel’s access token.',
        ),
      }),
    ),
    'One answer per check, in this order: token, subscription, number, webhook, graph_version.',
  ),
  checked_at: describe(z.string(), 'When.', '2026-11-25T10:00:00.000Z'),
});

const metaOnly = (row: { id: string; type: string; provider: string }) => {
  if (row.type !== 'whatsapp' || row.provider !== 'meta')
    throw new ApiError(
      'unprocessable',
      `Channel ${row.id} is not a WhatsApp channel on Meta's Cloud API: account health and the channel doctor are Meta's.`,
    );
};

export const channelHealthRoutes: AnyRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/channels/health',
    summary: "Account health of the workspace's WhatsApp channels",
    description:
      "Each WhatsApp (Meta) channel's account health, as `GET /v1/channels/{id}/health` gives it, with the channel's address. The inbox shows a banner for those not `ok`/`unknown`, so agents may read it (scope `conversations:read`).",
    tags: ['Channels'],
    auth: 'key',
    scope: 'conversations:read',
    responses: {
      200: z.object({
        object: describe(z.literal('list'), 'Always `list`.', 'list'),
        data: describe(
          z.array(
            channelHealthObject.extend({ address: describe(z.string(), 'The number.', '+15550783881') }),
          ),
          "Each WhatsApp channel's health (at most 100 channels).",
        ),
      }),
    },
    handler: async ({ ctx, auth }) => {
      const rows = await ctx.db
        .selectFrom('channels')
        .select(['id', 'address'])
        .where(inScope(auth))
        .where('type', '=', 'whatsapp')
        .where('provider', '=', 'meta')
        .orderBy('id')
        .limit(100)
        .execute();
      const health = await healthOfChannels(
        ctx.db,
        auth,
        rows.map((r) => r.id),
      );
      return {
        status: 200,
        body: {
          object: 'list' as const,
          data: rows.map((r) => ({ ...health.get(r.id)!, address: r.address })),
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/channels/:id/health',
    summary: "A WhatsApp channel's account health",
    description:
      "What Meta last said about the number and its account: quality rating, messaging limit tier (business-initiated conversations with unique users per 24 hours, which broadcasts are paced to), display name review, bans, violations and restrictions, with the problems in plain words and Meta's latest health webhooks (`phone_number_quality_update`, `phone_number_name_update`, `account_update`, `business_capability_update`). Channels other than WhatsApp on Meta are always `unknown`. `POST /v1/channels/{id}/check` reads it from Meta afresh.",
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:read',
    params: idParams('ch'),
    responses: { 200: channelHealthObject },
    handler: async ({ ctx, auth, params }) => {
      const row = await getChannelRow(ctx.db, auth, params.id);
      // Only Meta reports health: another channel's is `unknown`.
      return { status: 200, body: await channelHealth(ctx.db, row) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/channels/:id/check',
    summary: 'Run the channel doctor',
    description:
      "Asks Meta about everything the WhatsApp channel needs and answers each check with `ok`, `warn` or `fail` and what to do in plain words: the token (`GET /debug_token`: valid, with whatsapp_business_messaging and whatsapp_business_management, not about to expire), the app's subscription to the account (`GET /{waba_id}/subscribed_apps`), the number (`GET /{phone_number_id}`: registered on the Cloud API and connected; its quality, tier and name are stored as the channel's health), the webhook (Parley's hook URL under `PARLEY_PUBLIC_URL` answers the verification handshake with the channel's verify token; the app's callback URL and webhook fields when Meta shows them) and the Graph API version (Meta's end of life). Always 200: a failing check is an answer, not an error.",
    tags: ['Channels'],
    auth: 'key',
    scope: 'channels:write',
    params: idParams('ch'),
    responses: { 200: checkResult },
    errors: ['unprocessable'],
    handler: async ({ ctx, auth, params }) => {
      const row = await getChannelRow(ctx.db, auth, params.id);
      metaOnly(row);
      return { status: 200, body: await runDoctor(ctx, channelConfigOf(ctx, row)) };
    },
  }),
];
