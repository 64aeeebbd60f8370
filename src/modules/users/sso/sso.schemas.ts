import { z } from 'zod';
import { describe, idOf, timestamp } from '../../../platform/http/schemas.ts';
import { putSamlSettings, samlSettingsObject } from './saml.schemas.ts';

const roleName = describe(
  z.string().trim().min(1).max(100),
  'A role: `admin`, `agent`, or the id or name of a role the workspace defines (kept as its id; it may grant no more than the admin saving it holds).',
  'agent',
);

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'an email domain (`glow.in`)',
  );

const roleMappingEntry = z.strictObject({
  value: describe(
    z.string().min(1).max(200),
    'A value of the role claim (a group, an app role).',
    'parley-admins',
  ),
  role: roleName,
});

const oidcSettings = z.object({
  issuer_url: describe(
    z.string().nullable(),
    "The identity provider's issuer (its `/.well-known/openid-configuration` is read from there).",
    'https://accounts.google.com',
  ),
  client_id: describe(
    z.string().nullable(),
    'The client id Parley is registered with.',
    '1234-abc.apps.googleusercontent.com',
  ),
  client_secret_set: describe(z.boolean(), 'Whether a client secret is stored (it is never returned).', true),
  redirect_uri: describe(
    z.string(),
    "The redirect URI to register at the identity provider: this server's public URL and `/v1/sso/oidc/callback`.",
    'https://parley.example.com/v1/sso/oidc/callback',
  ),
});

