/**
 * `parley mcp`: a Model Context Protocol server over stdio whose tools call the REST API with the
 * SDK. Arguments are checked first against the tool's input schema (the REST operation's own
 * schemas, from openapi.json: input-schemas.ts), then by the API itself; any refusal comes back as a tool result with
 * `isError` carrying the API's error body (`{"error": {code, message, request_id, errors}}`), so
 * the assistant can read and fix it, and the server process keeps running.
 */
import type { Readable, Writable } from 'node:stream';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { type Parley, ParleyError, SDK_VERSION } from '@parley/sdk';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { loadInputSchemas, loadOutputSchemas } from './input-schemas.ts';
import type { JsonSchema } from './schema.ts';
import { type ToolDef, tools } from './tools.ts';

interface FieldError {
  field: string;
  message: string;
}

/** The API's error body: what every failed tool call answers. */
interface ErrorBody {
  error: { code: string; message: string; request_id?: string; errors?: FieldError[]; [k: string]: unknown };
}

/** A refusal found before the request was sent (the arguments do not match the schema). */
class ToolInputError extends Error {
  readonly body: ErrorBody;
  constructor(body: ErrorBody) {
    super(body.error.message);
    this.body = body;
  }
}

/** The MCP server with Parley's tools, not yet connected to a transport. */
export function createMcpServer(client: Parley): Server {
  const inputSchemas = loadInputSchemas();
  const outputSchemas = loadOutputSchemas();
  const validators = compileValidators(inputSchemas);
  const byName = new Map(tools.map((t) => [t.name, t]));
  const server = new Server(
    { name: 'parley', title: 'Parley', version: SDK_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Tools over the Parley API of one workspace (the mode of the key: live, or test with the sandbox). ' +
        'Find conversations and contacts first (list_*), then read, reply or act on them by id. ' +
        'A failed call answers the API error as JSON: fix the fields it names and call again.',
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: tools.map(
      (t): Tool => ({
        name: t.name,
        title: t.title,
        description: `${t.description} (${t.method.toUpperCase()} ${t.path})`,
        inputSchema: inputSchemas[t.name] as Tool['inputSchema'],
        ...(outputSchemas[t.name] ? { outputSchema: outputSchemas[t.name] as Tool['outputSchema'] } : {}),
        annotations: {
          title: t.title,
          readOnlyHint: t.hints.readOnly,
          destructiveHint: t.hints.destructive,
          idempotentHint: t.hints.idempotent,
          openWorldHint: t.hints.openWorld,
        },
      }),
    ),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = byName.get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const args = request.params.arguments ?? {};
    try {
      checkArguments(tool, validators.get(tool.name)!, args);
      return success(await callTool(client, tool, args, extra.signal));
    } catch (err) {
      return failure(err);
    }
  });
  return server;
}

/**
 * Serves the tools on stdin/stdout until the input ends or `signal` aborts. Nothing but protocol
 * messages is written to `stdout`; `log` (stderr) gets one line at the start.
 */
export async function serveMcp(
  client: Parley,
  opts: { stdin?: Readable; stdout?: Writable; signal?: AbortSignal; log?: (line: string) => void } = {},
): Promise<void> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const server = createMcpServer(client);
  const transport = new StdioServerTransport(stdin, stdout);
  let finish!: () => void;
  const closed = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const stop = () => finish();
  server.onclose = stop;
  stdin.once('end', stop);
  stdin.once('close', stop);
  // The client went away while an answer was being written (EPIPE): stop, do not crash.
  stdout.on('error', stop);
  opts.signal?.addEventListener('abort', stop, { once: true });
  try {
    await server.connect(transport);
    opts.log?.(`parley mcp: ${tools.length} tools for ${client.baseUrl}, on stdio`);
    if (!opts.signal?.aborted) await closed;
  } finally {
    opts.signal?.removeEventListener('abort', stop);
    stdin.off('end', stop);
    stdin.off('close', stop);
    await server.close().catch(() => {});
    stdout.off('error', stop);
  }
}

function compileValidators(inputSchemas: Record<string, JsonSchema>): Map<string, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true, strict: false, logger: false });
  const addFormats = ((formats as { default?: unknown }).default ?? formats) as (a: Ajv2020) => void;
  addFormats(ajv);
  return new Map(tools.map((t) => [t.name, ajv.compile(inputSchemas[t.name])]));
}

/** Throws the API's own error for arguments its schema refuses (a bad path id is `not_found`, as in the API). */
function checkArguments(tool: ToolDef, validate: ValidateFunction, args: Record<string, unknown>): void {
  if (validate(args)) return;
  const errors = fieldErrors(validate.errors ?? []);
  const pathArgs = new Set(Object.values(tool.params ?? {}));
  const badId = errors.find((e) => pathArgs.has(e.field) && e.message !== 'is required');
  if (badId) {
    throw new ToolInputError({
      error: { code: 'not_found', message: `Not found: ${badId.field}: ${badId.message}` },
    });
  }
  const summary = errors
    .slice(0, 3)
    .map((e) => `${e.field}: ${e.message}`)
    .join('; ');
  throw new ToolInputError({ error: { code: 'validation_failed', message: summary, errors } });
}

