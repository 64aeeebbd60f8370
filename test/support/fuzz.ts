/**
 * The request fuzz of test/app/fuzz.test.ts: from one operation of openapi.json (its JSON body
 * schema and example, its query and path parameters), about a hundred hostile requests, drawn by
 * a seeded generator so that a failure reproduces from its seed and label alone.
 *
 * Every operation gets the same structural attacks on its body (no body, JSON `null`, arrays,
 * scalars, malformed JSON, other content types, deep nesting, huge and non-UTF-8 bodies,
 * prototype keys, unknown properties), `null` and a value of the wrong type for each documented
 * property, two bad values for each query parameter and a set of bad path ids; the rest of the
 * budget is drawn from the pool of every hostile value at every property, query parameter, path
 * id and Idempotency-Key.
 */

import { multipartVariants, randomUpload } from './fuzz-uploads.ts';
import {
  anyHostile,
  BAD_UTF8,
  BYTES,
  HUGE,
  idempotencyHostile,
  idHostile,
  nest,
  queryHostile,
} from './fuzz-values.ts';

/** One hostile request, relative to the operation: the test puts in the real ids. */
export interface FuzzVariant {
  label: string;
  /** Path parameters replaced by these raw (already URL-encoded) segments. */
  pathParams?: Record<string, string>;
  /** Raw query string, without `?`. */
  query?: string;
  /** The body's bytes; undefined: no body. */
  payload?: string | Buffer;
  /** The Content-Type sent with `payload` (undefined: none). */
  contentType?: string;
  headers?: Record<string, string>;
  /** Send the query as it is, without the required parameters' documented values. */
  bareQuery?: boolean;
}

export interface FuzzOperation {
  method: string;
  path: string;
  /** The JSON request body's schema and example, when the operation takes one. */
  schema?: JsonSchema;
  example?: unknown;
  query: string[];
  /** Required query parameters with their documented examples, sent unless a variant replaces them. */
  requiredQuery: Record<string, string>;
  pathParams: string[];
  /** Whether the operation documents an Idempotency-Key header. */
  idempotent: boolean;
  /** Whether its body is a multipart form (a file upload). */
  multipart: boolean;
}

export type JsonSchema = Record<string, any>;

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, mixed with the run's seed: each operation's own stream of choices. */
export function seedFor(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** For a schema type, values of another type: the wrong types this property must refuse. */
function wrongTypes(schema: JsonSchema | undefined): Array<[string, unknown]> {
  const type = typeOf(schema);
  const all: Array<[string, unknown]> = [
    ['string', 'x'],
    ['number', 123],
    ['boolean', true],
    ['object', { a: 1 }],
    ['array', ['x']],
  ];
  const own: Record<string, string[]> = {
    string: ['string'],
    integer: ['number'],
    number: ['number'],
    boolean: ['boolean'],
    object: ['object'],
    array: ['array'],
  };
  const skip = own[type ?? ''] ?? [];
  return all.filter(([name]) => !skip.includes(name));
}

/** A schema's own type, looking through a nullable anyOf. */
function typeOf(schema: JsonSchema | undefined): string | undefined {
  if (!schema) return undefined;
  if (typeof schema.type === 'string') return schema.type;
  for (const alt of schema.anyOf ?? schema.oneOf ?? []) if (alt.type && alt.type !== 'null') return alt.type;
  return undefined;
}

/** The properties a schema documents (through allOf, anyOf and oneOf), one level. */
function propertiesOf(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  if (!schema) return {};
  const out: Record<string, JsonSchema> = { ...(schema.properties ?? {}) };
  for (const part of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    Object.assign(out, propertiesOf(part));
  return out;
}

type Path = Array<string | number>;

/** Each documented property, and one level below where it is an object or an array of objects. */
function propertyPaths(schema: JsonSchema | undefined): Array<{ path: Path; schema: JsonSchema }> {
  const out: Array<{ path: Path; schema: JsonSchema }> = [];
  for (const [name, child] of Object.entries(propertiesOf(schema))) {
    out.push({ path: [name], schema: child });
    const type = typeOf(child);
    const inner =
      type === 'array' ? (child.items ?? child.anyOf?.find((a: JsonSchema) => a.items)?.items) : child;
    const prefix: Path = type === 'array' ? [name, 0] : [name];
    if (type === 'array' && inner) out.push({ path: prefix, schema: inner });
    for (const [sub, subSchema] of Object.entries(propertiesOf(inner)))
      out.push({ path: [...prefix, sub], schema: subSchema });
  }
  return out;
}

/** Paths into an example (objects' keys, every array's first two items), down to `depth` levels. */
function examplePaths(v: unknown, depth = 5, prefix: Path = []): Path[] {
  if (depth === 0 || v === null || typeof v !== 'object') return [];
  const entries: Array<[string | number, unknown]> = Array.isArray(v)
    ? v.slice(0, 2).map((item, i) => [i, item])
    : Object.entries(v);
  return entries.flatMap(([k, child]) => [[...prefix, k], ...examplePaths(child, depth - 1, [...prefix, k])]);
}

/** A copy of `root` with `value` at `path`, making the objects and arrays on the way. */
function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy: unknown = root !== null && typeof root === 'object' ? structuredClone(root) : {};
  // Own properties only, set with defineProperty: a key named `__proto__` must become a property
  // of the body, never a way into Object.prototype (of this process).
  const own = (at: object, k: string | number, v: unknown) =>
    Object.defineProperty(at, k, { value: v, enumerable: true, writable: true, configurable: true });
  let at = copy as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = Object.hasOwn(at, k) ? at[k] : undefined;
    if (next === null || typeof next !== 'object') own(at, k, typeof path[i + 1] === 'number' ? [] : {});
    at = at[k] as Record<string | number, unknown>;
  }
  own(at, path.at(-1)!, value);
  return copy;
}

