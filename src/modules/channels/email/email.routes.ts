import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../../../platform/errors.ts';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../platform/http/route.ts';
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

const ACCEPTED = [
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'message/rfc822',
];
/** Relays post whole messages with attachments: SendGrid takes up to 30 MB, Postmark 35 MB (base64 in JSON). */
const EMAIL_BODY_LIMIT = 40 * 1024 * 1024;

/** A multipart body is left unread by the parser (files may be large): read it whole, up to the limit. */
async function readRaw(request: FastifyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError('payload_too_large', `The email is larger than ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export const emailHookRoutes: AnyRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/hooks/email/:channel_id',
    summary: 'Receive inbound email from a relay',
    description:
      "Inbound email from a relay, authenticated by the channel's inbound token (`Authorization: Bearer`, `X-Parley-Token` or `?token=`), checked before the body is read: SendGrid Inbound Parse (`multipart/form-data`, parsed fields with attachments, or the raw message in `email`), Mailgun routes (form or multipart with `attachment-N`), Postmark's inbound JSON (`Headers`, `Attachments`), any JSON or form with from, to, subject, text, html and headers, or a whole RFC 5322 message as `message/rfc822`. Attachments are kept with the message.",
    ...providerWebhook,
    params,
    query,
    contentTypes: ACCEPTED,
    bodyLimit: EMAIL_BODY_LIMIT,
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type', 'payload_too_large'],
    handler: async ({ ctx, params, rawBody, request }) => {
      const channel = await hookChannel(ctx, params.channel_id, ['smtp']);
      // The token is in the headers or the URL, never the body: checked the same way for every format.
      verifyOrThrow(ctx, channel, {
        rawBody: rawBody ?? Buffer.alloc(0),
        headers: request.headers,
        url: request.url,
        body: request.body,
      });
      const contentType = String(request.headers['content-type'] ?? '');
      const type = contentType.split(';')[0].trim().toLowerCase();
      if (!ACCEPTED.includes(type))
        throw new ApiError('unsupported_media_type', `Send ${ACCEPTED.join(', ')}.`);
      if (type === 'multipart/form-data') {
        const raw = await readRaw(request, EMAIL_BODY_LIMIT);
        await acceptInbound(ctx, channel, 'email', contentType, raw);
      } else await acceptInbound(ctx, channel, 'email', type, rawBody as Buffer);
      return { status: 200 };
    },
  }),
];
