import { z } from 'zod';
import { type FieldError, validationFailed } from '../../platform/errors.ts';

/**
 * A website widget channel's (type `web`) settings: who may embed it, whether visitors must prove
 * who they are, how it looks and what it asks first. Checked when the channel is created or its
 * settings change; the widget module reads them with `webSettingsOf`.
 */

/** `glowsalon.in`, `*.glowsalon.in` (any subdomain), `localhost:5173` (one port). */
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(
    /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/,
    'must be a host name such as glowsalon.in, *.glowsalon.in or localhost:5173',
  )
  .max(253);

const field = z.strictObject({
  name: z.enum(['name', 'email', 'phone']),
  label: z.string().trim().min(1).max(60).optional(),
  required: z.boolean().default(false),
});

export const webSettingsSchema = z
  .object({
    allowed_domains: z.array(domain).min(1).max(50),
    identity: z.enum(['optional', 'required']).default('optional'),
    theme: z
      .strictObject({
        color: z
          .string()
          .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #3b5bdb')
          .default('#3b5bdb'),
        position: z.enum(['right', 'left']).default('right'),
        greeting: z.string().trim().max(300).default('Hi! How can we help?'),
        language: z
          .string()
          .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'must be a language tag such as en or hi-IN')
          .default('en'),
      })
      .prefault({}),
    consent: z.string().trim().min(1).max(500).nullable().default(null),
    pre_chat_fields: z.array(field).max(3).default([]),
    fallback: z
      .strictObject({
        email: z.email().nullable().default(null),
        whatsapp: z
          .string()
          .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +919876543210')
          .nullable()
          .default(null),
      })
      .prefault({}),
    file_max_bytes: z
      .number()
      .int()
      .min(1024)
      .max(5 * 1024 * 1024)
      .default(5 * 1024 * 1024),
  })
  .loose();

export type WebSettings = z.output<typeof webSettingsSchema>;

/** The settings with their defaults filled, or the field errors (as `settings.*`). */
export function checkWebSettings(
  settings: Record<string, unknown>,
  credentials: Record<string, string>,
): Record<string, unknown> {
  const parsed = webSettingsSchema.safeParse(settings);
  const errors: FieldError[] = parsed.success ? [] : fieldErrorsOf(parsed.error);
  if (parsed.success && parsed.data.identity === 'required' && !credentials.signing_key)
    errors.push({
      field: 'credentials.signing_key',
      message:
        'is required when settings.identity is "required" (the key your server signs visitor tokens with)',
    });
  if (credentials.signing_key !== undefined && credentials.signing_key.length < 32)
    errors.push({ field: 'credentials.signing_key', message: 'must be at least 32 characters' });
  if (errors.length) throw validationFailed(errors);
  return parsed.data as Record<string, unknown>;
}

/** A stored web channel's settings, defaults filled (a channel stored before a default changed reads the new one). */
export function webSettingsOf(stored: Record<string, unknown>): WebSettings {
  const parsed = webSettingsSchema.safeParse(stored);
  return parsed.success ? parsed.data : webSettingsSchema.parse({ allowed_domains: ['invalid.invalid'] });
}

/** zod's issues as `settings.<path>` field errors, one per field. */
function fieldErrorsOf(error: z.ZodError): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const issue of error.issues) {
    const field = ['settings', ...issue.path.map(String)].join('.');
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, message: issue.message.replace(/^Invalid input: /, '') });
  }
  return out;
}
