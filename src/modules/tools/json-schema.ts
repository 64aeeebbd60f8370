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
  const err = (message: string, at = field) => errors.push({ field: at, message });
  for (const k of Object.keys(node)) if (!known.has(k)) err(`${k} is not supported`, `${field}.${k}`);
  const type = node.type;
  if (node.enum !== undefined) {
    if (
      !Array.isArray(node.enum) ||
      node.enum.length === 0 ||
      node.enum.length > 100 ||
      !node.enum.every((v) => typeof v === 'string' || typeof v === 'number')
    )
      err('must be a list of 1 to 100 strings or numbers', `${field}.enum`);
    if (type !== undefined && type !== 'string' && type !== 'number' && type !== 'integer')
      err('enum goes with type string, number or integer', `${field}.enum`);
  } else if (typeof type !== 'string' || !types.includes(type)) {
    err(`type must be one of ${types.join(', ')}`, `${field}.type`);
    return errors;
  }
  if (
    node.description !== undefined &&
    (typeof node.description !== 'string' || node.description.length > 500)
  )
    err('must be a string of at most 500 characters', `${field}.description`);
  if (type === 'object') {
    const props = node.properties ?? {};
    if (!isObject(props)) err('must be an object of schemas', `${field}.properties`);
    else {
      if (Object.keys(props).length > 50) err('at most 50 properties', `${field}.properties`);
      for (const [name, sub] of Object.entries(props)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name))
          err('property names are letters, digits and _', `${field}.properties.${name}`);
        errors.push(...checkNode(sub, `${field}.properties.${name}`, depth + 1));
      }
      if (node.required !== undefined) {
        if (!Array.isArray(node.required) || !node.required.every((r) => typeof r === 'string'))
          err('must be a list of property names', `${field}.required`);
        else
          for (const r of node.required)
            if (!(r in props)) err(`${r} is not a property`, `${field}.required`);
      }
    }
  }
  if (type === 'array') {
    if (node.items === undefined) err('an array needs items', `${field}.items`);
    else errors.push(...checkNode(node.items, `${field}.items`, depth + 1));
  }
  if (node.pattern !== undefined) {
    if (typeof node.pattern !== 'string' || node.pattern.length > 300)
      err('must be a string', `${field}.pattern`);
    else
      try {
        new RegExp(node.pattern, 'u');
      } catch {
        err('is not a valid regular expression', `${field}.pattern`);
      }
  }
  for (const k of ['minLength', 'maxLength', 'minimum', 'maximum'] as const)
    if (node[k] !== undefined && typeof node[k] !== 'number') err('must be a number', `${field}.${k}`);
  return errors;
}

/** Why `value` does not fit `schema` (empty: it fits). Properties not in the schema are refused. */
export function validateValue(schema: JsonSchema, value: unknown, path = 'args'): string[] {
  const out: string[] = [];
  const fail = (m: string) => out.push(`${path}: ${m}`);
  if (schema.enum) {
    if (!schema.enum.includes(value as string | number)) fail(`must be one of ${schema.enum.join(', ')}`);
    return out;
  }
  switch (schema.type) {
    case 'object': {
      if (!isObject(value)) return [`${path}: must be an object`];
      const props = schema.properties ?? {};
      for (const r of schema.required ?? [])
        if (value[r] === undefined || value[r] === null) fail(`${r} is required`);
      for (const [k, v] of Object.entries(value)) {
        if (!props[k]) out.push(`${path}.${k}: is not an argument of this tool`);
        else if (v !== undefined && v !== null) out.push(...validateValue(props[k], v, `${path}.${k}`));
      }
      return out;
    }
    case 'array':
      if (!Array.isArray(value)) return [`${path}: must be an array`];
      if (value.length > 100) return [`${path}: at most 100 items`];
      value.forEach((v, i) => {
        out.push(...validateValue(schema.items ?? {}, v, `${path}[${i}]`));
      });
      return out;
    case 'string':
      if (typeof value !== 'string') return [`${path}: must be a string`];
      if (value.length > (schema.maxLength ?? 2000)) fail('is too long');
      if (schema.minLength !== undefined && value.length < schema.minLength) fail('is too short');
      if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
        fail(`must match ${schema.pattern}`);
      return out;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path}: must be a number`];
      if (schema.type === 'integer' && !Number.isInteger(value)) fail('must be an integer');
      if (schema.minimum !== undefined && value < schema.minimum) fail(`must be at least ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) fail(`must be at most ${schema.maximum}`);
      return out;
    case 'boolean':
      return typeof value === 'boolean' ? out : [`${path}: must be true or false`];
    default:
      return out;
  }
}

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
        new RegExp(`\\b${escape(String(v).toLowerCase())}\\b`, 'u').test(lower),
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

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