/** The JSON text of a body, with the raw-text and raw-byte placeholders put in. */
function encode(body: unknown): string | Buffer {
  const text = JSON.stringify(body).replace(/"@@raw:([^@"]*)@@"/g, '$1');
  if (!text.includes(BYTES)) return text;
  const parts = text.split(BYTES);
  return Buffer.concat(parts.flatMap((p, i) => (i ? [BAD_UTF8, Buffer.from(p)] : [Buffer.from(p)])));
}

const JSON_TYPE = 'application/json';

/** Attacks on the body as a whole, the same for every operation. */
function structural(base: unknown): FuzzVariant[] {
  const json = (label: string, payload: string | Buffer): FuzzVariant => ({
    label: `body: ${label}`,
    payload,
    contentType: JSON_TYPE,
  });
  const baseText = JSON.stringify(base);
  return [
    json('empty with a JSON content type', ''),
    json('JSON null', 'null'),
    json('empty array', '[]'),
    json('array of the body', `[${baseText}]`),
    json('array of null', '[null]'),
    json('string', '"x"'),
    json('number', '0'),
    json('true', 'true'),
    json('truncated', baseText.slice(0, Math.max(1, baseText.length - 2))),
    json('single quotes', "{'a': 1}"),
    json('trailing comma', '{"a": 1,}'),
    json('garbage after the JSON', `${baseText} trailing`),
    json('byte order mark', `\ufeff${baseText}`),
    json('NaN literal', '{"a": NaN}'),
    json('duplicate keys', '{"a": 1, "a": {"b": 2}}'),
    json('1,000-deep arrays', encode(setAt(base, ['zz_deep'], nest(1000, 1, 'array')))),
    json('1,000-deep objects', encode(nest(1000, base, 'object'))),
    json('100 KB array', JSON.stringify(Array.from({ length: 20_000 }, () => 'xxxx'))),
    json('100 KB unknown property', encode(setAt(base, ['zz_note'], HUGE))),
    json('non-UTF-8 bytes', Buffer.concat([Buffer.from('{"a":"'), BAD_UTF8, Buffer.from('"}')])),
    json('bytes that are not JSON', Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x7b])),
    json('__proto__ key', encode(setAt(base, ['__proto__'], { polluted: true, admin: true }))),
    json(
      'constructor.prototype key',
      encode(setAt(base, ['constructor'], { prototype: { polluted: true } })),
    ),
    json('unknown properties', encode(setAt(setAt(base, ['zz_unknown'], 1), ['livemode'], false))),
    {
      label: 'body: JSON as text/plain',
      payload: baseText,
      contentType: 'text/plain',
    },
    {
      label: 'body: form-encoded',
      payload: 'a=1&__proto__[polluted]=1',
      contentType: 'application/x-www-form-urlencoded',
    },
    { label: 'body: XML', payload: '<?xml version="1.0"?><a>1</a>', contentType: 'application/xml' },
    {
      label: 'body: multipart with a broken boundary',
      payload: '--zz\r\nContent-Disposition: form-data; name="file"\r\n\r\nx\r\n',
      contentType: 'multipart/form-data; boundary=yy',
    },
    {
      label: 'body: JSON in UTF-16',
      payload: Buffer.from(baseText, 'utf16le'),
      contentType: `${JSON_TYPE}; charset=utf-16`,
    },
    { label: 'body: JSON with no content type', payload: baseText },
    { label: 'body: nonsense content type', payload: baseText, contentType: ';;;/=' },
  ];
}

