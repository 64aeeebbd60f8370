import { z } from 'zod';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { describe, timestamp } from '../../platform/http/schemas.ts';
import { KINDS } from './notifications.kinds.ts';
import {
  myMentions,
  mySettings,
  mySubscriptions,
  readMyMentions,
  setMySettings,
  subscribe,
  unsubscribe,
  vapidKeys,
} from './notifications.service.ts';

const tags = ['Notifications'];
const kindFlags = (description: (kind: string) => string) =>
  Object.fromEntries(KINDS.map((k) => [k, describe(z.boolean(), description(k), true)])) as Record<
    (typeof KINDS)[number],
    z.ZodBoolean
  >;

const KIND_TEXT: Record<(typeof KINDS)[number], string> = {
  assigned: 'a conversation assigned to me',
  mentioned: 'an @mention of me in a private note',
  handoff: 'a conversation handed to people: mine, my team’s, or nobody’s yet',
  waiting: 'a customer writing in a handed-off conversation of mine',
  sla: 'an SLA target missed on a conversation of mine or my team’s',
};

const settingsObject = z.object({
  events: describe(
    z.object(kindFlags((k) => `Tell me about ${KIND_TEXT[k as (typeof KINDS)[number]]}.`)),
    'Which things to be told about.',
  ),
  in_app: describe(z.boolean(), 'Toasts inside the open inbox.', true),
  browser: describe(
    z.boolean(),
    'The browser’s notifications while the inbox is open in a background tab.',
    true,
  ),
  push: describe(z.boolean(), 'Web Push to my subscribed browsers, even with the inbox closed.', true),
  email_digest: describe(
    z.enum(['off', 'hourly', 'daily']),
    "An email gathering these notifications once an hour or a day (UTC), sent through the workspace's email channel (SMTP); off: none.",
    'off',
  ),
});

const settingsPatch = z
  .strictObject({
    events: describe(
      z.strictObject(
        Object.fromEntries(
          KINDS.map((k) => [k, describe(z.boolean(), `Tell me about ${KIND_TEXT[k]}.`, true).optional()]),
        ) as Record<(typeof KINDS)[number], z.ZodOptional<z.ZodBoolean>>,
      ),
      'Which things to be told about (the kinds given change; the others stay).',
    ).optional(),
    in_app: describe(z.boolean(), 'Toasts inside the open inbox.', true).optional(),
    browser: describe(
      z.boolean(),
      'The browser’s notifications while the inbox is in a background tab.',
      true,
    ).optional(),
    push: describe(
      z.boolean(),
      'Web Push to my subscribed browsers, even with the inbox closed.',
      true,
    ).optional(),
    email_digest: describe(
      z.enum(['off', 'hourly', 'daily']),
      "An email gathering these notifications once an hour or a day (UTC), through the workspace's email channel; off: none.",
      'daily',
    ).optional(),
  })
  .meta({ examples: [{ events: { sla: false }, push: true }] });

