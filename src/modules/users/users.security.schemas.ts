import { z } from 'zod';
import { describe, idOf, timestamp } from '../../platform/http/schemas.ts';

export const sessionObject = z.object({
  id: describe(z.string(), 'The session.', 'sess_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  object: describe(z.literal('session'), 'The type of this object.', 'session'),
  user_id: idOf('usr', 'Whose session it is.'),
  ip: describe(z.string().nullable(), 'The client address it was opened from.', '203.0.113.9'),
  user_agent: describe(
    z.string().nullable(),
    'The browser it was opened from.',
    'Mozilla/5.0 (X11; Linux x86_64)',
  ),
  current: describe(z.boolean(), 'True for the session making this request.', true),
  created_at: timestamp('When it was opened (the sign-in)'),
  last_seen_at: timestamp('When it was last used (to the minute)'),
  expires_at: timestamp('When it ends by itself'),
});

export const sessionListResponse = z.object({
  object: describe(z.literal('list'), 'A list.', 'list'),
  data: describe(z.array(sessionObject), 'Open sessions, newest first.'),
  has_more: describe(z.boolean(), 'Always false (at most 100 sessions).', false),
});

export const sessionParams = z.object({
  id: describe(
    z.string().regex(/^sess_[0-9A-HJKMNP-TV-Z]{26}$/),
    'The session.',
    'sess_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
});
export const userSessionParams = z.object({
  id: idOf('usr', 'The user.'),
  session_id: describe(
    z.string().regex(/^sess_[0-9A-HJKMNP-TV-Z]{26}$/),
    'The session.',
    'sess_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
});

export const sessionDeleted = z.object({
  id: describe(z.string(), 'The session.', 'sess_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  object: describe(z.literal('session'), 'The type of this object.', 'session'),
  deleted: describe(z.literal(true), 'Always true.', true),
});

export const enrolmentObject = z.object({
  object: describe(z.literal('two_factor_enrolment'), 'The type of this object.', 'two_factor_enrolment'),
  secret: describe(
    z.string(),
    'The TOTP secret (base32), to type into an app that cannot scan.',
    'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  ),
  otpauth_uri: describe(
    z.string(),
    'The `otpauth://` URI authenticator apps read.',
    'otpauth://totp/Parley%20(Glow)%3Apriya%40glow.in?secret=JBSWY3DPEHPK3PXP&issuer=Parley%20(Glow)&algorithm=SHA1&digits=6&period=30',
  ),
  qr_svg: describe(
    z.string(),
    'The URI as a QR code (an SVG document) to scan.',
    '<svg xmlns="http://www.w3.org/2000/svg" ...',
  ),
});

export const twoFactorObject = z.object({
  object: describe(z.literal('two_factor'), 'The type of this object.', 'two_factor'),
  enabled: describe(z.boolean(), 'Whether two-factor sign-in is on.', true),
  recovery_codes: describe(
    z.array(z.string()),
    'Ten single-use recovery codes, shown only when enrolment is confirmed: store them.',
    ['k3j9x-q2mp8'],
  ).optional(),
});

export const confirmBody = z.strictObject({
  totp_code: describe(z.string().trim().max(10), 'A current code of the authenticator app.', '492039'),
});
export const disableBody = z
  .strictObject({
    totp_code: describe(z.string().trim().max(10), 'A current code.', '492039').optional(),
    recovery_code: describe(z.string().trim().max(20), 'Or a recovery code.', 'k3j9x-q2mp8').optional(),
  })
  .refine((b) => Boolean(b.totp_code) !== Boolean(b.recovery_code), {
    message: 'give totp_code or recovery_code',
    path: ['totp_code'],
  })
  .meta({ examples: [{ totp_code: '492039' }] });

export const authSettingsObject = z.object({
  object: describe(z.literal('auth_settings'), 'The type of this object.', 'auth_settings'),
  require_two_factor: describe(
    z.boolean(),
    'Every inbox user of this workspace and mode must sign in with a second factor; one without enrols at the next sign-in.',
    true,
  ),
});
export const putAuthSettingsBody = z.strictObject({
  require_two_factor: describe(z.boolean(), 'Require two-factor sign-in.', true),
});
