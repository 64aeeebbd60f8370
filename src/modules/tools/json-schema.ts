import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { FieldError } from '../../platform/errors.ts';

/**
 * A tool's `input_schema`: a JSON Schema (draft 2020-12) whose root is an object. Arguments are
 * checked by Ajv (with ajv-formats), compiled once per schema: null is a value of its own (only
 * `type: ["string", "null"]`, `anyOf` with `{type: "null"}` or an enum holding null take it), and
 * string lengths count characters (code points), not UTF-16 units.
 */
export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

export interface JsonSchema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  [keyword: string]: unknown;
}

type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats = ((formats as { default?: unknown }).default ?? formats) as AddFormats;

/** Strict: what a tool definition may declare (unknown keywords and formats are refused). */
const definitions = addFormats(
  new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, logger: false }),
);
/** Lenient: checking arguments against a stored schema never fails on a keyword. */
const argumentChecks = addFormats(new Ajv2020({ allErrors: true, strict: false, logger: false }));

/**
 * Compiled argument checks by schema text. A cache of pure functions of their key (no app state):
 * two apps in one process compile the same schema to the same check. Bounded, oldest out first.
 */
const compiled = new Map<string, ValidateFunction>();
const COMPILED_MAX = 1000;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const ROOT_PROPERTIES_MAX = 50;
const SCHEMA_BYTES_MAX = 64 * 1024;

/**
 * Why `schema` is not a tool's argument schema (empty: it is one). The root must be an object
 * schema with at most 50 properties named with letters, digits and `_` (the names placeholders
 * bind, `{{args.name}}`); the whole must be a schema Ajv compiles in strict mode.
 */
export function checkInputSchema(schema: unknown, field = 'input_schema'): FieldError[] {
  if (!isObject(schema) || schema.type !== 'object')
    return [{ field, message: 'must be a JSON Schema object: {"type": "object", "properties": {...}}' }];
  if (deeperThan(schema, 24)) return [{ field, message: 'nests deeper than 24 levels' }];
  if (JSON.stringify(schema).length > SCHEMA_BYTES_MAX)
    return [{ field, message: `is larger than ${SCHEMA_BYTES_MAX / 1024} KB` }];
  const errors = rootProperties(schema, field);
  if (!definitions.validateSchema(schema)) {
    const seen = new Set<string>();
    for (const e of definitions.errors ?? []) {
      const at = field + dotted(e.instancePath);
      if (seen.has(at)) continue;
      seen.add(at);
      errors.push({ field: at, message: e.message ?? 'is not valid JSON Schema' });
    }
    return errors;
  }
  if (errors.length) return errors;
  try {
    definitions.compile(schema);
  } catch (err) {
    return [{ field, message: `cannot be compiled: ${(err as Error).message}`.slice(0, 500) }];
  }
  return [];
}

function rootProperties(schema: Record<string, unknown>, field: string): FieldError[] {
  const props = schema.properties;
  if (props === undefined) return [];
  if (!isObject(props)) return [{ field: `${field}.properties`, message: 'must be an object of schemas' }];
  const errors: FieldError[] = [];
  if (Object.keys(props).length > ROOT_PROPERTIES_MAX)
    errors.push({ field: `${field}.properties`, message: `at most ${ROOT_PROPERTIES_MAX} properties` });
  for (const name of Object.keys(props))
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name))
      errors.push({
        field: `${field}.properties.${name}`,
        message: 'property names are letters, digits and _',
      });
  const required = schema.required;
  if (Array.isArray(required))
    for (const r of required)
      if (typeof r === 'string' && !(r in props))
        errors.push({ field: `${field}.required`, message: `${r} is not a property` });
  return errors;
}

/** `/a/0/b` as `.a[0].b`. */
function dotted(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('');
}

