/**
 * A template as Meta's `GET /{waba_id}/message_templates` answers it, read into what Parley stores
 * (pure functions). A template Parley cannot send as it is (a location header, a copy-code, OTP,
 * flow or catalog button, a carousel) is not adopted and says why.
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
    statusReason:
      status === 'rejected' || status === 'paused'
        ? str(t.rejected_reason) && t.rejected_reason !== 'NONE'
          ? t.rejected_reason
          : String(t.status)
        : null,
    quality: str(t.quality_score?.score)?.toLowerCase() ?? null,
    body: '',
    header: null,
    footer: null,
    buttons: [],
    examples: null,
  };
  const examples: NonNullable<SyncedTemplate['examples']> = {};
  for (const c of components) {
    const type = String(c?.type ?? '').toUpperCase();
    if (type === 'BODY') {
      out.body = str(c.text) ?? '';
      const s = samples(c.example?.body_text_named_params, c.example?.body_text);
      if (s) examples.body = s;
    } else if (type === 'HEADER') {
      const format = String(c.format ?? 'TEXT').toUpperCase();
      if (format === 'TEXT') {
        out.header = { type: 'text', text: str(c.text) ?? '' };
        const s = samples(c.example?.header_text_named_params, c.example?.header_text);
        if (s) examples.header = s;
      } else if (format === 'IMAGE' || format === 'VIDEO' || format === 'DOCUMENT')
        out.header = { type: format.toLowerCase() as 'image' | 'video' | 'document' };
      else return refuse(`a ${format} header is not one Parley can send`);
    } else if (type === 'FOOTER') out.footer = str(c.text) ?? null;
    else if (type === 'BUTTONS') {
      for (const b of Array.isArray(c.buttons) ? c.buttons : []) {
        const kind = String(b?.type ?? '').toUpperCase();
        if (kind === 'QUICK_REPLY') out.buttons.push({ type: 'quick_reply', text: String(b.text ?? '') });
        else if (kind === 'URL')
          out.buttons.push({ type: 'url', text: String(b.text ?? ''), url: String(b.url ?? '') });
        else if (kind === 'PHONE_NUMBER')
          out.buttons.push({
            type: 'phone_number',
            text: String(b.text ?? ''),
            phone_number: String(b.phone_number ?? ''),
          });
        else return refuse(`a ${kind || 'nameless'} button is not one Parley can send`);
      }
    } else return refuse(`a ${type || 'nameless'} component is not one Parley can send`);
  }
  if (!out.body) return refuse('it has no body text');
  if (examples.body || examples.header) out.examples = examples;
  return { ok: true, template: out };
}
