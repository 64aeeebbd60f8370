import { z } from 'zod';
import { ApiError } from '../../../platform/errors.ts';
import { InvalidJsonBody, malformedJson } from '../../../platform/http/register.ts';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../platform/http/route.ts';
import { idOf } from '../../../platform/http/schemas.ts';
import { acceptInbound, hookChannel, verifyOrThrow } from '../providers.inbound.ts';

const params = z.object({ channel_id: idOf('ch', 'The Telegram channel the update is for.') });

/** The webhook Parley gives Telegram with `setWebhook` when a Telegram channel is created. */
export const telegramHookRoutes: AnyRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/hooks/telegram/:channel_id',
    summary: 'Receive Telegram bot updates',
    description:
      "Checks `X-Telegram-Bot-Api-Secret-Token` against the channel's generated webhook secret before anything else (401 when it fails, nothing stored), stores the update as it came and answers 200 at once; messages, edits and callback button taps are processed by a job. An update Telegram sends again is stored once.",
    ...providerWebhook,
    params,
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type', 'validation_failed'],
    handler: async ({ ctx, params, rawBody, request }) => {
      const channel = await hookChannel(ctx, params.channel_id, ['telegram']);
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
        throw new ApiError('unsupported_media_type', 'Telegram updates are JSON.');
      if (request.body instanceof InvalidJsonBody) throw malformedJson(request.body.reason);
      await acceptInbound(ctx, channel, 'telegram', 'application/json', rawBody as Buffer);
      return { status: 200 as const };
    },
  }),
];
