import { z } from 'zod';
import { type AnyRoute, defineRoute, providerWebhook } from '../../../platform/http/route.ts';
import { idOf } from '../../../platform/http/schemas.ts';
import { acceptMetaWebhook, handshakeQuery, metaHandshake } from '../whatsapp/whatsapp.routes.ts';

const params = z.object({ channel_id: idOf('ch', 'The Messenger or Instagram channel the webhook is for.') });
const types = ['messenger' as const, 'instagram' as const];

/**
 * Messenger's and Instagram's webhook URL (one per channel, pasted into the Meta app's Messenger
 * or Instagram webhook settings): the same handshake, signature check and inbound log as WhatsApp's.
 */
export const metaDirectHookRoutes: AnyRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/hooks/meta/:channel_id',
    summary: 'Messenger and Instagram webhook verification handshake',
    description:
      "Echoes `hub.challenge` as plain text when `hub.mode` is `subscribe` and `hub.verify_token` matches the Messenger or Instagram channel's; 403 otherwise.",
    ...providerWebhook,
    params,
    query: handshakeQuery,
    responses: { 200: null },
    errors: ['forbidden', 'not_found'],
    handler: ({ ctx, params, query }) => metaHandshake(ctx, params.channel_id, query, types),
  }),
  defineRoute({
    method: 'POST',
    path: '/hooks/meta/:channel_id',
    summary: 'Receive Messenger and Instagram webhooks',
    description:
      "Verifies `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app secret) before anything else (401 when it fails, nothing stored), stores the payload as it came and answers 200 at once; messages, reactions, unsends and delivery/read receipts (`object: page` or `instagram`, `entry[].messaging[]`) are processed by a job. Echoes of the business's own messages are ignored; fields Parley does not read stay in the stored payload.",
    ...providerWebhook,
    params,
    responses: { 200: null },
    errors: ['invalid_signature', 'not_found', 'unsupported_media_type', 'validation_failed'],
    handler: ({ ctx, params, rawBody, request }) =>
      acceptMetaWebhook(ctx, params.channel_id, rawBody as Buffer, request, types),
  }),
];
