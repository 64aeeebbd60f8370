import { z } from 'zod';
import { ApiError } from '../../../platform/errors.ts';
import { type AnyRoute, defineRoute } from '../../../platform/http/route.ts';
import { describe, idOf } from '../../../platform/http/schemas.ts';
import { acceptInbound, hookChannel, verifyOrThrow } from '../providers.inbound.ts';

const params = z.object({ channel_id: idOf('ch', 'The channel the email is for.') });
const query = z.object({
  token: describe(
    z.string().optional(),
    "The channel's inbound token, when the relay cannot send an Authorization header.",
    'itk_9fJx...',
  ),
});

const ACCEPTED = ['application/json', 'application/x-www-form-urlencoded'];

export const emailHookRoutes: AnyRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/hooks/email/:channel_id',
    summary: 'Receive inbound email from a relay',
    description:
      "An inbound-parse POST (SendGrid, Mailgun, Postmark style: from, to, subject, text, html, headers / Message-Id / In-Reply-To / References), JSON or form-encoded, authenticated by the channel's inbound token (`Authorization: Bearer`, `X-Parley-Token` or `?token=`).",
    tags: ['Provider webhooks'],
    auth: 'none',
    hidden: true,
    params,
    query,
    contentTypes: ACCEPTED,
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type'],
    handler: async ({ ctx, params, rawBody, request }) => {
      const channel = await hookChannel(ctx, params.channel_id, ['smtp']);
      verifyOrThrow(channel, {
        rawBody: rawBody as Buffer,
        headers: request.headers,
        url: request.url,
        body: request.body,
      });
      const type = String(request.headers['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (!ACCEPTED.includes(type))
        throw new ApiError('unsupported_media_type', `Send ${ACCEPTED.join(' or ')}.`);
      await acceptInbound(ctx, channel, 'email', type, rawBody as Buffer);
      return { status: 200 };
    },
  }),
];