export const ssoSettingsObject = z.object({
  object: describe(z.literal('sso_settings'), 'The type of this object.', 'sso_settings'),
  enabled: describe(z.boolean(), 'Whether people sign in with the identity provider.', true),
  protocol: describe(z.enum(['oidc', 'saml']), 'How: OpenID Connect or SAML 2.0.', 'oidc'),
  oidc: describe(oidcSettings, 'The OpenID Connect client.'),
  saml: describe(samlSettingsObject, 'The SAML 2.0 identity provider, and what to register there.'),
  allowed_email_domains: describe(
    z.array(z.string()),
    'Email domains whose people may sign in; anyone else is refused (and the refusal audited).',
    ['glow.in'],
  ),
  email_claim: describe(
    z.string(),
    'The `id_token` claim (or SAML attribute; else the NameID) read as the email.',
    'email',
  ),
  role_claim: describe(
    z.string().nullable(),
    'The claim or SAML attribute whose values pick a role (`groups`, `roles`); null: no mapping.',
    'groups',
  ),
  role_mapping: describe(
    z.array(roleMappingEntry),
    'The first entry whose `value` is in the role claim gives the role, at every sign-in.',
    [{ value: 'parley-admins', role: 'admin' }],
  ),
  default_role: describe(
    roleName,
    'The role of a person created at first sign-in when no mapping matches.',
    'agent',
  ),
  jit_provisioning: describe(
    z.boolean(),
    'Whether a person of an allowed domain without a user gets one at their first sign-in.',
    true,
  ),
  sso_only: describe(z.boolean(), 'Passwords no longer sign in, except the break-glass admin’s.', false),
  break_glass_user_id: describe(
    z.string().nullable(),
    'The admin who may still sign in with a password while `sso_only` is on.',
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  start_url: describe(
    z.string(),
    'Where a browser starts this workspace’s sign-in (`GET`, it redirects to the identity provider).',
    'https://parley.example.com/v1/sso/ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D/oidc/start',
  ),
  updated_at: describe(
    timestamp('When it last changed').nullable(),
    'When it last changed (null: never set).',
  ),
});

export const putSsoSettingsBody = z
  .strictObject({
    enabled: describe(z.boolean(), 'Turn the sign-in with the identity provider on or off.', true),
    protocol: describe(
      z.enum(['oidc', 'saml']),
      'OpenID Connect (`oidc`, then `oidc` is required when enabled) or SAML 2.0 (`saml`, then `saml`).',
      'oidc',
    ).default('oidc'),
    oidc: describe(
      z.strictObject({
        issuer_url: describe(
          z.string().url().max(500),
          'The issuer URL (https; its discovery document is checked when `enabled`).',
          'https://accounts.google.com',
        ),
        client_id: describe(
          z.string().min(1).max(500),
          'The client id.',
          '1234-abc.apps.googleusercontent.com',
        ),
        client_secret: describe(
          z.string().min(1).max(2000),
          'The client secret: write-only, stored encrypted; left out keeps the stored one.',
          'GOCSPX-abc123',
        ).optional(),
      }),
      'The OpenID Connect client.',
    ).optional(),
    saml: describe(putSamlSettings, 'The SAML 2.0 identity provider.').optional(),
    allowed_email_domains: describe(z.array(domain).max(50), 'Email domains whose people may sign in.', [
      'glow.in',
    ]).default([]),
    email_claim: describe(
      z.string().min(1).max(300),
      'The claim (or SAML attribute) read as the email.',
      'email',
    ).default('email'),
    role_claim: describe(
      z.string().min(1).max(300).nullable(),
      'The claim (or SAML attribute) whose values pick a role.',
      'groups',
    )
      .nullable()
      .default(null),
    role_mapping: describe(z.array(roleMappingEntry).max(50), 'Claim values to roles, first match wins.', [
      { value: 'parley-admins', role: 'admin' },
    ]).default([]),
    default_role: roleName.default('agent'),
    jit_provisioning: describe(z.boolean(), 'Create users at their first sign-in.', true).default(false),
    sso_only: describe(z.boolean(), 'Refuse password sign-in except the break-glass admin’s.', false).default(
      false,
    ),
    break_glass_user_id: idOf(
      'usr',
      'An admin of this workspace and mode with a password; required with `sso_only`.',
    )
      .nullable()
      .default(null),
  })
  .meta({
    examples: [
      {
        enabled: false,
        protocol: 'oidc',
        oidc: {
          issuer_url: 'https://accounts.google.com',
          client_id: '1234-abc.apps.googleusercontent.com',
          client_secret: 'GOCSPX-abc123',
        },
        allowed_email_domains: ['glow.in'],
        jit_provisioning: true,
      },
    ],
  });
export type PutSsoSettings = z.output<typeof putSsoSettingsBody>;

export const ssoLookupBody = z
  .strictObject({
    email: describe(
      z.string().trim().toLowerCase().max(254).email(),
      'The work email of the person.',
      'priya@glow.in',
    ).optional(),
    workspace_id: describe(idOf('ws'), 'Or the workspace.', 'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D').optional(),
    mode: describe(
      z.enum(['live', 'test']),
      'The mode; left out: live, else test (a workspace tried out in test mode).',
      'live',
    ).optional(),
  })
  .refine((b) => Boolean(b.email) !== Boolean(b.workspace_id), {
    message: 'give email or workspace_id',
    path: ['email'],
  })
  .meta({ examples: [{ email: 'priya@glow.in' }] });

export const ssoLookupObject = z.object({
  object: describe(z.literal('sso_lookup'), 'The type of this object.', 'sso_lookup'),
  enabled: describe(
    z.boolean(),
    'Whether an identity provider signs this person in (false: they sign in with a password).',
    true,
  ),
  workspace_id: describe(
    z.string().nullable(),
    'The workspace whose identity provider signs this person in, or null.',
    'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  protocol: describe(z.enum(['oidc', 'saml']).nullable(), 'How, or null.', 'oidc'),
  start_url: describe(
    z.string().nullable(),
    'Open it in the browser: it redirects to the identity provider (null without SSO).',
    '/v1/sso/ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D/oidc/start',
  ),
});

export const ssoStartParams = z.object({ workspace_id: idOf('ws', 'The workspace.') });
export const ssoStartQuery = z.object({
  mode: describe(z.enum(['live', 'test']), 'The mode (default live).', 'live').default('live'),
});

export const oidcCallbackQuery = z.object({
  state: describe(z.string().min(1).max(200), 'The state Parley sent to the provider.', 'kX3v9...'),
  code: describe(z.string().max(2000), 'The authorization code.', 'SplxlOBeZQQYbYS6WxSbIA').optional(),
  iss: describe(
    z.string().max(500),
    "The provider's issuer (RFC 9207).",
    'https://accounts.google.com',
  ).optional(),
  error: describe(z.string().max(200), "The provider's refusal.", 'access_denied').optional(),
  error_description: describe(z.string().max(2000), 'Its explanation.', 'The user cancelled.').optional(),
});

export const exchangeBody = z.strictObject({
  code: describe(
    z.string().min(10).max(100),
    'The one-time code the sign-in put in the inbox address (`#sso_code=`); valid 2 minutes, once.',
    'v2Yh6b1eH0c6yF0Zb8Jk0mPz1T7uQm3a',
  ),
});