/** Runs the tool's REST operation with the SDK and answers its JSON body. */
async function callTool(
  client: Parley,
  tool: ToolDef,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<unknown> {
  const params: Record<string, string> = {};
  const rest: Record<string, unknown> = {};
  const pathNames = new Map(Object.entries(tool.params ?? {}).map(([original, name]) => [name, original]));
  for (const [name, value] of Object.entries(args)) {
    const original = pathNames.get(name);
    if (original) params[original] = String(value);
    else rest[name] = value;
  }
  if (tool.push) {
    return client.knowledge.push(params.id!, rest as Parameters<Parley['knowledge']['push']>[1], { signal });
  }
  if (tool.method === 'get' || tool.method === 'delete') {
    return (await client.raw(tool.method, tool.path, { params, query: rest, signal })).data;
  }
  const body = tool.itemOf ? { [tool.itemOf]: [rest] } : rest;
  const res = await client.raw<any>(tool.method, tool.path, { params, body, signal });
  return tool.itemOf ? oneItem(res.data, res.requestId, res.status) : res.data;
}

/**
 * The one item of a batch answer (`{results, errors}`): its error as the API's error, else its
 * object. A call's `media_session` (a token to join the call's media) is left out: it is a
 * credential, and an assistant has no use for it.
 */
function oneItem(data: any, requestId: string | undefined, status: number): unknown {
  const itemError = data?.errors?.[0];
  if (itemError) {
    const { index: _index, code, message, errors, ...details } = itemError;
    throw new ParleyError({ code, message, status, requestId, fieldErrors: errors, details });
  }
  const { index: _index, media_session: _media, ...result } = data?.results?.[0] ?? {};
  return result;
}

function success(data: unknown): CallToolResult {
  const text = data === undefined ? 'Done.' : JSON.stringify(data, null, 2);
  const structured = data && typeof data === 'object' && !Array.isArray(data);
  return {
    content: [{ type: 'text', text }],
    ...(structured ? { structuredContent: data as Record<string, unknown> } : {}),
  };
}

function failure(err: unknown): CallToolResult {
  const body = errorBody(err);
  return {
    isError: true,
    content: [{ type: 'text', text: JSON.stringify(body, null, 2) }],
    structuredContent: body as unknown as Record<string, unknown>,
  };
}

function errorBody(err: unknown): ErrorBody {
  if (err instanceof ToolInputError) return err.body;
  if (err instanceof ParleyError) {
    return {
      error: {
        ...err.details,
        code: err.code,
        message: err.message,
        ...(err.requestId ? { request_id: err.requestId } : {}),
        ...(err.fieldErrors.length ? { errors: err.fieldErrors } : {}),
        ...(err.retryAfter !== undefined ? { retry_after: err.retryAfter } : {}),
      },
    };
  }
  return { error: { code: 'internal_error', message: err instanceof Error ? err.message : String(err) } };
}

/** ajv's errors said as the API says them: one plain message per field (`template.name: is required`). */
export function fieldErrors(errors: ErrorObject[]): FieldError[] {
  const byField = new Map<string, ErrorObject[]>();
  // As the API lists them: the fields' own problems first, unknown fields after.
  const ordered = [
    ...errors.filter((e) => e.keyword !== 'additionalProperties'),
    ...errors.filter((e) => e.keyword === 'additionalProperties'),
  ];
  for (const e of ordered) {
    let path = e.instancePath.split('/').slice(1).map(unescapePointer);
    if (e.keyword === 'required') path = [...path, (e.params as { missingProperty: string }).missingProperty];
    if (e.keyword === 'additionalProperties')
      path = [...path, (e.params as { additionalProperty: string }).additionalProperty];
    const field = path.join('.') || 'arguments';
    byField.set(field, [...(byField.get(field) ?? []), e]);
  }
  return [...byField].map(([field, list]) => ({ field, message: fieldMessage(list) }));
}

function fieldMessage(list: ErrorObject[]): string {
  const types = list.filter((e) => e.keyword === 'type');
  // A value of none of several allowed types (`anyOf` of types): say them all.
  if (types.length > 1 && list.some((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')) {
    const names = [...new Set(types.flatMap((e) => typeNames(e.params.type)))];
    return `must be ${names.map(article).join(' or ')}`;
  }
  return plainMessage(list.find((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf') ?? list[0]!);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const typeNames = (t: unknown): string[] => (Array.isArray(t) ? t : String(t).split(','));
const article = (type: string) =>
  type === 'null' ? 'null' : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

function plainMessage(e: ErrorObject): string {
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'type':
      return `must be ${typeNames(p.type).map(article).join(' or ')}`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'minLength':
      return `must be at least ${plural(p.limit, 'character')}`;
    case 'maxLength':
      return `must be at most ${plural(p.limit, 'character')}`;
    case 'minItems':
      return `must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `must have at most ${plural(p.limit, 'item')}`;
    case 'minimum':
      return `must be at least ${p.limit}`;
    case 'maximum':
      return `must be at most ${p.limit}`;
    case 'exclusiveMinimum':
      return `must be more than ${p.limit}`;
    case 'exclusiveMaximum':
      return `must be less than ${p.limit}`;
    case 'pattern': {
      // Ids are `<prefix>_` and a ULID: said as the API says it.
      const id = /^\^([a-z]+)_/.exec(String(p.pattern ?? ''));
      return id ? `must be an id starting with ${id[1]}_` : 'must be a valid value';
    }
    case 'format':
      return `must be a valid ${p.format}`;
    case 'anyOf':
    case 'oneOf':
      return 'does not match any of the allowed forms';
    default:
      return e.message ?? 'is not valid';
  }
}
