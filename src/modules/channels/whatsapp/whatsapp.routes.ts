import { z } from 'zod';
import { safeEqual } from '../../../platform/crypto.ts';
import { ApiError } from '../../../platform/errors.ts';
import { InvalidJsonBody, malformedJson } from '../../../platform/http/register.ts';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../platform/http/route.ts';
import { describe, idOf } from '../../../platform/http/schemas.ts';
import { acceptInbound, hookChannel, verifyOrThrow } from '../providers.inbound.ts';

const params = z.object({ channel_id: idOf('ch', 'The channel the webhook is for.') });

const handshakeQuery = z.object({
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
      'Echoes `hub.challenge` as plain text when `hub.verify_token` matches the channel; 403 otherwise.',
    ...providerWebhook,
    params,
    query: handshakeQuery,
    responses: { 200: null },
    errors: ['forbidden', 'not_found'],
    handler: async ({ ctx, params, query }) => {
      const channel = await hookChannel(ctx, params.channel_id, ['meta']);
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
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/hooks/whatsapp/:channel_id',
    summary: 'Receive WhatsApp Cloud API webhooks',
    description:
      'Verifies `X-Hub-Signature-256` over the raw body before anything else (401 when it fails, nothing stored), stores the payload and answers 200 at once; messages, statuses and template reviews are processed by a job.',
    ...providerWebhook,
    params,
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type', 'validation_failed'],
    handler: async ({ ctx, params, rawBody, request }) => {
      const channel = await hookChannel(ctx, params.channel_id, ['meta']);
      verifyOrThrow(ctx, channel, {
        rawBody: rawBody as Buffer,
        headers: request.headers,
        url: request.url,
        body: request.body,
      });
      const type = String(request.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (type !== 'application/json')
        throw new ApiError('unsupported_media_type', 'Meta webhooks are JSON.');
      if (request.body instanceof InvalidJsonBody) throw malformedJson(request.body.reason);
      await acceptInbound(ctx, channel, 'whatsapp', 'application/json', rawBody as Buffer);
      return { status: 200 };
    },
  }),
];
