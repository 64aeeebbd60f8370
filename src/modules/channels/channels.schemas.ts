import { z } from 'zod';
import { baseObject, describe, idOf } from '../../platform/http/schemas.ts';

import { channelTypes, type ProviderName, providerNames } from './kinds.ts';

export { channelTypes, providerNames };

/** Credential fields each provider needs; all required. */
export const credentialFields: Record<ProviderName, readonly string[]> = {
  meta: ['phone_number_id', 'business_account_id', 'access_token', 'app_secret', 'verify_token'],
  twilio: ['account_sid', 'auth_token'],
  smtp: ['host', 'port', 'username', 'password', 'from'],
  livekit: ['url', 'api_key', 'api_secret', 'sip_trunk_id'],
  widget: [],
  telegram: ['bot_token'],
  sandbox: [],
};

/**
 * Messenger and Instagram channels on Meta share the Meta app's `app_secret` and `verify_token` with
 * WhatsApp, and send with a Page access token: Messenger on its `page_id`, Instagram on its
 * Instagram professional account's id (`ig_user_id`).
 */
const metaDirectCredentials = {
  messenger: ['page_id', 'access_token', 'app_secret', 'verify_token'],
  instagram: ['ig_user_id', 'access_token', 'app_secret', 'verify_token'],
} as const;

/** The credential fields a channel of this type on this provider needs. */
export function credentialFieldsFor(provider: ProviderName, type?: string): readonly string[] {
  if (provider === 'meta' && (type === 'messenger' || type === 'instagram'))
    return metaDirectCredentials[type];
  return credentialFields[provider];
}

/** Credential fields a provider accepts but does not need. */
export const optionalCredentialFields: Partial<Record<ProviderName, readonly string[]>> = {
  // The Meta app's id: a WhatsApp template's media header sample is uploaded to that app.
  meta: ['app_id'],
  livekit: ['agent_name'],
  // The website widget's identity key (HS256): required when the channel's `identity` is `required`.
  widget: ['signing_key'],
};

const credentials = describe(
  z.record(z.string(), z.union([z.string().min(1).max(2000), z.number()])),
  'Provider credentials, write-only and encrypted at rest. meta (whatsapp): `phone_number_id, business_account_id, access_token, app_secret, verify_token, app_id?` (`app_id`: the id of the Meta app, needed to upload the media header sample of a template, `examples.header_media_id`); meta (messenger): `page_id, access_token, app_secret, verify_token`; meta (instagram): `ig_user_id, access_token, app_secret, verify_token`; twilio: `account_sid, auth_token`; smtp: `host, port, username, password, from`; livekit: `url, api_key, api_secret, sip_trunk_id, agent_name?`; telegram: `bot_token` (from BotFather; Parley generates the webhook secret and calls `setWebhook` itself); widget: `signing_key?` (the HS256 key your server signs visitor identity tokens with, at least 32 characters); sandbox: none.',
  { account_sid: 'AC0123456789abcdef0123456789abcdef', auth_token: 'your-auth-token' },
);

const settings = describe(
  z.record(z.string(), z.unknown()),
  'Non-secret provider settings, e.g. `messages_per_second`; for WhatsApp channels `enforce_24h_window` (default true) and `catalog_id` (the Commerce Manager catalogue connected to the number: the built-in agent sends it as a catalog_message when a customer asks to see the products); for Messenger and Instagram `handoff_before_close_minutes` (default 60: the AI hands an unanswered customer message to people this long before the 24 hours close; 0 turns it off); for the sandbox `fail_to` (recipients whose sends fail); for web (website widget) channels `allowed_domains` (required), `identity` (`optional`|`required`), `theme` `{color, position, greeting, language}`, `consent`, `pre_chat_fields`, `fallback` `{email, whatsapp}`, `file_max_bytes` (see docs/channels.md, Website widget).',
  { messages_per_second: 20 },
);

const handoffPolicy = describe(
  z.strictObject({
    team_id: describe(
      idOf('team').nullable(),
      "The team handoffs on this channel go to (it comes before the agent's and the workspace's `handoff_policy.team_id`); null: theirs.",
      'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    ),
  }),
  'Where handoffs on this channel go.',
);

export const createChannelBody = z
  .strictObject({
    type: describe(z.enum(channelTypes), 'What the channel carries.', 'whatsapp'),
    provider: describe(
      z.enum(providerNames),
      'Who carries it (whatsapp, messenger, instagram: meta|sandbox; sms: twilio|sandbox; voice: twilio|livekit|sandbox; email: smtp|sandbox; web: widget; telegram: telegram).',
      'meta',
    ),
    address: describe(
      z.string().trim().min(3).max(320),
      "The channel's own number (E.164) or email address; for messenger the Facebook Page id, for instagram the Instagram professional account id.",
      '+14155550123',
    ),
    agent_id: idOf('agt', 'The AI agent that answers on this channel, if any.').nullable().optional(),
    handoff_policy: handoffPolicy.optional(),
    credentials: credentials.optional(),
    settings: settings.optional(),
  })
  .meta({
    examples: [
      {
        type: 'sms',
        provider: 'twilio',
        address: '+14155550123',
        credentials: { account_sid: 'AC0123456789abcdef0123456789abcdef', auth_token: 'your-auth-token' },
        settings: { messages_per_second: 20 },
      },
    ],
  });

export const updateChannelBody = z
  .strictObject({
    address: describe(
      z.string().trim().min(3).max(320),
      "The channel's own number (E.164) or email address.",
      '+14155550123',
    ).optional(),
    agent_id: idOf('agt', 'The AI agent that answers on this channel; null to unbind.').nullable().optional(),
    handoff_policy: handoffPolicy.optional(),
    credentials: credentials.optional(),
    settings: settings.optional(),
    status: describe(
      z.enum(['active', 'disabled']),
      'A disabled channel sends and receives nothing.',
      'active',
    ).optional(),
  })
  .meta({ examples: [{ settings: { messages_per_second: 20 } }] });

export const channelObject = z.object({
  ...baseObject('ch', 'channel'),
  type: describe(z.enum(channelTypes), 'What the channel carries.', 'whatsapp'),
  provider: describe(z.enum(providerNames), 'Who carries it.', 'meta'),
  address: describe(z.string(), "The channel's own number or email address.", '+14155550123'),
  agent_id: describe(
    z.string().nullable(),
    'The AI agent bound to this channel.',
    'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  handoff_policy: describe(
    z.object({
      team_id: describe(z.string().nullable(), 'The team handoffs on this channel go to.', null),
    }),
    'Where handoffs on this channel go.',
  ),
  status: describe(z.enum(['active', 'disabled']), 'Whether the channel sends and receives.', 'active'),
  credentials_set: describe(z.boolean(), 'True when credentials are stored (they are never returned).', true),
  credential_fields: describe(z.array(z.string()), 'Names of the credential fields stored.', [
    'account_sid',
    'auth_token',
  ]),
  settings: describe(z.record(z.string(), z.unknown()), 'Non-secret provider settings.', {}),
  inbound_url: describe(
    z.string().nullable(),
    "The URL to paste into the provider's console for inbound messages and statuses (null for the sandbox: use `POST /v1/sandbox/inbound`).",
    'https://parley.example.com/hooks/whatsapp/ch_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
});

export const createdChannelObject = channelObject.extend({
  inbound_token: describe(
    z.string().nullable(),
    'Email channels only: the secret your mail relay sends as `Authorization: Bearer <token>` to the inbound URL. Shown only in this response.',
    'itk_Zm9vYmFyYmF6cXV4',
  ),
});
