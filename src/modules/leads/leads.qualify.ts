import { fromJson } from '../../platform/json.ts';
import type { LeadStatus } from './leads.tables.ts';

/**
 * When a lead the AI captures is qualified: its agent asks for lead fields and every required one
 * (every one, when none is marked required) has a value. The move into `qualified` emits
 * `lead.qualified`. A status someone set (the API's `status`, a person) is never changed here.
 */
export function aiLeadStatus(
  current: LeadStatus,
  agentLeadFields: string | null | undefined,
  fieldsJson: string,
): LeadStatus {
  if (current !== 'new') return current;
  const asked = fromJson<Array<{ key: string; required?: boolean }>>(agentLeadFields ?? '[]', []);
  if (!asked.length) return current;
  const required = asked.some((f) => f.required) ? asked.filter((f) => f.required) : asked;
  const fields = fromJson<Record<string, unknown>>(fieldsJson, {});
  const filled = (k: string) =>
    fields[k] !== undefined && fields[k] !== null && String(fields[k]).trim() !== '';
  return required.every((f) => filled(f.key)) ? 'qualified' : current;
}
