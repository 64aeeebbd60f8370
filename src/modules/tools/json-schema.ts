import type { FieldError } from '../../platform/errors.ts';

/**
 * The part of JSON Schema a tool's `input_schema` may use: objects (properties, required),
 * arrays (items), strings (enum, pattern, minLength, maxLength), numbers and integers (enum,
 * minimum, maximum), booleans, with descriptions. Small enough to check by hand, and every model
 * provider accepts it as a function's parameters.
 */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: Array<string | number>;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
}

const types = ['object', 'array', 'string', 'number', 'integer', 'boolean'];
const known = new Set([
  'type',
  'description',
  'properties',
  'required',
  'items',
  'enum',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'additionalProperties',
  'title',
  'examples',
  'default',
  'format',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Why `schema` is not a tool's argument schema (empty: it is one). The root must be an object. */
export function checkInputSchema(schema: unknown, field = 'input_schema'): FieldError[] {
  if (!isObject(schema) || schema.type !== 'object')
    return [{ field, message: 'must be a JSON Schema object: {"type": "object", "properties": {...}}' }];
  return checkNode(schema, field, 0);
}

function checkNode(node: unknown, field: string, depth: number): FieldError[] {
  if (depth > 6) return [{ field, message: 'nests deeper than 6 levels' }];
  if (!isObject(node)) return [{ field, message: 'must be a JSON Schema (an object)' }];
  const errors: FieldError[] = [];
  for (const k of Object.keys(node))
    if (!known.has(k)) errors.push({ field: `${field}.${k}`, message: `${k} is not supported` });
  const typed = checkType(node, field);
  if (typed.length) return [...errors, ...typed];
  if (
    node.description !== undefined &&
    (typeof node.description !== 'string' || node.description.length > 500)
  )
    errors.push({ field: `${field}.description`, message: 'must be a string of at most 500 characters' });
  if (node.type === 'object') errors.push(...checkObject(node, field, depth));
  if (node.type === 'array') {
    if (node.items === undefined) errors.push({ field: `${field}.items`, message: 'an array needs items' });
    else errors.push(...checkNode(node.items, `${field}.items`, depth + 1));
  }
  errors.push(...checkPattern(node, field));
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum'] as const)
    if (node[k] !== undefined && typeof node[k] !== 'number')
      errors.push({ field: `${field}.${k}`, message: 'must be a number' });
  return errors;
}

/** The node's `type` (or `enum`): errors mean nothing more about the node can be checked. */
function checkType(node: Record<string, unknown>, field: string): FieldError[] {
  const type = node.type;
  if (node.enum === undefined) {
    return typeof type === 'string' && types.includes(type)
      ? []
      : [{ field: `${field}.type`, message: `type must be one of ${types.join(', ')}` }];
  }
  const list = node.enum;
  const errors: FieldError[] = [];
  const fine =
    Array.isArray(list) &&
    list.length > 0 &&
    list.length <= 100 &&
    list.every((v) => typeof v === 'string' || typeof v === 'number');
  if (!fine)
    errors.push({ field: `${field}.enum`, message: 'must be a list of 1 to 100 strings or numbers' });
  if (type !== undefined && type !== 'string' && type !== 'number' && type !== 'integer')
    errors.push({ field: `${field}.enum`, message: 'enum goes with type string, number or integer' });
  return errors;
}

function checkObject(node: Record<string, unknown>, field: string, depth: number): FieldError[] {
  const props = node.properties ?? {};
  if (!isObject(props)) return [{ field: `${field}.properties`, message: 'must be an object of schemas' }];
  const errors: FieldError[] = [];
  if (Object.keys(props).length > 50)
    errors.push({ field: `${field}.properties`, message: 'at most 50 properties' });
  for (const [name, sub] of Object.entries(props)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name))
      errors.push({
        field: `${field}.properties.${name}`,
        message: 'property names are letters, digits and _',
      });
    errors.push(...checkNode(sub, `${field}.properties.${name}`, depth + 1));
  }
  const required = node.required;
  if (required === undefined) return errors;
  if (!Array.isArray(required) || !required.every((r) => typeof r === 'string'))
    return [...errors, { field: `${field}.required`, message: 'must be a list of property names' }];
  for (const r of required)
    if (!(r in props)) errors.push({ field: `${field}.required`, message: `${r} is not a property` });
  return errors;
}

