/**
 * A tool's input schema, built from the operation in openapi.json, which the API generates from
 * the schemas that validate its requests: path parameters (named as the tool names them), query
 * parameters and the JSON body's fields, side by side in one object. The build writes them to
 * dist/mcp/input-schemas.json (packages/cli/scripts/mcp-schemas.mjs); from source they are built
 * from the repository's openapi.json at start.
 */
import type { ToolDef } from './tools.ts';

export type JsonSchema = Record<string, any>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
  example?: unknown;
}

export function buildInputSchema(openapi: JsonSchema, tool: ToolDef): JsonSchema {
  const op = openapi.paths?.[tool.path]?.[tool.method] as JsonSchema | undefined;
  if (!op) throw new Error(`${tool.name}: openapi.json has no ${tool.method.toUpperCase()} ${tool.path}`);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const add = (name: string, schema: JsonSchema, isRequired: boolean) => {
    if (name in properties) throw new Error(`${tool.name}: two arguments are named ${name}`);
    properties[name] = schema;
    if (isRequired) required.push(name);
  };

  for (const p of (op.parameters ?? []) as Parameter[]) {
    if (p.in !== 'path' && p.in !== 'query') continue;
    const name = p.in === 'path' ? (tool.params?.[p.name] ?? p.name) : p.name;
    const schema: JsonSchema = { ...p.schema };
    if (p.description) schema.description = p.description;
    if (p.example !== undefined) schema.examples = [p.example];
    add(name, schema, p.in === 'path' || p.required === true);
  }
  for (const [original, renamed] of Object.entries(tool.params ?? {})) {
    if (!(renamed in properties))
      throw new Error(`${tool.name}: ${tool.path} has no path parameter ${original}`);
  }

  let body = op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined;
  if (tool.itemOf) {
    body = body?.properties?.[tool.itemOf]?.items;
    if (!body) throw new Error(`${tool.name}: the body of ${tool.path} has no array ${tool.itemOf}`);
  }
  const extra: JsonSchema = {};
  if (body) {
    const { type, properties: fields, required: needed, additionalProperties, examples, ...rest } = body;
    if (type !== 'object' || !fields) {
      throw new Error(`${tool.name}: the body of ${tool.path} is not an object with fields`);
    }
    for (const [name, schema] of Object.entries(fields as Record<string, JsonSchema>)) {
      add(name, schema, ((needed as string[] | undefined) ?? []).includes(name));
    }
    if (additionalProperties !== undefined) extra.additionalProperties = additionalProperties;
    // Other constraints of the whole body (e.g. `anyOf` of required fields) hold for the arguments.
    Object.assign(extra, rest);
  }
  for (const name of tool.require ?? []) {
    if (!(name in properties)) throw new Error(`${tool.name}: cannot require ${name}, not an argument`);
    if (!required.includes(name)) required.push(name);
  }
  return {
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    additionalProperties: false,
    ...extra,
  };
}

/** Every tool's input schema, by tool name. */
export function buildInputSchemas(openapi: JsonSchema, defs: ToolDef[]): Record<string, JsonSchema> {
  return Object.fromEntries(defs.map((t) => [t.name, buildInputSchema(openapi, t)]));
}

/** `#/components/schemas/X` references replaced by the schemas themselves (self-contained for MCP). */
function inline(openapi: JsonSchema, schema: unknown, depth = 0): any {
  if (Array.isArray(schema)) return schema.map((s) => inline(openapi, s, depth));
  if (!schema || typeof schema !== 'object') return schema;
  const s = schema as JsonSchema;
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace('#/components/schemas/', '');
    const target = openapi.components?.schemas?.[name];
    if (!target || depth > 20) return {};
    const { $ref: _ref, ...rest } = s;
    return { ...inline(openapi, target, depth + 1), ...inline(openapi, rest, depth) };
  }
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, inline(openapi, v, depth)]));
}

/**
 * A tool's output schema: the JSON object its operation answers on success (openapi.json's 200
 * or 201 response), the one item of `results` for a tool that sends one item of a batch
 * (place_call, without `index` and `media_session`), and for push_knowledge the SDK's
 * replace-by-title answer: `{created, document}`, the document as the operation answers it. None
 * for a tool whose answer is not a JSON object (a 204).
 */
export function buildOutputSchema(openapi: JsonSchema, tool: ToolDef): JsonSchema | null {
  const op = openapi.paths?.[tool.path]?.[tool.method] as JsonSchema | undefined;
  const response = op?.responses?.['200'] ?? op?.responses?.['201'];
  let schema = inline(openapi, response?.content?.['application/json']?.schema) as JsonSchema | undefined;
  if (schema && tool.push)
    schema = {
      type: 'object',
      required: ['created', 'document'],
      properties: {
        created: { type: 'boolean', description: 'Whether a document was added (false: one was replaced).' },
        document: schema,
      },
    };
  if (schema && tool.itemOf) {
    const item = schema.properties?.results?.items as JsonSchema | undefined;
    if (!item?.properties) return null;
    const { index: _i, media_session: _m, ...properties } = item.properties;
    schema = {
      ...item,
      properties,
      required: ((item.required as string[] | undefined) ?? []).filter((r) => r in properties),
    };
  }
  if (schema?.type !== 'object' || !schema.properties) return null;
  // A failed call answers the API's error body (`isError`), which clients check against the
  // same schema: either the answer or `{error: {code, message, ...}}`.
  return { type: 'object', anyOf: [schema, TOOL_ERROR] };
}

const TOOL_ERROR: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
};

/** Every tool's output schema (where it has one), by tool name. */
export function buildOutputSchemas(openapi: JsonSchema, defs: ToolDef[]): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const t of defs) {
    const schema = buildOutputSchema(openapi, t);
    if (schema) out[t.name] = schema;
  }
  return out;
}
