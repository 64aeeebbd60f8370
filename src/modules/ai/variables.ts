import { fromJson } from '../../platform/json.ts';
import type { ContactRow } from '../contacts/index.ts';

/** {{placeholders}} values: the contact's fields and attributes, then the conversation's dynamic variables. */
export function variablesOf(
  contact: ContactRow | undefined,
  dynamic: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (contact) {
    for (const [k, v] of Object.entries(fromJson<Record<string, unknown>>(contact.attributes, {})))
      if (v !== null) out[k] = String(v);
    if (contact.name) {
      out.name = contact.name;
      out.first_name = contact.name.split(/\s+/)[0];
    }
    if (contact.phone) out.phone = contact.phone;
    if (contact.email) out.email = contact.email;
  }
  for (const [k, v] of Object.entries(dynamic)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}
