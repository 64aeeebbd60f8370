import type { z } from 'zod';

/**
 * Hints for fields a request names wrongly: names other platforms (and our own seed data) use for a
 * field Parley calls otherwise, then the nearest known name by edit distance. Only a name the
 * object really has is ever suggested.
 */
const ALIASES: Record<string, string[]> = {
  phoneNumber: ['phone', 'phone_number', 'to'],
  phone_number: ['phone', 'to'],
  phoneNo: ['phone', 'phone_number', 'to'],
  mobile: ['phone', 'phone_number', 'to'],
  mobile_number: ['phone', 'phone_number', 'to'],
  number: ['phone', 'phone_number', 'to'],
  msisdn: ['phone', 'to'],
  recipient: ['to'],
  recipient_phone: ['to'],
  body: ['text'],
  message: ['text'],
  content: ['text'],
  msg: ['text'],
  agent_id: ['user_id'],
  assignee: ['user_id'],
  assignee_id: ['user_id'],
  userId: ['user_id'],
  emailAddress: ['email'],
  email_address: ['email'],
  firstName: ['name'],
  first_name: ['name'],
  fullName: ['name'],
  full_name: ['name'],
  events: ['enabled_events', 'events'],
  event_types: ['enabled_events', 'events'],
  webhook_url: ['url'],
  callback_url: ['url'],
  tz: ['timezone'],
  time_zone: ['timezone'],
};

const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The known field `key` most likely meant, or null. */
export function suggestField(key: string, known: string[]): string | null {
  if (!known.length) return null;
  const lower = key.toLowerCase();
  // Own keys only: `constructor` or `__proto__` in a body must not find Object.prototype's members.
  const alias = (k: string) => (Object.hasOwn(ALIASES, k) ? ALIASES[k] : undefined);
  const candidates = [snakeCase(key), ...(alias(key) ?? alias(snakeCase(key)) ?? [])];
  for (const c of candidates) if (c !== key && known.includes(c)) return c;
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

type AnySchema = z.core.$ZodType;
const defOf = (s: AnySchema) => (s as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;

/** Unwraps optional, nullable, default, pipes and the like down to the schema that has the shape. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 10; i++) {
    const def = defOf(s);
    const inner = (def.innerType ?? def.in ?? def.schema) as AnySchema | undefined;
    if (!inner || def.type === 'object') return s;
    s = inner;
  }
  return s;
}

/** The keys of the object found at `path` inside `schema` (empty when it is not an object). */
export function knownKeysAt(schema: AnySchema | undefined, path: PropertyKey[]): string[] {
  if (!schema) return [];
  let s: AnySchema | undefined = unwrap(schema);
  for (const step of path) {
    if (!s) return [];
    const def = defOf(s);
    if (def.type === 'object') s = (def.shape as Record<string, AnySchema>)[String(step)];
    else if (def.type === 'array') s = def.element as AnySchema;
    else if (def.type === 'record') s = def.valueType as AnySchema;
    else return [];
    if (s) s = unwrap(s);
  }
  if (!s) return [];
  const def = defOf(s);
  return def.type === 'object' ? Object.keys(def.shape as Record<string, unknown>) : [];
}

/** The value at `path` in a parsed request part. */
export function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let v = value;
  for (const step of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[step];
  }
  return v;
}

const ID_FORMAT = /^must be an id starting with ([a-z]+)_$/;

/**
 * An id with the right prefix that cannot exist (`agt_nope`) is not found, not a format error: the
 * prefix it was refused for when the issue is such an id, else null.
 */
export function wellPrefixedUnknownId(issue: z.core.$ZodIssue, input: unknown): string | null {
  const m = ID_FORMAT.exec(issue.message);
  if (!m) return null;
  const value = valueAt(input, issue.path);
  return typeof value === 'string' &&
    /^[a-z]+_[A-Za-z0-9_-]{1,80}$/.test(value) &&
    value.startsWith(`${m[1]}_`)
    ? value
    : null;
}
