import { z } from 'zod';
import { defineRoute } from '../../platform/http/route.ts';
import { describe, idParams } from '../../platform/http/schemas.ts';
import { consentPurposes, consentsOf, recordConsents } from './contacts.consents.ts';
import { getContactRow } from './contacts.service.ts';

const channelInput = describe(
  z.string().regex(/^[a-z][a-z_]{1,30}$/, 'a channel type such as whatsapp or sms'),
  'The channel type the consent is for (`whatsapp`, `sms`, `email`, ...).',
  'whatsapp',
);
const purposeInput = describe(
  z.enum(consentPurposes),
  '`marketing` (promotions, broadcasts of marketing templates), `utility` (order and account updates) or `service` (answers to the customer).',
  'marketing',
);

const consentState = z.object({
  channel: describe(z.string(), 'Channel type, or `*` for an erasure.', 'whatsapp'),
  purpose: describe(z.string(), '`marketing`, `utility`, `service`, or `*` for an erasure.', 'marketing'),
  status: describe(
    z.enum(['granted', 'revoked', 'erased']),
    '`revoked`: the contact stopped this purpose on this channel; `erased`: the ledger before this was erased on request.',
    'revoked',
  ),
  source: describe(
    z.enum(['keyword', 'user_preferences', 'provider_error', 'import', 'api', 'erasure']),
    "Where the change came from: an opt-out keyword the contact sent, Meta's `user_preferences` webhook, a provider error (Meta 131050: the user stopped marketing messages), an import, the API, or an erasure.",
    'user_preferences',
  ),
  detail: describe(
    z.string().nullable(),
    "What the source said: the keyword, Meta's description, the provider's error code, the import id, or the API caller's note.",
    'User requested to stop marketing messages',
  ),
  recorded_at: describe(z.string(), 'When the change was recorded (ISO 8601).', '2026-11-25T09:00:00.000Z'),
});

const consentsObject = z.object({
  object: describe(z.literal('contact_consents'), 'Always `contact_consents`.', 'contact_consents'),
  contact_id: describe(z.string(), 'The contact.', 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  data: describe(
    z.array(consentState),
    'The current state per channel and purpose (the latest change of each). A purpose with no change recorded is not listed: it is neither granted nor stopped.',
  ),
  history: describe(z.array(consentState), 'Every recorded change, oldest first (the latest 500).'),
});

const recordBody = z.strictObject({
  channel: channelInput,
  purpose: purposeInput,
  status: describe(z.enum(['granted', 'revoked']), 'Grant or stop this purpose on this channel.', 'revoked'),
  note: describe(
    z.string().max(500),
    "Why (kept as the change's `detail`).",
    'Asked by phone to stop offers',
  ).optional(),
});

export const consentRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/contacts/:id/consents',
    summary: "A contact's consents",
    description:
      "The contact's consent per channel and purpose with where each came from and when (keywords, Meta's `user_preferences` webhook, Meta 131050, imports, the API), and the ledger of changes. A marketing send skips a contact whose `marketing` consent on that channel is `revoked`.",
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:read',
    params: idParams('ct'),
    responses: { 200: consentsObject },
    handler: async ({ ctx, auth, params }) => {
      await getContactRow(ctx.db, auth, params.id);
      const { current, history } = await consentsOf(ctx.db, auth, params.id);
      return {
        status: 200,
        body: { object: 'contact_consents', contact_id: params.id, data: current, history },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/contacts/:id/consents',
    summary: "Record a contact's consent",
    description:
      "Records a consent change with source `api` (for example a consent collected on your own form, or a stop asked for by phone). Answers the contact's consents as `GET` does.",
    tags: ['Contacts'],
    auth: 'key',
    scope: 'contacts:write',
    params: idParams('ct'),
    body: recordBody,
    responses: { 201: consentsObject },
    handler: async ({ ctx, auth, params, body }) => {
      await ctx.transaction(async (tx) => {
        const contact = await getContactRow(tx.db, auth, params.id);
        await recordConsents(
          tx,
          auth,
          contact,
          [
            {
              channel: body.channel,
              purpose: body.purpose,
              status: body.status,
              source: 'api',
              detail: body.note ?? null,
            },
          ],
          ctx.clock.now(),
        );
      });
      const { current, history } = await consentsOf(ctx.db, auth, params.id);
      return {
        status: 201,
        body: { object: 'contact_consents', contact_id: params.id, data: current, history },
      };
    },
  }),
];
