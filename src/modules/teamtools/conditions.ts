import { DateTime } from 'luxon';
import type { FieldError } from '../../platform/errors.ts';
import { type Business, weekdays } from '../agents/index.ts';

export const conditionOps = ['eq', 'neq', 'contains', 'in', 'gt', 'lt', 'exists'] as const;
export type ConditionOp = (typeof conditionOps)[number];
export interface Condition {
  field: string;
  op: ConditionOp;
  value?: unknown;
}

/** Fields a condition may test; `contact.<name>` is a contact field or attribute. */
export const conditionFields = [
  'channel',
  'text',
  'tags',
  'agent_id',
  'priority',
  'status',
  'within_business_hours',
  'contact.*',
] as const;

const knownField = (f: string) =>
  (conditionFields as readonly string[]).includes(f) || /^contact\.[A-Za-z0-9_]{1,64}$/.test(f);

/** What is wrong with a condition (unknown field, an op that does not fit its value), or null. */
function problemOf(c: Condition): string | null {
  if (!knownField(c.field)) return `unknown field ${c.field}; use ${conditionFields.join(', ')}`;
  if (c.field === 'within_business_hours' && !(c.op === 'eq' && typeof c.value === 'boolean'))
    return 'within_business_hours takes op eq with value true or false';
  if (c.op === 'in' && !(Array.isArray(c.value) && c.value.length > 0)) return 'op in takes a non-empty list';
  if ((c.op === 'gt' || c.op === 'lt') && typeof c.value !== 'number' && typeof c.value !== 'string')
    return `op ${c.op} takes a number or a string`;
  if (c.op === 'exists' && c.value !== undefined && typeof c.value !== 'boolean')
    return 'op exists takes no value, or true/false';
  if (c.op !== 'exists' && c.op !== 'in' && c.value === undefined) return `op ${c.op} needs a value`;
  return null;
}

export function conditionErrors(conditions: Condition[]): FieldError[] {
  const errors: FieldError[] = [];
  conditions.forEach((c, i) => {
    const problem = problemOf(c);
    if (problem) errors.push({ field: `conditions.${i}`, message: problem });
  });
  return errors;
}

/** The facts an automation's conditions are tested against. */
export type Facts = Record<string, unknown>;

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v);
const same = (a: unknown, b: unknown) => lower(a) === lower(b);

function contains(actual: unknown, value: unknown): boolean {
  if (Array.isArray(actual)) return actual.some((a) => same(a, value));
  if (typeof actual === 'string' && typeof value === 'string')
    return actual.toLowerCase().includes(value.toLowerCase());
  return false;
}

function compare(actual: unknown, value: unknown): number | null {
  if (typeof actual === 'number' && typeof value === 'number') return actual - value;
  if (typeof actual === 'string' && typeof value === 'string') return actual.localeCompare(value);
  return null;
}

/** Whether one condition holds (text compares case-insensitively; on a list `eq` means "has"). */
export function holds(c: Condition, facts: Facts): boolean {
  const actual = facts[c.field];
  const present =
    actual !== undefined && actual !== null && actual !== '' && !(Array.isArray(actual) && !actual.length);
  switch (c.op) {
    case 'exists':
      return c.value === false ? !present : present;
    case 'eq':
      return Array.isArray(actual) ? contains(actual, c.value) : same(actual, c.value);
    case 'neq':
      return Array.isArray(actual) ? !contains(actual, c.value) : !same(actual, c.value);
    case 'contains':
      return contains(actual, c.value);
    case 'in':
      return (c.value as unknown[]).some((v) =>
        Array.isArray(actual) ? contains(actual, v) : same(actual, v),
      );
    case 'gt':
    case 'lt': {
      const d = compare(actual, c.value);
      return d !== null && (c.op === 'gt' ? d > 0 : d < 0);
    }
  }
}

/** Whether the business is open at `at` (its hours and holidays, in its timezone). */
export function openAt(business: Business, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone: business.timezone });
  const date = local.toISODate() ?? '';
  if (business.holidays.includes(date)) return false;
  const hhmm = local.toFormat('HH:mm');
  const intervals = business.hours[weekdays[local.weekday - 1]!] ?? [];
  return intervals.some((iv) => iv.open <= hhmm && hhmm < iv.close);
}
