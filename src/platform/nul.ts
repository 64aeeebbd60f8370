/**
 * The NUL character (U+0000) rule, the same on both storages: PostgreSQL cannot store it in text,
 * and no customer-facing text needs it. API callers are told (400 naming the field); text from a
 * provider that has verified it (a WhatsApp or SMS webhook) loses the character rather than the
 * message; an import fails only the row that has one.
 */
export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';

/** Every field path (dot-separated, array indexes as numbers) whose key or string value holds a NUL. */
export function nulFields(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path || 'body'] : [];
  if (!value || typeof value !== 'object') return [];
  const out: string[] = [];
  const entries: Array<[string, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, v] of entries) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) out.push(at);
    else out.push(...nulFields(v, at));
  }
  return out;
}

/**
 * The value with every NUL removed from its strings and keys (a new value; the input is left
 * alone). Only plain objects and arrays are walked: a Date, a Buffer or a class instance is kept
 * as it is.
 */
export function stripNul<T>(value: T): T {
  if (typeof value === 'string') return value.replaceAll('\u0000', '') as T;
  if (!value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => stripNul(v)) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replaceAll('\u0000', ''), stripNul(v)]),
  ) as T;
}

/** A JSON escape of a UTF-16 surrogate (`\ud800`..`\udfff`): the only way JSON text carries a lone one. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A parsed JSON body whose lone surrogates (`"\ud800"`, not half of a pair) are U+FFFD, as the same
 * text sent as raw bytes already is when the body is decoded as UTF-8. Stored as they came, they
 * reached PostgreSQL as JSON escapes its json parser refuses ("invalid input syntax for type
 * json"). `text` is the body as parsed; bodies without a surrogate escape are returned as they are.
 */
export function wellFormedJson<T>(value: T, text: string): T {
  return SURROGATE_ESCAPE.test(text) ? wellFormed(value) : value;
}

function wellFormed<T>(value: T): T {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\uFFFD') as T;
  if (!value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => wellFormed(v)) as T;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k.replace(LONE_SURROGATE, '\uFFFD'), wellFormed(v)]),
  ) as T;
}
