import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type CallToolResult, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { checkInputSchema, type JsonSchema } from './json-schema.ts';
import { type ConnectionPool, type HttpAnswer, type HttpOutcome, once, type Reach } from './tools.http.ts';

/**
 * Tools of an MCP server (streamable HTTP transport), through the SDK's client over Parley's own
 * guarded HTTP: every request of the exchange goes where an HTTP tool may go (the same SSRF rules,
 * link-local never), within the tool's budget, at most 1 MB an answer, signed with the tool key.
 * Parley opens no stream for the server's own messages (a GET answers 405 without being sent).
 */

/** One tool of the server as the agent sees it. */
export interface McpImported {
  name: string;
  description: string;
  input_schema: JsonSchema;
  effect: 'read' | 'write';
  confirmation: string | null;
}

export interface McpSession {
  url: string;
  /** The tool's rendered headers (secrets included). */
  headers: Record<string, string>;
  reach: Reach;
  /** The app's kept-alive sockets; without it each request opens its own. */
  pool?: ConnectionPool;
  /** A write tool's call: its requests go on sockets of their own and are never sent twice. */
  write?: boolean;
  signal: AbortSignal;
  timeoutMs: number;
  /** Standard Webhooks headers for the nth request of the exchange. */
  sign?: (n: number, body: string) => Record<string, string>;
}

type Failure = Extract<HttpOutcome, { ok: false }>;

const mcpTypes = (t: string) => !t || /application\/([\w.+-]*\+)?json|text\/event-stream/.test(t);
const bodyless = (status: number) => status === 204 || status === 205 || status === 304 || status < 200;

class TransportFailure extends Error {
  readonly outcome: Failure;
  constructor(outcome: Failure) {
    super(outcome.message);
    this.outcome = outcome;
  }
}

function guardedFetch(s: McpSession, seen: { failure?: Failure }): FetchLike {
  let n = 0;
  return async (url, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    if (method === 'GET') return new Response(null, { status: 405 });
    const given: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => {
      given[k] = v;
    });
    const body = typeof init?.body === 'string' ? init.body : null;
    n++;
    const headers = { ...s.headers, ...given, ...(s.sign ? s.sign(n, body ?? '') : {}) };
    delete headers['content-length'];
    const request = { method, url: String(url), headers, body, write: s.write === true };
    const out = await once(request, s.reach, s.signal, mcpTypes, s.pool);
    if (!out.ok) {
      seen.failure = out;
      throw new TransportFailure(out);
    }
    const a = out.answer;
    if (a.status >= 400)
      seen.failure = {
        ok: false,
        code: 'http_error',
        message: `the MCP server answered HTTP ${a.status}`,
        retryable: a.status >= 500 || a.status === 429,
        answer: a,
      };
    const h = new Headers();
    for (const k of ['content-type', 'mcp-session-id', 'location'])
      if (a.headers?.[k]) h.set(k, a.headers[k]!);
    return new Response(bodyless(a.status) ? null : a.body, { status: a.status, headers: h });
  };
}

function classify(err: unknown, s: McpSession): Failure {
  if (s.signal.aborted || (err instanceof McpError && err.code === ErrorCode.RequestTimeout))
    return { ok: false, code: 'timeout', message: 'the tool did not answer in time', retryable: false };
  if (err instanceof McpError)
    return {
      ok: false,
      code: 'tool_error',
      message: `the MCP server refused: ${err.message}`,
      retryable: false,
    };
  return {
    ok: false,
    code: 'invalid_response',
    message: `the MCP server's answer could not be read: ${(err as Error).message}`.slice(0, 500),
    retryable: false,
  };
}

/** Connects (initialize), runs `work`, closes: one MCP exchange. */
async function exchange<T>(
  s: McpSession,
  work: (c: Client, opts: { signal: AbortSignal; timeout: number }) => Promise<T>,
): Promise<{ ok: true; value: T } | Failure> {
  const seen: { failure?: Failure } = {};
  const transport = new StreamableHTTPClientTransport(new URL(s.url), { fetch: guardedFetch(s, seen) });
  const client = new Client({ name: 'parley', version: '1.0.0' }, { capabilities: {} });
  const opts = { signal: s.signal, timeout: Math.max(1, s.timeoutMs) };
  try {
    await client.connect(transport, opts);
    return { ok: true, value: await work(client, opts) };
  } catch (err) {
    return seen.failure ?? classify(err, s);
  } finally {
    await client.close().catch(() => {});
  }
}

export interface ListedTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  annotations?: { readOnlyHint?: boolean };
}

/** The server's tools (`tools/list`, every page up to 500 tools). */
export async function listMcpTools(s: McpSession): Promise<{ ok: true; value: ListedTool[] } | Failure> {
  return exchange(s, async (c, opts) => {
    const all: ListedTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.listTools(cursor ? { cursor } : undefined, opts);
      all.push(...(page.tools as ListedTool[]));
      cursor = page.nextCursor;
    } while (cursor && all.length < 500);
    return all;
  });
}

