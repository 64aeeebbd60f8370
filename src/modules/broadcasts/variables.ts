import type { FieldError } from '../../platform/errors.ts';
import { placeholdersOf, placeholderValue, renderPlaceholders } from '../../platform/placeholders.ts';
import { parsePlaceholders } from '../messaging/index.ts';

/**
 * Per-recipient template variables of a broadcast. Each placeholder of the template takes:
 * 1. the broadcast's `variables[placeholder]`, in which `{{name}}`, `{{phone}}`, `{{email}}` and
 *    `{{attributes.key}}` are replaced by the recipient contact's fields (`{{name|there}}`: a
 *    default when the contact has none);
 * 2. else, for a named placeholder, the contact's field of that name (name, phone, email), or
 *    else its attribute of that name.
 * A positional placeholder (`{{1}}`) must be given in `variables`.
 */

export interface RecipientFields {
  name: string | null;
  phone: string | null;
  email: string | null;
  attributes: Record<string, unknown>;
}

const CORE = ['name', 'phone', 'email'] as const;
const FIELD = /^(name|phone|email|attributes\.[A-Za-z0-9_-]{1,64})$/;
/** A reference's contact field: `contact.` in front is optional, as everywhere (`{{contact.name|there}}`). */
const fieldName = (key: string) => key.replace(/^contact\./, '');

/** Checks a broadcast's variables against its template body at creation; every problem found. */
export function checkBroadcastVariables(
  body: string,
  variables: Record<string, string | number>,
): FieldError[] {
  const ph = parsePlaceholders(body);
  if (typeof ph === 'string') return [{ field: 'template', message: `the template ${ph}` }];
  const errors: FieldError[] = [];
  for (const name of ph.names) {
    if (variables[name] === undefined && ph.kind === 'positional')
      errors.push({ field: `variables.${name}`, message: `is required by the template ({{${name}}})` });
  }
  for (const [key, value] of Object.entries(variables)) {
    if (!ph.names.includes(key)) {
      errors.push({
        field: `variables.${key}`,
        message: ph.names.length
          ? `is not a placeholder of the template (it has ${ph.names.map((n) => `{{${n}}}`).join(', ')})`
          : 'is not used: the template has no placeholders',
      });
      continue;
    }
    for (const p of placeholdersOf(String(value))) {
      if (!FIELD.test(fieldName(p.key)))
        errors.push({
          field: `variables.${key}`,
          message: `{{${p.key}}} is not a contact field (use name, phone, email or attributes.<key>)`,
        });
    }
    if (String(value).trim() === '') errors.push({ field: `variables.${key}`, message: 'must not be empty' });
  }
  return errors;
}

function fieldOf(contact: RecipientFields, field: string): string | null {
  if (field.startsWith('attributes.')) {
    const v = contact.attributes[field.slice('attributes.'.length)];
    return v === undefined || v === null || String(v).trim() === '' ? null : String(v);
  }
  const v = contact[field as (typeof CORE)[number]];
  return v?.trim() ? v : null;
}

/**
 * The values for one recipient, keyed by placeholder, or the reason this contact cannot get
 * the message (a field it lacks with no default).
 */
export function recipientVariables(
  body: string,
  variables: Record<string, string | number>,
  contact: RecipientFields,
): { values: Record<string, string> } | { error: string } {
  const ph = parsePlaceholders(body);
  if (typeof ph === 'string') return { error: `the template ${ph}` };
  const values: Record<string, string> = {};
  for (const name of ph.names) {
    const given = variables[name];
    if (given === undefined) {
      const field = (CORE as readonly string[]).includes(name) ? name : `attributes.${name}`;
      const v = fieldOf(contact, field);
      if (v === null) return { error: `the contact has no ${field} for {{${name}}}` };
      values[name] = v;
      continue;
    }
    let missing: string | null = null;
    const lookup = (key: string) => fieldOf(contact, fieldName(key));
    for (const p of placeholdersOf(String(given)))
      if (!placeholderValue(lookup, p.key, p.fallback)) missing ??= fieldName(p.key);
    const filled = renderPlaceholders(String(given), lookup, { prose: false });
    if (missing) return { error: `the contact has no ${missing} for {{${name}}}` };
    values[name] = filled;
  }
  return { values };
}
