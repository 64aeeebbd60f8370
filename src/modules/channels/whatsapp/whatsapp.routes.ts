import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import { safeEqual } from '../../../platform/crypto.ts';
import { ApiError } from '../../../platform/errors.ts';
import { InvalidJsonBody, malformedJson } from '../../../platform/http/register.ts';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../platform/http/route.ts';
import { describe, idOf } from '../../../platform/http/schemas.ts';
import type { ChannelType } from '../kinds.ts';
import { acceptInbound, hookChannel, verifyOrThrow } from '../providers.inbound.ts';

/**
 * Meta's verify handshake, shared by every Meta channel (WhatsApp, Messenger, Instagram): echoes
 * `hub.challenge` when `hub.verify_token` is the channel's; 403 otherwise.
 */
export async function metaHandshake(
  ctx: AppContext,
  channelId: string,
  query: z.infer<typeof handshakeQuery>,
  types?: ChannelType[],
) {
  const channel = await metaHookChannel(ctx, channelId, types);
  const expected = channel.credentials.verify_token;
  const given = query['hub.verify_token'];
  if (
    query['hub.mode'] !== 'subscribe' ||
    !expected ||
    !given ||
    !safeEqual(given, expected) ||
    query['hub.challenge'] === undefined
  ) {
    throw new ApiError('forbidden', 'The verify token does not match this channel.');
  }
  return { status: 200, body: query['hub.challenge'], contentType: 'text/plain; charset=utf-8' };
}

/** A Meta channel of one of `types` (any Meta channel when not given); 404 otherwise. */
async function metaHookChannel(ctx: AppContext, channelId: string, types?: ChannelType[]) {
  const channel = await hookChannel(ctx, channelId, ['meta']);
  if (types && !types.includes(channel.type))
    throw new ApiError('not_found', `No channel ${channelId} for this webhook.`);
  return channel;
}

/**
 * A Meta webhook, shared by every Meta channel: `X-Hub-Signature-256` verified over the raw body
 * before anything else (401, nothing stored), then the payload stored as it came and processed by a job.
 */
export async function acceptMetaWebhook(
  ctx: AppContext,
  channelId: string,
  rawBody: Buffer,
  request: { headers: Record<string, string | string[] | undefined>; url: string; body: unknown },
  types?: ChannelType[],
) {
  const channel = await metaHookChannel(ctx, channelId, types);
  verifyOrThrow(ctx, channel, { rawBody, headers: request.headers, url: request.url, body: request.body });
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/json') throw new ApiError('unsupported_media_type', 'Meta webhooks are JSON.');
  if (request.body instanceof InvalidJsonBody) throw malformedJson(request.body.reason);
  await acceptInbound(
    ctx,
    channel,
    channel.type === 'whatsapp' ? 'whatsapp' : channel.type,
    'application/json',
    rawBody,
  );
  return { status: 200 as const };
}

const params = z.object({ channel_id: idOf('ch', 'The channel the webhook is for.') });

export const handshakeQuery = z.object({
  'hub.mode': describe(z.string().optional(), 'Always `subscribe` from Meta.', 'subscribe'),
  'hub.verify_token': describe(
    z.string().optional(),
    "The channel's verify_token, as typed in Meta's console.",
    'my-verify-token',
  ),
  'hub.challenge': describe(z.string().optional(), 'A value to echo back.', '1158201444'),
});

export const whatsappHookRoutes: AnyRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/hooks/whatsapp/:channel_id',
    summary: 'Meta webhook verification handshake',
    description:
      "Echoes `hub.challenge` as plain text when `hub.verify_token` matches the WhatsApp channel's; 403 otherwise (404 for a channel that is not WhatsApp).",
    ...providerWebhook,
    params,
    query: handshakeQuery,
    responses: { 200: null },
    errors: ['forbidden', 'not_found'],
    handler: ({ ctx, params, query }) => metaHandshake(ctx, params.channel_id, query, ['whatsapp']),
  }),
  defineRoute({
    method: 'POST',
    path: '/hooks/whatsapp/:channel_id',
    summary: 'Receive WhatsApp Cloud API webhooks',
    description:
      "Verifies `X-Hub-Signature-256` over the raw body before anything else (401 when it fails, nothing stored), stores the payload and answers 200 at once; messages, statuses and template reviews are processed by a job. A WhatsApp channel's hook only: any other channel is a 404 (Messenger and Instagram have `/hooks/meta/{channel_id}`), and messages for another `phone_number_id` than the channel's are ignored.",
    ...providerWebhook,
    params,
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type', 'validation_failed'],
    handler: ({ ctx, params, rawBody, request }) =>
      acceptMetaWebhook(ctx, params.channel_id, rawBody as Buffer, request, ['whatsapp']),
  }),
];
