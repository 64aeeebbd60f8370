/**
 * A template as Meta's `GET /{waba_id}/message_templates` answers it, read into what Parley stores
 * (pure functions). A template Parley cannot send as it is (a location header, a copy-code offer,
 * flow or catalog button, a carousel) is not adopted and says why. An authentication template is
 * adopted: its body is Meta's preset ("{{1}} is your verification code.", no samples), its OTP
 * button (copy code, one-tap, zero-tap) takes the code at send time.
 */

import type { ProviderTemplate as SyncedTemplate } from '../channel-adapter.ts';

export type { SyncedTemplate };

export type TemplateReading =
  | { ok: true; template: SyncedTemplate }
  | { ok: false; name: string; language: string; reason: string };

const statuses: Record<string, SyncedTemplate['status']> = {
  APPROVED: 'approved',
  PENDING: 'pending',
  IN_APPEAL: 'pending',
  REJECTED: 'rejected',
  DISABLED: 'rejected',
  PAUSED: 'paused',
  FLAGGED: 'paused',
  PENDING_DELETION: 'paused',
  LIMIT_EXCEEDED: 'paused',
};
const categories = new Set(['marketing', 'utility', 'authentication']);

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
/** The body Meta gives every authentication template: the code is its one variable. */
const AUTHENTICATION_BODY = '{{1}} is your verification code.';

/** Named samples (`[{param_name, example}]`) or positional ones (`[[...]]` or `[...]`). */
function samples(named: unknown, positional: unknown): string[] | Record<string, string> | undefined {
  if (Array.isArray(named) && named.length)
    return Object.fromEntries(
      named.flatMap((p) =>
        p && typeof p === 'object' && str(p.param_name) ? [[p.param_name, String(p.example ?? '')]] : [],
      ),
    );
  const list = Array.isArray(positional)
    ? Array.isArray(positional[0])
      ? positional[0]
      : positional
    : undefined;
  return list?.length ? list.map(String) : undefined;
}

/** Why a rejected or paused template is so: Meta's reason, else its status. */
const statusReasonOf = (t: Record<string, any>, status: SyncedTemplate['status']) =>
  status === 'rejected' || status === 'paused'
    ? str(t.rejected_reason) && t.rejected_reason !== 'NONE'
      ? t.rejected_reason
      : String(t.status)
    : null;

export function readMetaTemplate(t: Record<string, any>): TemplateReading {
  const name = str(t.name) ?? '';
  const language = str(t.language) ?? '';
  const refuse = (reason: string): TemplateReading => ({ ok: false, name, language, reason });
  if (!/^[a-z0-9_]{1,512}$/.test(name) || !/^[a-z]{2,3}(_[A-Z]{2})?$/.test(language))
    return refuse('its name or language is not one Parley can store');
  const category = String(t.category ?? '').toLowerCase();
  if (!categories.has(category))
    return refuse(`category ${t.category ?? 'missing'} is not marketing, utility or authentication`);
  const status = statuses[String(t.status ?? '').toUpperCase()];
  if (!status) return refuse(`status ${t.status ?? 'missing'} is not one Parley knows`);
  const components: Array<Record<string, any>> = Array.isArray(t.components) ? t.components : [];
  const out: SyncedTemplate = {
    providerTemplateId: String(t.id ?? ''),
    name,
    language,
    category: category as SyncedTemplate['category'],
    status,
    statusReason: statusReasonOf(t, status),
    quality: str(t.quality_score?.score)?.toLowerCase() ?? null,
    body: '',
    header: null,
    footer: null,
    buttons: [],
    examples: null,
  };
  const examples: NonNullable<SyncedTemplate['examples']> = {};
  for (const c of components) {
    const problem = readComponent(c, out, examples);
    if (problem) return refuse(problem);
  }
  // Meta fixes an authentication template's body; a listing may leave its text out.
  if (!out.body && category === 'authentication') out.body = AUTHENTICATION_BODY;
  if (!out.body) return refuse('it has no body text');
  if (examples.body || examples.header) out.examples = examples;
  return { ok: true, template: out };
}

/** Reads one component into the template; answers why not when Parley cannot send it. */
function readComponent(
  c: Record<string, any>,
  out: SyncedTemplate,
  examples: NonNullable<SyncedTemplate['examples']>,
): string | undefined {
  const type = String(c?.type ?? '').toUpperCase();
  if (type === 'BODY') {
    out.body = str(c.text) ?? '';
    const s = samples(c.example?.body_text_named_params, c.example?.body_text);
    if (s) examples.body = s;
    return undefined;
  }
  if (type === 'HEADER') return readHeader(c, out, examples);
  if (type === 'FOOTER') {
    out.footer = str(c.text) ?? null;
    return undefined;
  }
  if (type === 'BUTTONS') {
    for (const b of Array.isArray(c.buttons) ? c.buttons : []) {
      const button = readButton(b);
      if (typeof button === 'string') return button;
      out.buttons.push(button);
    }
    return undefined;
  }
  return `a ${type || 'nameless'} component is not one Parley can send`;
}

function readHeader(
  c: Record<string, any>,
  out: SyncedTemplate,
  examples: NonNullable<SyncedTemplate['examples']>,
): string | undefined {
  const format = String(c.format ?? 'TEXT').toUpperCase();
  if (format === 'TEXT') {
    out.header = { type: 'text', text: str(c.text) ?? '' };
    const s = samples(c.example?.header_text_named_params, c.example?.header_text);
    if (s) examples.header = s;
    return undefined;
  }
  if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT') {
    out.header = { type: format.toLowerCase() as 'image' | 'video' | 'document' };
    return undefined;
  }
  return `a ${format} header is not one Parley can send`;
}

function readButton(b: Record<string, any>): SyncedTemplate['buttons'][number] | string {
  const kind = String(b?.type ?? '').toUpperCase();
  const text = String(b?.text ?? '');
  if (kind === 'QUICK_REPLY') return { type: 'quick_reply', text };
  if (kind === 'URL') return { type: 'url', text, url: String(b.url ?? '') };
  if (kind === 'PHONE_NUMBER')
    return { type: 'phone_number', text, phone_number: String(b.phone_number ?? '') };
  // An authentication template's one-time-password button: Meta fills it with the body's code.
  if (kind === 'OTP')
    return {
      type: 'otp',
      text: text || 'Copy code',
      otp_type: String(b.otp_type ?? 'COPY_CODE').toLowerCase(),
    };
  return `a ${kind || 'nameless'} button is not one Parley can send`;
}
