import { DateTime } from 'luxon';
import type { FieldError } from '../../platform/errors.ts';
import { type Business, weekdays } from '../agents/index.ts';

export const conditionOps = ['eq', 'neq', 'contains', 'contains_word', 'in', 'gt', 'lt', 'exists'] as const;
export type ConditionOp = (typeof conditionOps)[number];
export interface FieldCondition {
  field: string;
  op: ConditionOp;
  value?: unknown;
}
/** A group that holds when any of its conditions holds (OR); the list itself is AND. */
export interface AnyCondition {
  any: FieldCondition[];
}
export type Condition = FieldCondition | AnyCondition;
export const isAny = (c: Condition): c is AnyCondition => 'any' in c;

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
function problemOf(c: FieldCondition): string | null {
  if (!knownField(c.field)) return `unknown field ${c.field}; use ${conditionFields.join(', ')}`;
  if (c.field === 'within_business_hours' && !(c.op === 'eq' && typeof c.value === 'boolean'))
    return 'within_business_hours takes op eq with value true or false';
  if (c.op === 'in' && !(Array.isArray(c.value) && c.value.length > 0)) return 'op in takes a non-empty list';
  if ((c.op === 'gt' || c.op === 'lt') && typeof c.value !== 'number' && typeof c.value !== 'string')
    return `op ${c.op} takes a number or a string`;
  if (c.op === 'exists' && c.value !== undefined && typeof c.value !== 'boolean')
    return 'op exists takes no value, or true/false';
  if (c.op !== 'exists' && c.op !== 'in' && c.value === undefined) return `op ${c.op} needs a value`;
  if (c.op === 'contains_word' && !(typeof c.value === 'string' || Array.isArray(c.value)))
    return 'op contains_word takes a word (or a phrase), or a list of them';
  return null;
}

export function conditionErrors(conditions: Condition[]): FieldError[] {
  const errors: FieldError[] = [];
  conditions.forEach((c, i) => {
    if (isAny(c)) {
      if (!c.any.length)
        errors.push({ field: `conditions.${i}.any`, message: 'an any group needs a condition' });
      c.any.forEach((inner, j) => {
        const problem = problemOf(inner);
        if (problem) errors.push({ field: `conditions.${i}.any.${j}`, message: problem });
      });
      return;
    }
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

const escapeRegExp = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether the text has the word (or phrase) as a whole word: "pain" is in "severe pain." and
 * "Pain, since" but not in "painless" or "Spain" (letters, marks and digits of any script are word parts).
 */
export function hasWord(text: unknown, word: unknown): boolean {
  if (typeof word !== 'string' || !word.trim()) return false;
  const values = Array.isArray(text) ? text : [text];
  const phrase = word.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
  const re = new RegExp(`(?<![\\p{L}\\p{M}\\p{N}_])${phrase}(?![\\p{L}\\p{M}\\p{N}_])`, 'iu');
  return values.some((v) => typeof v === 'string' && re.test(v));
}

function compare(actual: unknown, value: unknown): number | null {
  if (typeof actual === 'number' && typeof value === 'number') return actual - value;
  if (typeof actual === 'string' && typeof value === 'string') return actual.localeCompare(value);
  return null;
}

/** Whether one condition holds (text compares case-insensitively; on a list `eq` means "has"); a group: any of its own. */
export function holds(c: Condition, facts: Facts): boolean {
  if (isAny(c)) return c.any.some((inner) => holds(inner, facts));
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
    case 'contains_word':
      return (Array.isArray(c.value) ? c.value : [c.value]).some((w) => hasWord(actual, w));
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