const subscriptionObject = z.object({
  id: describe(z.string(), 'Unique identifier.', 'psub_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  object: describe(z.literal('push_subscription'), 'Always `push_subscription`.', 'push_subscription'),
  endpoint: describe(
    z.string(),
    'The push service’s address for this browser.',
    'https://push.example.net/send/abc',
  ),
  user_agent: describe(z.string().nullable(), 'The browser that subscribed.', 'Mozilla/5.0 ...'),
  last_error: describe(z.string().nullable(), 'Why the last push to it failed (null: it worked).', null),
  created_at: timestamp('When it was subscribed.'),
});

const subscribeBody = z
  .strictObject({
    endpoint: describe(
      z.string().min(1).max(2000),
      'PushSubscription.endpoint (https, not a private address).',
      'https://push.example.net/send/abc',
    ),
    keys: describe(
      z.strictObject({
        p256dh: describe(
          z.string().max(200),
          'The browser’s P-256 public key, base64url (65 bytes).',
          'BNc...',
        ),
        auth: describe(z.string().max(100), 'The browser’s auth secret, base64url (16 bytes).', 'tBHI...'),
      }),
      'PushSubscription.toJSON().keys.',
    ),
    expirationTime: describe(
      z.number().nullable(),
      'PushSubscription.expirationTime, as the browser gives it (ignored).',
      null,
    ).optional(),
  })
  .meta({
    examples: [
      {
        endpoint: 'https://push.example.net/send/abc',
        keys: {
          p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
          auth: 'BTBZMqHH6r4Tts7J_aSIgg',
        },
      },
    ],
  });

const mentionObject = z.object({
  id: describe(z.string(), 'Unique identifier.', 'men_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  object: describe(z.literal('mention'), 'Always `mention`.', 'mention'),
  conversation_id: describe(z.string(), 'The conversation of the note.', 'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  message_id: describe(z.string(), 'The note.', 'msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  by_user_id: describe(
    z.string().nullable(),
    'Who wrote it (null: an API key).',
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  excerpt: describe(z.string(), 'The note’s text (up to 280 characters).', '@Meera can you call her back?'),
  created_at: timestamp('When it was written.'),
  read_at: describe(z.string().nullable(), 'When I marked it read (null: unread).', null),
});

const personOnly = 'Inbox sessions only (preferences and browsers belong to a person): an API key is a 403.';

export const notificationRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/me/notifications',
    summary: 'My notification preferences',
    description: `What the signed-in person is told about, and how. ${personOnly}`,
    tags,
    auth: 'key',
    responses: { 200: settingsObject },
    errors: ['forbidden'],
    handler: ok(({ ctx, auth }) => mySettings(ctx, auth)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/me/notifications',
    summary: 'Set my notification preferences',
    description: `Changes the fields given; the others stay. ${personOnly}`,
    tags,
    auth: 'key',
    body: settingsPatch,
    responses: { 200: settingsObject },
    errors: ['forbidden', 'validation_failed'],
    handler: ok(({ ctx, auth, body }) => setMySettings(ctx, auth, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/push/key',
    summary: 'The server’s Web Push key',
    description:
      'The VAPID public key (RFC 8292) a browser passes to `PushManager.subscribe({applicationServerKey})`; made on first use and kept.',
    tags,
    auth: 'key',
    responses: {
      200: z.object({
        public_key: describe(
          z.string(),
          'The P-256 public key, base64url.',
          'BEl62iUYgUivxIkv69yViEuiBIa-Ib9-SkvMeAtA3LFgDzkrxZJjSgSnfckjBJuBkr3qBUYIHBQFLXYp5Nksh8U',
        ),
      }),
    },
    handler: ok(async ({ ctx }) => ({ public_key: (await vapidKeys(ctx)).publicKey })),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/me/push-subscriptions',
    summary: 'My subscribed browsers',
    description: `The browsers that receive Web Push for the signed-in person. ${personOnly}`,
    tags,
    auth: 'key',
    responses: { 200: z.object({ data: describe(z.array(subscriptionObject), 'My subscribed browsers.') }) },
    errors: ['forbidden'],
    handler: ok(async ({ ctx, auth }) => ({ data: await mySubscriptions(ctx, auth) })),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/me/push-subscriptions',
    summary: 'Subscribe this browser to Web Push',
    description: `Stores a browser's PushSubscription (its \`toJSON()\`). The endpoint must be https and not a private or reserved address (400 naming \`endpoint\`), the keys the sizes RFC 8291 gives; the same endpoint again replaces its keys. ${personOnly}`,
    tags,
    auth: 'key',
    body: subscribeBody,
    responses: { 201: subscriptionObject },
    errors: ['forbidden', 'validation_failed'],
    handler: async ({ ctx, auth, body, request }) => ({
      status: 201,
      body: await subscribe(ctx, auth, body, (request.headers['user-agent'] as string | undefined) ?? null),
    }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/me/push-subscriptions/:id',
    summary: 'Unsubscribe a browser',
    description: `Stops Web Push to that browser. ${personOnly}`,
    tags,
    auth: 'key',
    params: z.object({
      id: describe(
        z.string().regex(/^psub_[0-9A-HJKMNP-TV-Z]{26}$/),
        'The subscription.',
        'psub_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      ),
    }),
    responses: {
      200: z.object({
        id: describe(z.string(), 'The subscription.', 'psub_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
        object: describe(z.literal('push_subscription'), 'Always `push_subscription`.', 'push_subscription'),
        deleted: describe(z.literal(true), 'Always true.', true),
      }),
    },
    errors: ['forbidden', 'not_found'],
    handler: ok(({ ctx, auth, params }) => unsubscribe(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/me/mentions',
    summary: 'My mentions',
    description: `Private notes that named the signed-in person with @ (their first name, full name written together or with dots, or the part of their email before the @), newest first, at most 100. ${personOnly}`,
    tags,
    auth: 'key',
    responses: { 200: z.object({ data: describe(z.array(mentionObject), 'My mentions, newest first.') }) },
    errors: ['forbidden'],
    handler: ok(async ({ ctx, auth }) => ({ data: await myMentions(ctx, auth, 100) })),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/me/mentions/read',
    summary: 'Mark my mentions read',
    description: `Marks every unread mention of the signed-in person read. ${personOnly}`,
    tags,
    auth: 'key',
    responses: { 200: z.object({ read: describe(z.number().int(), 'How many were unread.', 2) }) },
    errors: ['forbidden'],
    handler: ok(({ ctx, auth }) => readMyMentions(ctx, auth)),
  }),
];