/**
 * The schema arguments are checked against: an object that lists its properties and says nothing
 * of others refuses them (a model's invented argument is an error it can fix, not a silent
 * extra). Applied where an object is a whole value (the root, properties, items, each branch of
 * anyOf/oneOf), never inside allOf, whose parts describe one object together.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = { ...node };
  if (
    isObject(out.properties) &&
    out.additionalProperties === undefined &&
    out.patternProperties === undefined &&
    out.unevaluatedProperties === undefined &&
    out.allOf === undefined
  )
    out.additionalProperties = false;
  for (const k of ['items', 'additionalProperties', 'not', 'if', 'then', 'else'] as const)
    if (isObject(out[k])) out[k] = closed(out[k]);
  for (const k of ['anyOf', 'oneOf', 'prefixItems'] as const)
    if (Array.isArray(out[k])) out[k] = (out[k] as unknown[]).map(closed);
  for (const k of ['properties', '$defs'] as const)
    if (isObject(out[k]))
      out[k] = Object.fromEntries(Object.entries(out[k] as object).map(([p, s]) => [p, closed(s)]));
  return out;
}

function validatorOf(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  const validate = argumentChecks.compile(closed(schema) as object);
  if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, validate);
  return validate;
}

/**
 * Why `value` does not fit `schema` (empty: it fits), one line per problem:
 * `args.amount: must be a number`, `args: order_id is required`.
 */
