/**
 * Customers' phone numbers and email addresses shown masked, for a person whose role says so
 * (`mask_contact_details`). Applied once, to whatever the HTTP layer sends such a person (JSON
 * bodies, CSV files, event streams), so no shape can carry a detail past it: every string is
 * searched for E.164 numbers and email addresses. Objects that are the business's own (its
 * users, its channels) keep theirs.
 */

const PHONE = /\+\d{7,15}\b/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const DOT = '•';

/** `+919876543210` → `+91•••••43210`: the country code and the last five digits stay. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+/, '');
  const keepEnd = digits.length > 9 ? 5 : Math.max(2, digits.length - 6);
  const keepStart = Math.min(2, digits.length - keepEnd);
  return `+${digits.slice(0, keepStart)}${DOT.repeat(digits.length - keepStart - keepEnd)}${digits.slice(-keepEnd)}`;
}

/** `priya@example.com` → `p•••@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}${DOT.repeat(3)}${email.slice(at)}`;
}

export function maskText(text: string): string {
  return text.replace(EMAIL, maskEmail).replace(PHONE, maskPhone);
}

/** Objects of the business itself, whose addresses are not a customer's. */
const OWN_OBJECTS = new Set(['user', 'channel', 'workspace']);

/** A JSON value with every customer's phone and email masked (a new value; the input is not changed). */
export function maskContactDetails(value: unknown): unknown {
  if (typeof value === 'string') return maskText(value);
  if (Array.isArray(value)) return value.map(maskContactDetails);
  if (value && typeof value === 'object') {
    if (value instanceof Date || Buffer.isBuffer(value)) return value;
    const o = value as Record<string, unknown>;
    if (typeof o.object === 'string' && OWN_OBJECTS.has(o.object)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = maskContactDetails(v);
    return out;
  }
  return value;
}
