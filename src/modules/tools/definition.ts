import type { FieldError } from '../../platform/errors.ts';
import { checkInputSchema, deeperThan, type JsonSchema } from './json-schema.ts';
import { type Placeholder, placeholdersIn, stringsIn } from './template.ts';
import type { McpImported } from './tools.mcp.ts';
import type { CreateToolInput } from './tools.schemas.ts';

/** An MCP tool's server choice and what was imported from its `tools/list`. */
export interface McpDefinition {
  include: string[] | null;
  tools: Record<string, { effect?: 'read' | 'write'; confirmation?: string | null }>;
  imported: McpImported[];
  skipped: Array<{ name: string; reason: string }>;
  imported_at: string | null;
}

/** A tool as stored and run: every optional field resolved to its value or default. */
export interface ToolDefinition {
  description: string;
  /** `http`: one request; `mcp`: the tools of an MCP server at `request.url` (POST, streamable HTTP). */
  type: 'http' | 'mcp';
  input_schema: JsonSchema;
  effect: 'read' | 'write';
  confirmation: string | null;
  request: {
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    url: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: unknown;
  };
  timeout_ms: number | null;
  result: { pointer: string | null; max_chars: number; redact: string[] };
  save: { contact_attributes: Record<string, string>; conversation_variables: Record<string, string> } | null;
  on_error: 'say' | 'handoff' | 'continue';
  error_message: string | null;
  reply: string | null;
  trigger: { keywords: string[]; examples: string[] } | null;
  voice: { holding_phrase: string | null; holding_after_ms: number };
  mocks: Array<{
    when: Record<string, unknown>;
    tool?: string;
    response: { status: number; body: unknown };
  }>;
  mcp: McpDefinition | null;
}

export interface Tool extends ToolDefinition {
  id: string;
  name: string;
  /** One tool of an MCP server (`tools/call` name): an agent's view of an `mcp` tool. */
  mcpTool?: string;
}

export const DEFAULT_HOLDING_AFTER_MS = 700;
export const DEFAULT_TIMEOUT_MS = { voice: 3000, chat: 8000 } as const;

/** The fields of a create (or a whole tool after a patch) with their defaults filled in. */
export function resolveDefinition(
  input: Omit<CreateToolInput, 'name'>,
  imported?: Pick<McpDefinition, 'imported' | 'skipped' | 'imported_at'>,
): ToolDefinition {
  const mcp = input.type === 'mcp';
  return {
    description: input.description,
    type: mcp ? 'mcp' : 'http',
    input_schema: (input.input_schema ?? { type: 'object', properties: {} }) as JsonSchema,
    effect: input.effect ?? (mcp ? 'write' : ('' as 'read')),
    confirmation: input.confirmation ?? null,
    request: requestOf(input),
    timeout_ms: input.timeout_ms ?? null,
    result: {
      pointer: input.result?.pointer || null,
      max_chars: input.result?.max_chars ?? 2000,
      redact: input.result?.redact ?? [],
    },
    save: input.save
      ? {
          contact_attributes: input.save.contact_attributes ?? {},
          conversation_variables: input.save.conversation_variables ?? {},
        }
      : null,
    on_error: input.on_error ?? 'say',
    error_message: input.error_message ?? null,
    reply: input.reply ?? null,
    trigger: input.trigger
      ? { keywords: input.trigger.keywords ?? [], examples: input.trigger.examples ?? [] }
      : null,
    voice: {
      holding_phrase: input.voice?.holding_phrase ?? null,
      holding_after_ms: input.voice?.holding_after_ms ?? DEFAULT_HOLDING_AFTER_MS,
    },
    mocks: (input.mocks ?? []).map((m) => ({
      when: m.when ?? {},
      ...(m.tool ? { tool: m.tool } : {}),
      response: { status: m.response.status ?? 200, body: m.response.body },
    })),
    mcp: mcp ? mcpOf(input, imported) : null,
  };
}

/** An http tool's request; an MCP tool's server as the request its exchange POSTs. */
function requestOf(input: Omit<CreateToolInput, 'name'>): ToolDefinition['request'] {
  if (input.type === 'mcp' && input.mcp)
    return { method: 'POST', url: input.mcp.url, headers: input.mcp.headers ?? {} };
  return input.request ?? { method: 'GET', url: '' };
}