/**
 * One `tools/call`: the answer is the tool's `structuredContent`, else its text (JSON when the
 * text is JSON), as the JSON body an HTTP tool would have answered; `isError` is a failure.
 */
export async function callMcpTool(
  s: McpSession,
  name: string,
  args: Record<string, unknown>,
): Promise<HttpOutcome> {
  const r = await exchange(s, (c, opts) => c.callTool({ name, arguments: args }, undefined, opts));
  if (!r.ok) return r;
  const result = r.value as CallToolResult;
  const texts = (result.content ?? []).flatMap((c) => (c.type === 'text' ? [c.text] : []));
  const text = texts.join('\n');
  let value: unknown = result.structuredContent ?? text;
  if (result.structuredContent === undefined && texts.length === 1)
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
  const answer: HttpAnswer = { status: 200, contentType: 'application/json', body: JSON.stringify(value) };
  if (result.isError)
    return {
      ok: false,
      code: 'tool_error',
      message: `the MCP tool answered an error: ${text.slice(0, 300)}`,
      retryable: false,
      answer,
    };
  return { ok: true, answer };
}

/** Keywords whose value is one schema, a list of schemas, or a map of names to schemas. */
const ONE_SCHEMA = [
  'items',
  'additionalItems',
  'additionalProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
  'unevaluatedItems',
  'unevaluatedProperties',
];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

/**
 * An imported schema as a tool's `input_schema` (draft 2020-12, checked by Ajv): every keyword
 * Ajv knows is kept (`anyOf`/`oneOf`, `type: [..., "null"]`, `additionalProperties` schemas,
 * `const`, `format`...), so arguments are checked as the server would. Only what would not mean
 * the same here goes: `$schema` (servers say draft-07; the keywords they use read alike in
 * 2020-12), `$id` (it would name the schema in Ajv's shared registry), vendor `x-*` annotations;
 * draft-07's tuple `items: [...]` becomes `prefixItems`. What is left, `checkInputSchema` judges.
 */
export function importedSchema(node: unknown, depth = 0): unknown {
  if (Array.isArray(node)) return node.map((n) => importedSchema(n, depth + 1));
  if (!node || typeof node !== 'object' || depth > 32) return node;
  const out: Record<string, unknown> = {};
  const given = node as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    if (k === '$schema' || k === '$id' || k.startsWith('x-')) continue;
    if (SCHEMA_MAPS.includes(k) && v && typeof v === 'object' && !Array.isArray(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([p, sub]) => [p, importedSchema(sub, depth + 1)]));
    else if (ONE_SCHEMA.includes(k) || SCHEMA_LISTS.includes(k)) out[k] = importedSchema(v, depth + 1);
    else if (k === 'description' && typeof v === 'string') out[k] = v.slice(0, 500);
    else out[k] = v;
  }
  if (Array.isArray(out.items)) {
    out.prefixItems = out.items;
    if (out.additionalItems === undefined) delete out.items;
    else out.items = out.additionalItems;
    delete out.additionalItems;
  }
  return out;
}

export interface McpChoice {
  include: string[] | null;
  tools: Record<string, { effect?: 'read' | 'write'; confirmation?: string | null }>;
}

/**
 * The server's tools as the agent's: those `include` names (all without it), with their schema
 * as `importedSchema` makes it (a schema Ajv cannot compile skips the tool, with why). A tool the server marks `readOnlyHint` is a
 * read; any other is a write (read back and confirmed, never retried) unless `tools` says.
 */
export function importTools(
  listed: ListedTool[],
  choice: McpChoice,
): { imported: McpImported[]; skipped: Array<{ name: string; reason: string }> } {
  const imported: McpImported[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const t of listed) {
    if (choice.include && !choice.include.includes(t.name)) continue;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(t.name)) {
      skipped.push({ name: t.name.slice(0, 100), reason: 'its name is not [A-Za-z0-9_.-]{1,64}' });
      continue;
    }
    const schema = importedSchema(t.inputSchema ?? { type: 'object' }) as JsonSchema;
    if (schema.type === 'object' && !schema.properties) schema.properties = {};
    const errors = checkInputSchema(schema);
    if (errors.length) {
      skipped.push({ name: t.name, reason: errors.map((e) => `${e.field}: ${e.message}`).join('; ') });
      continue;
    }
    const o = choice.tools[t.name] ?? {};
    imported.push({
      name: t.name,
      description: (t.description ?? t.name).slice(0, 1000),
      input_schema: schema,
      effect: o.effect ?? (t.annotations?.readOnlyHint === true ? 'read' : 'write'),
      confirmation: o.confirmation ?? null,
    });
  }
  return { imported, skipped };
}
