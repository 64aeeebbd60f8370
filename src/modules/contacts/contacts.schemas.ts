import { z } from 'zod';
import { baseObject, describe, listQuery, queryBoolean, queryList } from '../../platform/http/schemas.ts';
import { ATTRIBUTE_KEY } from './contacts.service.ts';

const attributeValue = z.union([z.string().max(2000), z.number(), z.boolean()]);

export const attributesInput = describe(
  z
    .record(
      z.string().regex(ATTRIBUTE_KEY, 'attribute names are letters, digits, `_` and `-` (at most 64)'),
      attributeValue.nullable(),
    )
    .refine((r) => Object.keys(r).length <= 100, 'at most 100 attributes'),
  'Free-form attributes (string, number or boolean values). On update, keys merge and a null value removes the key.',
  { plan: 'premium', visits: 3, vip: true },
);

export const tagsInput = describe(
  z.array(z.string().trim().min(1).max(100)).max(100),
  'Tags (replaces the list on update).',
  ['vip', 'diwali-2026'],
);

const phoneInput = describe(
  z.string().max(40),
  "Phone number, E.164 or local to the workspace's default country; stored in E.164.",
  '+919876543210',
);
const emailInput = describe(z.string().max(254), 'Email address.', 'asha@example.com');
const nameInput = describe(z.string().max(200), 'Full name.', 'Asha Rao');

export const createContactBody = z.strictObject({
  phone: phoneInput.optional(),
  name: nameInput.optional(),
  email: emailInput.optional(),
  attributes: attributesInput.optional(),
  tags: tagsInput.optional(),
  dnd: describe(z.boolean(), 'Do not disturb: no business-initiated messages or calls.', false).optional(),
  opted_out: describe(
    z.boolean(),
    'The contact opted out (e.g. replied STOP): no business-initiated messages.',
    false,
  ).optional(),
});

export const updateContactBody = z
  .strictObject({
    phone: describe(
      phoneInput.nullable(),
      'Phone number (null removes it; a contact keeps a phone or an email).',
      '+919876543210',
    ).optional(),
    name: describe(nameInput.nullable(), 'Full name (null clears it).', 'Asha Rao').optional(),
    email: describe(emailInput.nullable(), 'Email address (null clears it).', 'asha@example.com').optional(),
    attributes: attributesInput.optional(),
    tags: tagsInput.optional(),
    dnd: describe(z.boolean(), 'Do not disturb.', true).optional(),
    opted_out: describe(z.boolean(), 'Opted out of business-initiated messages.', false).optional(),
  })
  .meta({
    examples: [
      { name: 'Asha Rao', email: 'asha@example.com', attributes: { plan: 'premium' }, tags: ['vip'] },
    ],
  });

export const contactObject = z.object({
  ...baseObject('ct', 'contact'),
  phone: describe(
    z.string().nullable(),
    'Phone number in E.164, or null for an email-only contact.',
    '+919876543210',
  ),
  name: describe(z.string().nullable(), 'Full name.', 'Asha Rao'),
  email: describe(z.string().nullable(), 'Email address (lower case).', 'asha@example.com'),
  whatsapp_user_id: describe(
    z.string().nullable(),
    "WhatsApp's business-scoped user id (BSUID) of the customer, when Meta gave one: the only key of a customer who hides their number behind a username.",
    null,
  ),
  messenger_psid: describe(
    z.string().nullable(),
    "Messenger's page-scoped id (PSID) of the customer, when they wrote to a Messenger channel.",
    null,
  ),
  instagram_igsid: describe(
    z.string().nullable(),
    "Instagram's scoped id (IGSID) of the customer, when they wrote to an Instagram channel.",
    null,
  ),
  telegram_chat_id: describe(
    z.string().nullable(),
    "The Telegram chat id of the customer's private chat with the bot, when they wrote to a Telegram channel.",
    null,
  ),
  attributes: describe(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    'Free-form attributes.',
    { plan: 'premium' },
  ),
  tags: describe(z.array(z.string()), 'Tags.', ['vip']),
  dnd: describe(z.boolean(), 'Do not disturb: outbound sends and calls skip this contact.', false),
  opted_out: describe(
    z.boolean(),
    'Opted out: business-initiated messages are refused with `contact_opted_out`.',
    false,
  ),
  merged_into: describe(
    z.string().nullable(),
    'The contact this one was merged into (POST /v1/contacts/{id}/merge); null for a contact in use. A merged contact keeps only the history that could not move, and is never listed.',
    null,
  ),
});

export const mergeContactBody = z
  .strictObject({
    other_id: describe(
      z.string().regex(/^ct_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a contact id (ct_...)'),
      'The contact to merge into this one (it goes away).',
      'ct_01JD5Z8Q4X3N2M1K0H9G8F7E7E',
    ),
  })
  .meta({ examples: [{ other_id: 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E7E' }] });

export const duplicatesResponse = z.object({
  data: describe(
    z.array(
      z.object({
        contact: contactObject,
        reasons: describe(
          z.array(z.enum(['email', 'phone', 'name'])),
          'Why it may be the same person: the same email, the same phone number (its last 10 digits) or the same full name.',
          ['email'],
        ),
      }),
    ),
    'Possible duplicates, strongest reason first (at most 20).',
  ),
});

export const workspaceDuplicatesQuery = z.strictObject({
  limit: describe(
    z.coerce.number().int().min(1).max(100).default(50),
    'Groups to answer (default 50, max 100).',
    50,
  ),
});

export const workspaceDuplicatesResponse = z.object({
  object: describe(z.literal('list'), 'A list.', 'list'),
  data: describe(
    z.array(
      z.object({
        reasons: describe(
          z.array(z.enum(['email', 'phone', 'name'])),
          'Why these may be one person: a shared email, phone number (its last 10 digits) or full name.',
          ['phone', 'name'],
        ),
        contacts: describe(z.array(contactObject), 'The contacts of the group, newest first.'),
      }),
    ),
    'Groups of possible duplicates, strongest reason first (email, then phone, then name), then newest.',
  ),
  has_more: describe(z.boolean(), 'More groups than `limit`.', false),
});

export const listContactsQuery = listQuery(
  {
    q: describe(
      z.string().max(200).optional(),
      'Search in name, email and phone (case-insensitive substring).',
      'asha',
    ),
    tag: queryList('Only contacts carrying every one of these tags (comma-separated or repeated).', 'vip'),
    dnd: queryBoolean('Only contacts with this do-not-disturb flag.'),
    opted_out: queryBoolean('Only contacts with this opt-out flag.'),
  },
  { openPrefix: 'attributes.' },
);