function mcpOf(
  input: Omit<CreateToolInput, 'name'>,
  imported?: Pick<McpDefinition, 'imported' | 'skipped' | 'imported_at'>,
): McpDefinition {
  return {
    include: input.mcp?.include ?? null,
    tools: input.mcp?.tools ?? {},
    imported: imported?.imported ?? [],
    skipped: imported?.skipped ?? [],
    imported_at: imported?.imported_at ?? null,
  };
}

/** The tools an agent is offered for a workspace tool: itself, or each tool its MCP server has. */
export function agentTools(tool: Tool): Tool[] {
  if (tool.type !== 'mcp') return [tool];
  return (tool.mcp?.imported ?? []).map((t) => ({
    ...tool,
    name: `${tool.name}__${t.name.replace(/[^A-Za-z0-9_]/g, '_')}`,
    description: t.description,
    input_schema: t.input_schema,
    effect: t.effect,
    confirmation: t.confirmation ?? (t.effect === 'write' ? tool.confirmation : null),
    mocks: tool.mocks.filter((m) => !m.tool || m.tool === t.name),
    mcpTool: t.name,
  }));
}

/** The fields of a contact, a conversation and an agent a template may bind. */
const boundFields: Record<string, RegExp> = {
  contact: /^(id|name|first_name|phone|email|verified|attributes\.[A-Za-z0-9_]{1,64})$/,
  conversation: /^(id|channel|variables\.[A-Za-z0-9_]{1,64})$/,
  agent: /^(id|name)$/,
};

/**
 * Why the definition cannot run (empty: it can): its schema, its URL (http(s), no placeholder in
 * the scheme or host), each placeholder bound to something that exists (an argument of the
 * schema, a known contact or conversation field, a secret of the workspace), and a write tool's
 * read-back wording.
 */
export function checkDefinition(def: ToolDefinition, secretNames: Set<string>): FieldError[] {
  if (def.type === 'mcp') return checkMcp(def, secretNames);
  if (!def.request.url) return [{ field: 'request', message: 'an http tool needs its request' }];
  if (!def.effect) return [{ field: 'effect', message: 'an http tool needs its effect: read or write' }];
  const errors = checkInputSchema(def.input_schema);
  const check = bindingCheck(new Set(Object.keys(def.input_schema.properties ?? {})), secretNames, errors);
  checkRequest(def, check, errors);
  if (def.effect === 'write') {
    if (!def.confirmation?.trim())
      errors.push({
        field: 'confirmation',
        message: 'a write tool needs the read-back the customer confirms before it runs',
      });
    if (def.request.method === 'GET')
      errors.push({ field: 'request.method', message: 'a write tool changes something: not GET' });
  }
  if (def.confirmation) check('confirmation', placeholdersIn(def.confirmation), ['args', 'contact', 'agent']);
  if (def.reply) check('reply', placeholdersIn(def.reply), ['args', 'result', 'contact', 'agent']);
  if (def.error_message)
    check('error_message', placeholdersIn(def.error_message), ['args', 'contact', 'agent']);
  if (def.result.pointer && !/^(\/[^/]*)+$/.test(def.result.pointer))
    errors.push({ field: 'result.pointer', message: 'must be a JSON pointer such as /order/status' });
  const args = def.input_schema.properties ?? {};
  for (const [i, m] of def.mocks.entries())
    if (deeperThan(m, 12)) errors.push({ field: `mocks[${i}]`, message: 'nests deeper than 10 levels' });
  for (const [i, m] of def.mocks.entries())
    for (const k of Object.keys(m.when))
      if (!(k in args))
        errors.push({ field: `mocks[${i}].when.${k}`, message: 'is not a property of input_schema' });
  return errors;
}

/**
 * An MCP tool: an http(s) server URL, headers that bind only secrets (the tools are listed before
 * any conversation), and nothing that only an http tool has (the built-in agent's trigger).
 */
