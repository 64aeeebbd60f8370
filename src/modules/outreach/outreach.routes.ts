import { defineRoute, ok } from '../../platform/http/route.ts';
import { senderOf } from '../messaging/index.ts';
import { batchBody, batchResponse } from './outreach.schemas.ts';
import { createConversations } from './outreach.service.ts';

const tags = ['Conversations'];

export const outreachRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/conversations',
    summary: 'Open conversations in a batch',
    description:
      'Each item is opened on its own: `results` lists those opened, `errors` the others with their index. A WhatsApp conversation opened by the business starts with an approved template (required); SMS and email may start with a template, a text, or nothing. `channel: "voice"` dials: each item is a call with its agent (as `POST /v1/calls`: admitted against the concurrent-call limit, `concurrency_limited` per item, `contact_dnd` unless `ignore_dnd`, `contact_opted_out`), and its result carries `call`.',
    tags,
    auth: 'key',
    scope: 'conversations:write',
    body: batchBody,
    responses: { 200: batchResponse },
    errors: ['rate_limited'],
    handler: ok(({ ctx, auth, body }) => createConversations(ctx, senderOf(auth), body.conversations)),
  }),
];
