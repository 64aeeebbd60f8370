import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../../platform/context.ts';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../platform/http/route.ts';
import { idOf } from '../../../platform/http/schemas.ts';
import { acceptInbound, twilioHookChannel, verifyOrThrow } from '../providers.inbound.ts';
import { smsChannelOf } from './sms-on-voice.ts';

const params = z.object({ channel_id: idOf('ch', 'The channel the webhook is for.') });
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** The URL Twilio signed: the configured public URL plus the path, else the request's own scheme and host. */
export function publicUrlOf(ctx: AppContext, request: FastifyRequest): string {
  if (ctx.config.publicUrl) return `${ctx.config.publicUrl.replace(/\/$/, '')}${request.url}`;
  return `${request.protocol}://${request.host}${request.url}`;
}

function verified(ctx: AppContext, request: FastifyRequest, rawBody: Buffer | undefined) {
  return async (channelId: string) => {
    const channel = await twilioHookChannel(ctx, channelId, request.headers['content-type']);
    verifyOrThrow(ctx, channel, {
      rawBody: rawBody as Buffer,
      headers: request.headers,
      url: publicUrlOf(ctx, request),
      body: request.body,
    });
    return channel;
  };
}

const hook = (suffix: 'sms' | 'status', summary: string, description: string) =>
  defineRoute({
    method: 'POST',
    path: `/hooks/twilio/:channel_id/${suffix}`,
    summary,
    description,
    ...providerWebhook,
    params,
    contentTypes: ['application/x-www-form-urlencoded'],
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type', 'channel_not_configured'],
    handler: async ({ ctx, params, rawBody, request }) => {
      const hooked = await verified(ctx, request, rawBody)(params.channel_id);
      const channel = suffix === 'sms' ? await smsChannelOf(ctx, hooked) : hooked;
      await acceptInbound(ctx, channel, suffix, 'application/x-www-form-urlencoded', rawBody as Buffer);
      return { status: 200, body: EMPTY_TWIML, contentType: 'text/xml; charset=utf-8' };
    },
  });

export const twilioHookRoutes: AnyRoute[] = [
  hook(
    'sms',
    'Receive inbound SMS from Twilio',
    "Verifies `X-Twilio-Signature`, stores the message and answers empty TwiML; STOP/START keywords set or clear the contact's opt-out.",
  ),
  hook(
    'status',
    'Receive Twilio message status callbacks',
    'Verifies `X-Twilio-Signature`; `sent`, `delivered`, `read`, `undelivered` and `failed` advance the message (never backwards).',
  ),
];