function checkMcp(def: ToolDefinition, secretNames: Set<string>): FieldError[] {
  const errors: FieldError[] = [];
  const check = bindingCheck(new Set(), secretNames, errors);
  errors.push(...checkUrl(def.request.url).map((e) => ({ ...e, field: 'mcp.url' })));
  if (placeholdersIn(def.request.url, { single: true }).length)
    errors.push({ field: 'mcp.url', message: 'holds no placeholder' });
  for (const [k, v] of Object.entries(def.request.headers ?? {})) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(k))
      errors.push({ field: `mcp.headers.${k}`, message: 'is not a header name' });
    check(`mcp.headers.${k}`, placeholdersIn(v), ['secret']);
  }
  if (def.trigger || def.reply)
    errors.push({
      field: def.trigger ? 'trigger' : 'reply',
      message: 'an MCP tool is used by LLM agents: it has no trigger or reply template',
    });
  if (def.confirmation) check('confirmation', placeholdersIn(def.confirmation), ['args', 'contact', 'agent']);
  if (def.error_message)
    check('error_message', placeholdersIn(def.error_message), ['args', 'contact', 'agent']);
  return errors;
}

type BindingCheck = (field: string, found: Placeholder[], allowed: readonly string[]) => void;

/** Checks that each placeholder binds something that exists, adding what does not to `errors`. */
function bindingCheck(args: Set<string>, secretNames: Set<string>, errors: FieldError[]): BindingCheck {
  const why = (p: Placeholder, allowed: readonly string[]): string | null => {
    if (!p.ns) return `${p.raw} is not a placeholder of the form {{namespace.name}}`;
    if (!allowed.includes(p.ns)) return `${p.raw}: ${p.ns} is not one of ${allowed.join(', ')}`;
    if (p.ns === 'args' && !args.has(p.path.split('.')[0]!))
      return `${p.raw}: ${p.path} is not a property of input_schema`;
    if (p.ns === 'secret' && !secretNames.has(p.path))
      return `${p.raw}: no secret named ${p.path} (create it with POST /v1/secrets)`;
    if (boundFields[p.ns] && !boundFields[p.ns]!.test(p.path))
      return `${p.raw}: ${p.ns} has no field ${p.path}`;
    return null;
  };
  return (field, found, allowed) => {
    for (const p of found) {
      const message = why(p, allowed);
      if (message) errors.push({ field, message });
    }
  };
}

const requestNs = ['args', 'contact', 'conversation', 'agent', 'secret'] as const;

function checkRequest(def: ToolDefinition, check: BindingCheck, errors: FieldError[]) {
  errors.push(...checkUrl(def.request.url));
  check('request.url', placeholdersIn(def.request.url, { single: true }), requestNs);
  for (const [k, v] of Object.entries(def.request.query ?? {}))
    check(`request.query.${k}`, placeholdersIn(v), requestNs);
  for (const [k, v] of Object.entries(def.request.headers ?? {})) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/.test(k))
      errors.push({ field: `request.headers.${k}`, message: 'is not a header name' });
    check(`request.headers.${k}`, placeholdersIn(v), requestNs);
  }
  if (def.request.body === undefined) return;
  if (deeperThan(def.request.body, 10)) {
    errors.push({ field: 'request.body', message: 'nests deeper than 10 levels' });
    return;
  }
  if (def.request.method === 'GET')
    errors.push({ field: 'request.body', message: 'a GET request has no body (use query)' });
  for (const s of stringsIn(def.request.body)) check('request.body', placeholdersIn(s), requestNs);
}

function checkUrl(url: string): FieldError[] {
  const fail = (message: string) => [{ field: 'request.url', message }];
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(url);
  if (!m) return fail('must be an absolute http or https URL');
  if (!/^https?$/i.test(m[1]!)) return fail(`must be http or https, not ${m[1]}`);
  if (/[{}]/.test(m[2]!))
    return fail('the host cannot hold a placeholder: the model never chooses where a request goes');
  if (/@/.test(m[2]!)) return fail('must not carry credentials (use headers with {{secret.x}})');
  try {
    const parsed = new URL(url.replace(/\{\{[^}]*\}\}|\{[^}]*\}/g, 'x'));
    if (!parsed.hostname) return fail('has no host');
  } catch {
    return fail('is not a valid URL');
  }
  return [];
}
