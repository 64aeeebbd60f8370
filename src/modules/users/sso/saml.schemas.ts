import { z } from 'zod';
import { describe } from '../../../platform/http/schemas.ts';

const PEM_EXAMPLE = '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE...\n-----END CERTIFICATE-----';

/** The SAML half of the settings as `GET /v1/sso-settings` shows it. */
export const samlSettingsObject = z.object({
  idp_entity_id: describe(
    z.string().nullable(),
    "The identity provider's entity id: the Issuer its responses must carry.",
    'http://www.okta.com/exk1abcd',
  ),
  idp_sso_url: describe(
    z.string().nullable(),
    "The provider's single sign-on URL (HTTP-Redirect binding), where the AuthnRequest goes.",
    'https://glow.okta.com/app/glow_parley_1/exk1abcd/sso/saml',
  ),
  idp_certificate: describe(
    z.string().nullable(),
    "The provider's signing certificate (PEM; public). A response or its assertion must be signed by its key.",
    PEM_EXAMPLE,
  ),
  idp_certificate_expires_at: describe(
    z.string().nullable(),
    'When the certificate expires (the provider rotates it before then: put the new one here).',
    '2030-01-01T00:00:00.000Z',
  ),
  allow_idp_initiated: describe(
    z.boolean(),
    'Whether a sign-in started at the provider (its app tile; no InResponseTo) is accepted. Off by default: only sign-ins Parley asked for.',
    false,
  ),
  sp_entity_id: describe(
    z.string(),
    "Parley's entity id for this workspace and mode (the Audience the provider must name); also the metadata URL.",
    'https://parley.example.com/v1/sso/ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D/saml/metadata',
  ),
  acs_url: describe(
    z.string(),
    'The assertion consumer service URL (HTTP-POST) to register at the provider: the Recipient and Destination it must name.',
    'https://parley.example.com/v1/sso/saml/acs',
  ),
  metadata_url: describe(
    z.string(),
    "Parley's SAML metadata (XML) for the provider to import.",
    'https://parley.example.com/v1/sso/ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D/saml/metadata',
  ),
});

/** The SAML half of `PUT /v1/sso-settings`. */
export const putSamlSettings = z.strictObject({
  idp_entity_id: describe(
    z.string().trim().min(1).max(500),
    "The identity provider's entity id (Issuer).",
    'http://www.okta.com/exk1abcd',
  ),
  idp_sso_url: describe(
    z.string().url().max(1000),
    "The provider's single sign-on URL (HTTP-Redirect binding).",
    'https://glow.okta.com/app/glow_parley_1/exk1abcd/sso/saml',
  ),
  idp_certificate: describe(
    z.string().min(1).max(20_000),
    "The provider's signing certificate: PEM, or its base64 body alone (as metadata shows it). One that does not parse as an X.509 certificate is a 400.",
    PEM_EXAMPLE,
  ),
  allow_idp_initiated: describe(
    z.boolean(),
    'Accept sign-ins started at the provider (no InResponseTo).',
    false,
  ).default(false),
});

export const samlAcsBody = z.object({
  SAMLResponse: describe(
    z.string().min(1).max(1_000_000),
    "The provider's response, base64 (HTTP-POST binding).",
    'PHNhbWxwOlJlc3BvbnNlIC4uLg==',
  ),
  RelayState: describe(
    z.string().max(1000),
    'What Parley sent with its AuthnRequest (its sign-in); absent or foreign for a sign-in started at the provider.',
    'kX3v9...',
  ).optional(),
});

export const samlMetadataQuery = z.object({
  mode: describe(z.enum(['live', 'test']), 'The mode (default live).', 'live').default('live'),
});