function checkPattern(node: Record<string, unknown>, field: string): FieldError[] {
  if (node.pattern === undefined) return [];
  if (typeof node.pattern !== 'string' || node.pattern.length > 300)
    return [{ field: `${field}.pattern`, message: 'must be a string' }];
  try {
    new RegExp(node.pattern, 'u');
    return [];
  } catch {
    return [{ field: `${field}.pattern`, message: 'is not a valid regular expression' }];
  }
}

/** Why `value` does not fit `schema` (empty: it fits). Properties not in the schema are refused. */
export function validateValue(schema: JsonSchema, value: unknown, path = 'args'): string[] {
  if (schema.enum)
    return schema.enum.includes(value as string | number)
      ? []
      : [`${path}: must be one of ${schema.enum.join(', ')}`];
  const check = schema.type ? validators[schema.type] : undefined;
  return check ? check(schema, value, path) : [];
}

type Validator = (schema: JsonSchema, value: unknown, path: string) => string[];

const validateNumber: Validator = (schema, value, path) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: must be a number`];
  const out: string[] = [];
  if (schema.type === 'integer' && !Number.isInteger(value)) out.push(`${path}: must be an integer`);
  if (schema.minimum !== undefined && value < schema.minimum)
    out.push(`${path}: must be at least ${schema.minimum}`);
  if (schema.maximum !== undefined && value > schema.maximum)
    out.push(`${path}: must be at most ${schema.maximum}`);
  return out;
};

const validators: Record<NonNullable<JsonSchema['type']>, Validator> = {
  object(schema, value, path) {
    if (!isObject(value)) return [`${path}: must be an object`];
    const props = schema.properties ?? {};
    const out: string[] = [];
    for (const r of schema.required ?? [])
      if (value[r] === undefined || value[r] === null) out.push(`${path}: ${r} is required`);
    for (const [k, v] of Object.entries(value)) {
      if (!props[k]) out.push(`${path}.${k}: is not an argument of this tool`);
      else if (v !== undefined && v !== null) out.push(...validateValue(props[k], v, `${path}.${k}`));
    }
    return out;
  },
  array(schema, value, path) {
    if (!Array.isArray(value)) return [`${path}: must be an array`];
    if (value.length > 100) return [`${path}: at most 100 items`];
    return value.flatMap((v, i) => validateValue(schema.items ?? {}, v, `${path}[${i}]`));
  },
  string(schema, value, path) {
    if (typeof value !== 'string') return [`${path}: must be a string`];
    const out: string[] = [];
    if (value.length > (schema.maxLength ?? 2000)) out.push(`${path}: is too long`);
    if (schema.minLength !== undefined && value.length < schema.minLength) out.push(`${path}: is too short`);
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
      out.push(`${path}: must match ${schema.pattern}`);
    return out;
  },
  number: validateNumber,
  integer: validateNumber,
  boolean: (_schema, value, path) => (typeof value === 'boolean' ? [] : [`${path}: must be true or false`]),
};

/**
 * Reads arguments from a customer's words, for the built-in agent: a string property with a
 * `pattern` takes the first match in the text, an enum the first value named, a number or integer
 * the first number. Only top-level properties; those not found stay absent.
 */
export function extractArgs(schema: JsonSchema, text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lower = text.toLowerCase();
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.enum) {
      const hit = prop.enum.find((v) =>
        new RegExp(`\\b${escapeRegExp(String(v).toLowerCase())}\\b`, 'u').test(lower),
      );
      if (hit !== undefined) out[name] = hit;
    } else if (prop.type === 'string' && prop.pattern) {
      const m = new RegExp(prop.pattern, 'u').exec(text);
      if (m) out[name] = m[0];
    } else if (prop.type === 'number' || prop.type === 'integer') {
      const m = /-?\d+(?:\.\d+)?/.exec(text);
      if (m) out[name] = Number(m[0]);
    } else if (prop.type === 'boolean') {
      if (/\b(yes|true)\b/i.test(text)) out[name] = true;
    }
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether a JSON value nests deeper than `limit` (looked at no deeper than that). */
export function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit === 0) return true;
  return Object.values(value).some((v) => deeperThan(v, limit - 1));
}