export function validateValue(schema: JsonSchema, value: unknown, path = 'args'): string[] {
  let validate: ValidateFunction;
  try {
    validate = validatorOf(schema);
  } catch (err) {
    return [`${path}: the tool's input_schema cannot be checked (${(err as Error).message})`];
  }
  if (validate(value)) return [];
  const lines = (validate.errors ?? []).flatMap((e) => describeError(e, path));
  return [...new Set(lines)];
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

function describeError(e: ErrorObject, path: string): string[] {
  const at = path + dotted(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type': {
      const types = String(p.type).split(',');
      return [`${at}: must be ${types.map((t) => (t === 'null' ? 'null' : article(t))).join(' or ')}`];
    }
    case 'required':
      return [`${at}: ${p.missingProperty} is required`];
    case 'additionalProperties':
      return [`${at}.${p.additionalProperty}: is not an argument of this tool`];
    case 'enum':
      return [
        `${at}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      ];
    // The branches' own errors say what was wrong; "must match a schema in anyOf" adds nothing.
    case 'anyOf':
    case 'oneOf':
      return e.keyword === 'oneOf' && Array.isArray(p.passingSchemas) ? [`${at}: ${e.message}`] : [];
    default:
      return [`${at}: ${e.message ?? 'is not valid'}`];
  }
}

/** The one non-null type of a property (`["string", "null"]` and `anyOf` with null read as their other type). */
function mainType(prop: JsonSchema): JsonType | undefined {
  if (typeof prop.type === 'string') return prop.type;
  if (Array.isArray(prop.type)) return prop.type.find((t) => t !== 'null');
  const branch = (prop.anyOf ?? prop.oneOf)?.find((b) => b.type !== 'null');
  return branch ? mainType(branch) : undefined;
}

/**
 * What a property's value is read as: a nullable one's other branch (`anyOf: [X, {type: "null"}]`
 * reads as X), none for a union of several (which branch a word meant is not guessed).
 */
function valueSchema(prop: JsonSchema): JsonSchema | undefined {
  if (!prop || typeof prop !== 'object') return undefined;
  const union = prop.anyOf ?? prop.oneOf;
  if (!Array.isArray(union)) return prop;
  const branches = union.filter((b) => b?.type !== 'null');
  return branches.length === 1 ? branches[0] : undefined;
}

/**
 * The first match of a schema's `pattern` in the text (none when the pattern does not compile).
 * A pattern anchored to the whole value (`^[0-9]{4,8}$`, the usual way to validate) is looked for
 * without its anchors, as a whole word of the text ("where is my order 5531?"), and what it finds
 * must still pass the pattern as written.
 */
function firstMatch(pattern: string, text: string): string | undefined {
  try {
    const whole = new RegExp(pattern, 'u');
    const found = whole.exec(text)?.[0];
    if (found !== undefined) return found;
    const inner = unanchored(pattern);
    if (inner === pattern) return undefined;
    const within = new RegExp(`(?<![\\p{L}\\p{N}])(?:${inner})(?![\\p{L}\\p{N}])`, 'gu');
    for (const m of text.matchAll(within)) if (whole.test(m[0])) return m[0];
    return undefined;
  } catch {
    return undefined;
  }
}

/** A pattern without its leading `^` and trailing `$` (an escaped `\\$` stays). */
function unanchored(pattern: string): string {
  let p = pattern.startsWith('^') ? pattern.slice(1) : pattern;
  if (p.endsWith('$') && !/(^|[^\\])(\\\\)*\\\$$/.test(p)) p = p.slice(0, -1);
  return p;
}

/** Words that say which value a property is, from its name and description ("order_id", "The order number"). */
function cueWords(name: string, prop: JsonSchema): string[] {
  const said = `${name.replace(/[_-]+/g, ' ')} ${prop.description ?? ''}`.toLowerCase();
  const stop = new Set([
    'the',
    'and',
    'for',
    'of',
    'number',
    'customer',
    'customers',
    'your',
    'this',
    'that',
    'with',
    'id',
    'identifier',
    'code',
    'value',
  ]);
  return [...new Set(said.match(/\p{L}{3,}/gu) ?? [])].filter((w) => !stop.has(w)).slice(0, 8);
}

/**
 * A value said right after one of the property's cue words: "order 5531", "order no. 5531",
 * "invoice #INV-204". `kind` picks a number, or an identifier (a word holding a digit).
 */
function afterCue(cues: string[], text: string, kind: 'number' | 'id'): string | undefined {
  if (cues.length === 0) return undefined;
  const value = kind === 'number' ? '(-?\\d+(?:\\.\\d+)?)' : '#?([\\p{L}\\p{N}-]*\\p{N}[\\p{L}\\p{N}-]*)';
  const re = new RegExp(
    `(?<![\\p{L}])(?:${cues.join('|')})s?(?:\\s*(?:number|no\\.?|num|id|#|:))*\\s*${value}(?![\\p{L}\\p{N}])`,
    'iu',
  );
  return re.exec(text)?.[1];
}

/**
 * Reads arguments from a customer's words, for the built-in agent: a string property with a
 * `pattern` takes the first match in the text (an anchored pattern is looked for as a word), a
 * string without one a word holding a digit said after its name's or description's words ("order
 * 5531"), an enum the first value named, a number or integer the one said after those words, else
 * the first number. Only top-level properties; those not found stay absent (objects, arrays,
 * unions of several types and records are never guessed from words).
 */
export function extractArgs(schema: JsonSchema, text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, given] of Object.entries(schema.properties ?? {})) {
    const prop = valueSchema(given);
    const value = prop
      ? argumentIn(
          prop,
          text,
          cueWords(name, { ...prop, description: prop.description ?? (given as JsonSchema)?.description }),
        )
      : undefined;
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** One property's value read from the words, or undefined. */
function argumentIn(prop: JsonSchema, text: string, cues: string[]): unknown {
  const type = mainType(prop);
  if (Array.isArray(prop.enum)) {
    const lower = text.toLowerCase();
    return prop.enum.find(
      (v) => v !== null && new RegExp(`\\b${escapeRegExp(String(v).toLowerCase())}\\b`, 'u').test(lower),
    );
  }
  if (type === 'string' && typeof prop.pattern === 'string') return firstMatch(prop.pattern, text);
  // A string said after its name's or description's words ("order 5531" for an order id).
  if (type === 'string' && !prop.format) return afterCue(cues, text, 'id');
  if (type === 'number' || type === 'integer') {
    const cued = afterCue(cues, text, 'number');
    if (cued !== undefined) return Number(cued);
    const m = /-?\d+(?:\.\d+)?/.exec(text);
    return m ? Number(m[0]) : undefined;
  }
  if (type === 'boolean' && /\b(yes|true)\b/i.test(text)) return true;
  return undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a JSON value nests deeper than `limit` (looked at no deeper than that). */
export function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  return Object.values(value).some((v) => deeperThan(v, limit - 1));
}