/** A raw query with the required parameters added where it does not name them. */
function withRequired(query: string | undefined, required: Record<string, string>): string | undefined {
  const named = new Set((query ?? '').split('&').map((p) => p.split(/[=[]/)[0]));
  const add = Object.entries(required)
    .filter(([name]) => !named.has(name))
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`);
  if (!add.length) return query;
  return [...(query ? [query] : []), ...add].join('&');
}

export function fuzzVariants(o: FuzzOperation, rand: () => number, budget: number): FuzzVariant[] {
  const base = o.example ?? {};
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const body = (label: string, path: Path, value: unknown): FuzzVariant => ({
    label: `body ${path.join('.')}: ${label}`,
    payload: encode(setAt(base, path, value)),
    contentType: JSON_TYPE,
  });
  const query = (q: string, [label, make]: (typeof queryHostile)[number]): FuzzVariant => ({
    label: `query ${q}: ${label}`,
    query: make(q),
  });
  const id = (p: string, [label, raw]: [string, string]): FuzzVariant => ({
    label: `path ${p}: ${label}`,
    pathParams: { [p]: raw },
  });

  const out = [...structural(base), ...(o.multipart ? multipartVariants() : [])];
  const props = propertyPaths(o.schema);
  for (const { path, schema } of props) {
    out.push(body('null', path, null));
    const [label, value] = pick(wrongTypes(schema));
    out.push(body(`a ${label}`, path, value));
  }
  for (const q of o.query) for (let i = 0; i < 2; i++) out.push(query(q, pick(queryHostile)));
  for (const p of o.pathParams)
    for (const bad of ['2,000 characters', 'unicode', 'encoded ../', '..', 'NUL', 'non-UTF-8 byte'])
      out.push(id(p, idHostile.find(([label]) => label === bad)!));

  // The pool the rest of the budget is drawn from.
  // Every documented property, every place in the example (deeper than the schema walk goes).
  const known = new Set(props.map((p) => JSON.stringify(p.path)));
  const targets: Path[] = [
    ...props.map((p) => p.path),
    ...examplePaths(base).filter((p) => !known.has(JSON.stringify(p))),
    ['zz_unknown'],
    ['__proto__', 'polluted'],
  ];
  const draws: Array<() => FuzzVariant> = [
    () => {
      const [label, make] = pick(anyHostile);
      return body(label, pick(targets), make());
    },
    () => {
      const { path, schema } = props.length ? pick(props) : { path: ['zz_unknown'], schema: {} };
      const [label, value] = pick(wrongTypes(schema));
      return body(`a ${label}`, path, value);
    },
    () => {
      // Two hostile values at once, so a check on one field cannot hide a crash on another.
      const [l1, m1] = pick(anyHostile);
      const [l2, m2] = pick(anyHostile);
      const p1 = pick(targets);
      const p2 = pick(targets);
      return {
        label: `body ${p1.join('.')}: ${l1}, ${p2.join('.')}: ${l2}`,
        payload: encode(setAt(setAt(base, p1, m1()), p2, m2())),
        contentType: JSON_TYPE,
      };
    },
    () =>
      query(
        o.query.length ? pick(o.query) : pick(['zz_unknown', '__proto__', 'constructor']),
        pick(queryHostile),
      ),
    () => ({
      label: 'query: unknown keys',
      query: `${pick(['__proto__', 'constructor', 'zz'])}[${pick(['polluted', 'prototype'])}]=1&zz_unknown=1`,
    }),
  ];
  if (o.pathParams.length) draws.push(() => id(pick(o.pathParams), pick(idHostile)));
  // An upload's budget goes mostly to broken forms, not to JSON it refuses by its type.
  if (o.multipart) draws.push(...Array.from({ length: 6 }, () => () => randomUpload(pick)));
  for (const q of Object.keys(o.requiredQuery))
    out.push({ label: `query ${q}: missing`, query: '', bareQuery: true });
  if (o.idempotent)
    draws.push(() => {
      const [label, value] = pick(idempotencyHostile);
      return { label: `Idempotency-Key: ${label}`, headers: { 'idempotency-key': value } };
    });
  const seen = new Set(out.map((v) => v.label));
  for (let tries = 0; out.length < budget && tries < budget * 20; tries++) {
    const v = pick(draws)();
    if (seen.has(v.label)) continue;
    seen.add(v.label);
    out.push(v);
  }
  for (const v of out) {
    // Query, path and header attacks carry the documented body, so they get past its validation.
    if (o.schema && v.payload === undefined)
      Object.assign(v, { payload: encode(base), contentType: JSON_TYPE });
    // And the required query parameters, unless they are what the variant attacks.
    if (!v.bareQuery) v.query = withRequired(v.query, o.requiredQuery);
  }
  return out;
}
