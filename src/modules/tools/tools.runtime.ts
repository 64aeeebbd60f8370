import { createHash } from 'node:crypto';
import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import type { Actor } from '../../platform/events.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson } from '../../platform/json.ts';
import { CONVERSATION_ATTR, childSpan } from '../../platform/tracing.ts';
import { DEFAULT_TIMEOUT_MS, type Tool } from './definition.ts';
import { validateValue } from './json-schema.ts';
import { secretValues, signRequest, type ToolSettings, toolSettings } from './secrets.service.ts';
import { type Bindings, placeholdersIn, render, renderJson, stringsIn } from './template.ts';
import {
  claimWrite,
  finishToolCall,
  recordToolCall,
  startToolCall,
  type ToolCallRecord,
} from './tool-calls.service.ts';
import {
  EXCERPT_CHARS,
  type FailCode,
  type HttpAnswer,
  type HttpOutcome,
  type OutgoingRequest,
  send,
} from './tools.http.ts';
import { callMcpTool } from './tools.mcp.ts';
import { mapResult, pick, redactBody } from './tools.result.ts';
import type { ToolCallStatus, ToolCallsTable } from './tools.tables.ts';

/**
 * Runs a tool once for an agent (or a test): arguments checked against the schema, the request
 * rendered from its bindings, signed, sent within the timeout (reads retried with backoff while
 * the budget lasts; writes once, with `Idempotency-Key: <tool call id>`), the answer mapped to
 * the result the agent sees, and the call recorded with its secrets masked.
 */
export interface ToolRunContext {
  scope: Scope;
  agent: { id: string; name: string } | null;
  contact: {
    id: string;
    name: string | null;
    phone: string | null;
    email: string | null;
    attributes: Record<string, unknown>;
  } | null;
  conversation: { id: string; channel: string; variables: Record<string, unknown> } | null;
  /** Where the answer goes: the default timeout is 3 s on a call, 8 s in chat. */
  channel: 'chat' | 'voice';
  source: 'chat' | 'voice' | 'test' | 'playground' | 'replay';
  /** A matching mock answers instead of the request (test mode, the playground, evaluations). */
  useMocks: boolean;
  /**
   * A replay's recorded answers: the tool calls of the live conversation. A call of the same
   * tool with the same arguments answers from its recorded response (status `replayed`); with
   * none (and no mock), the tool is not run (`not_recorded`): a replay never calls the business.
   */
  recorded?: RecordedCall[];
  /** False: a write tool's request is rendered but not sent (status `skipped`). */
  liveWrites: boolean;
  /**
   * What makes this call the same call when a job runs again (a reply job: the customer message it
   * answers and the tool's turn in that reply). A live write with a key is made once: a run that
   * finds it made answers from its record; one that finds it started sends it again with its key.
   */
  callKey?: string;
  actor: Actor;
  /** Keeps values of the result (`save`) on the contact and the conversation. */
  save?: (values: {
    contactAttributes: Record<string, unknown>;
    conversationVariables: Record<string, unknown>;
  }) => Promise<void>;
}

/** What the agent gets back: the shape the LLM reads as the tool's answer. */
export interface ToolOutcome {
  ok: boolean;
  code: string | null;
  retryable: boolean;
  message: string;
  result: unknown;
  callId: string;
  status: ToolCallStatus;
}

/** What a replay needs of a recorded tool call. */
export interface RecordedCall {
  tool_id: string;
  tool_name: string;
  status: string;
  args: Record<string, unknown>;
  response: { status: number; content_type: string; body: string } | null;
  result: unknown;
}

const BACKOFF_MS = 100;
/** A read is tried at most this many times (and only while its budget lasts). */
const MAX_READ_ATTEMPTS = 3;

interface Exchange {
  status: ToolCallStatus;
  outcome: HttpOutcome;
  attempts: number;
}

/** Runs a tool call in a span of its own (its name, effect and outcome) when traced. */
export function runTool(
  ctx: AppContext,
  observe: (seconds: number, labels: { effect: string; outcome: string }) => void,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
): Promise<ToolOutcome> {
  return childSpan(
    `tool ${tool.name}`,
    {
      'parley.tool.name': tool.name,
      'parley.tool.id': tool.id,
      'parley.tool.effect': tool.effect,
      ...(rc.conversation ? { [CONVERSATION_ATTR]: rc.conversation.id } : {}),
    },
    async (span) => {
      const outcome = await runToolCall(ctx, observe, tool, args, rc);
      span?.setAttributes({ 'parley.tool.ok': outcome.ok, 'parley.tool.status': outcome.status });
      return outcome;
    },
  );
}

async function runToolCall(
  ctx: AppContext,
  observe: (seconds: number, labels: { effect: string; outcome: string }) => void,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
): Promise<ToolOutcome> {
  const invalid = validateValue(tool.input_schema, args);
  const live =
    invalid.length === 0 &&
    tool.effect === 'write' &&
    rc.liveWrites &&
    !rc.recorded &&
    !(rc.useMocks && mockFor(tool, args));
  if (!live) return perform(ctx, observe, tool, args, rc, { callId: newId('tc'), invalid, started: false });
  // A write that goes to the business's system happens once: recorded before its request
  // leaves, under a key a job that runs again reuses (see WriteClaim).
  const callKey = rc.callKey ? keyOf(rc, tool, rc.callKey) : null;
  const claim = await claimWrite(ctx, rc, tool.id, callKey);
  if (claim.done) return recordedOutcome(claim.done);
  let same: ToolOutcome | undefined;
  for (const open of claim.interrupted) {
    // Cut by a crash while it was being made: sent again with its own key and arguments (the
    // business's system answers a key it has seen with its first answer), never as a new call.
    const openArgs = fromJson<Record<string, unknown>>(open.args, {});
    const o = await perform(ctx, observe, tool, openArgs, rc, {
      callId: open.id,
      invalid: [],
      started: true,
      resent: open.attempts,
    });
    if (open.call_key === callKey || sameArgs(openArgs, args)) same ??= o;
  }
  if (same) return same;
  const callId = newId('tc');
  const { bindings, secrets } = await prepare(ctx, tool, args, rc, false);
  const mask = masker(secrets);
  const request = renderRequest(tool, bindings, args);
  const recorded = await startToolCall(
    ctx,
    rc,
    {
      id: callId,
      tool,
      status: 'started',
      code: null,
      message: null,
      attempts: 1,
      latencyMs: 0,
      args: maskJson(mask, args) as Record<string, unknown>,
      request: maskJson(mask, { method: request.method, url: request.url, headers: {}, body: null }),
      response: null,
      result: null,
    },
    callKey,
  );
  // Another run of the same job took the key between the look and the insert: its call stands.
  if (!recorded) return runTool(ctx, observe, tool, args, rc);
  return perform(ctx, observe, tool, args, rc, { callId, invalid: [], started: true });
}

/** The call's key: the caller's (a reply and the tool's turn in it), the tool, in this workspace. */
const keyOf = (rc: ToolRunContext, tool: Tool, key: string) =>
  createHash('sha256')
    .update(`${rc.scope.workspaceId}\0${rc.scope.livemode ? 1 : 0}\0${tool.id}\0${key}`)
    .digest('base64url');

/** What a call made before answered: the agent gets it again, nothing is sent. */
function recordedOutcome(row: ToolCallsTable): ToolOutcome {
  const failed = row.status === 'failed';
  return {
    ok: !failed,
    code: row.code,
    retryable: false,
    message: failed ? (row.message ?? 'the tool call failed') : 'ok',
    result: fromJson<unknown>(row.result, null),
    callId: row.id,
    status: row.status,
  };
}

/** The secrets a call uses and, when a request may go out, the workspace's tool settings. */
async function prepare(
  ctx: AppContext,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
  sends: boolean,
): Promise<{ bindings: Bindings; secrets: Record<string, string>; settings: ToolSettings | undefined }> {
  // The tool key and private hosts are needed only by a request that may go out: read beside
  // the secrets (two look-ups at once on PostgreSQL, not one after the other).
  const [secrets, settings] = await Promise.all([
    secretValues(ctx, rc.scope, usedSecrets(tool)),
    sends ? toolSettings(ctx, rc.scope) : undefined,
  ]);
  const bindings: Bindings = {
    args,
    contact: rc.contact
      ? {
          ...rc.contact,
          first_name: rc.contact.name?.split(/\s+/)[0] ?? null,
          // Proved by a signed identity (the website widget's JWT), never by what the customer typed.
          verified: rc.contact.attributes.verified === true,
        }
      : {},
    conversation: rc.conversation ?? {},
    agent: rc.agent ?? {},
    secret: secrets,
  };
  return { bindings, secrets, settings };
}

/** Renders, sends (or mocks, skips, replays), maps and records one call. */
async function perform(
  ctx: AppContext,
  observe: (seconds: number, labels: { effect: string; outcome: string }) => void,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
  call: { callId: string; invalid: string[]; started: boolean; resent?: number },
): Promise<ToolOutcome> {
  const { callId, invalid } = call;
  const started = performance.now();
  const sends = !rc.recorded && (tool.effect === 'read' || rc.liveWrites);
  const { bindings, secrets, settings } = await prepare(ctx, tool, args, rc, sends);
  const mask = masker(secrets);
  const request = renderRequest(tool, bindings, args);
  const x: Exchange = invalid.length
    ? {
        status: 'ok',
        attempts: 0,
        outcome: { ok: false, code: 'invalid_args', message: invalid.join('; '), retryable: true },
      }
    : await exchange(ctx, tool, args, rc, { request, callId, started, settings });
  const latencyMs = Math.round(performance.now() - started);
  const mapped = x.outcome.ok ? mapResult(tool, x.outcome.answer) : null;
  const failed = failureOf(x.outcome, mapped);
  const status: ToolCallStatus = failed ? 'failed' : x.status;
  const result = mapped?.ok && !failed ? maskJson(mask, mapped.result) : null;
  const answer = x.outcome.answer?.status ? x.outcome.answer : null;
  const message = failed
    ? mask(failed.message)
    : status === 'skipped'
      ? 'not run: a write tool is run live only when asked'
      : 'ok';
  const record: ToolCallRecord = {
    id: callId,
    tool,
    status,
    code: failed?.code ?? null,
    message: failed ? message : null,
    // A call sent again after a crash counts the sends before it.
    attempts: x.attempts + (call.resent ?? 0),
    latencyMs,
    args: maskJson(mask, args) as Record<string, unknown>,
    request: maskJson(mask, {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body === null ? null : safeJson(request.body),
    }) as ToolCallRecord['request'],
    response: answer
      ? {
          status: answer.status,
          content_type: answer.contentType,
          body: mask(redactBody(tool, answer).slice(0, EXCERPT_CHARS)),
        }
      : null,
    result,
  };
  if (call.started) await finishToolCall(ctx, rc, record);
  else await recordToolCall(ctx, rc, record);
  observe(latencyMs / 1000, { effect: tool.effect, outcome: status });
  if (status === 'ok' && tool.save && rc.save) await saveResult(ctx, tool, rc, result, mask);
  return {
    ok: !failed,
    code: failed?.code ?? null,
    retryable: failed?.retryable ?? false,
    message,
    result,
    callId,
    status,
  };
}

const maskJson = (mask: (s: string) => string, v: unknown) =>
  v === null || v === undefined ? null : JSON.parse(mask(JSON.stringify(v)));

function failureOf(
  outcome: HttpOutcome,
  mapped: ReturnType<typeof mapResult> | null,
): { code: FailCode; message: string; retryable: boolean } | null {
  if (!outcome.ok) return { code: outcome.code, message: outcome.message, retryable: outcome.retryable };
  if (mapped && !mapped.ok) return { code: 'invalid_response', message: mapped.message, retryable: false };
  return null;
}

/** A mock's answer, the skipped write of a dry run, or the request itself (reads retried). */
async function exchange(
  ctx: AppContext,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
  run: { request: OutgoingRequest; callId: string; started: number; settings: ToolSettings | undefined },
): Promise<Exchange> {
  const mock = rc.useMocks ? mockFor(tool, args) : undefined;
  if (rc.recorded) return replayed(tool, args, rc.recorded, mock);
  if (mock) return { status: 'mocked', attempts: 0, outcome: mockOutcome(mock.response) };
  if (tool.effect === 'write' && !rc.liveWrites)
    return {
      status: 'skipped',
      attempts: 0,
      outcome: { ok: true, answer: { status: 0, contentType: '', body: '' } },
    };
  const settings = run.settings ?? (await toolSettings(ctx, rc.scope));
  return sendWithRetries(ctx, tool, args, rc, { ...run, settings });
}

/** The request itself, within the tool's budget: a read retried with backoff, a write sent once. */
async function sendWithRetries(
  ctx: AppContext,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
  run: { request: OutgoingRequest; callId: string; started: number; settings: ToolSettings },
): Promise<Exchange> {
  const { request, callId, started, settings } = run;
  const reach = { allowPrivate: ctx.config.webhookAllowPrivate, allowedHosts: settings.allowedPrivateHosts };
  const budgetMs = tool.timeout_ms ?? DEFAULT_TIMEOUT_MS[rc.channel];
  const deadline = AbortSignal.timeout(Math.max(1, Math.round(budgetMs - (performance.now() - started))));
  const write = tool.effect === 'write';
  let attempts = 0;
  // A read's earlier answer (a 500, say) says more than a later retry the budget cut short.
  let earlier: HttpOutcome | undefined;
  for (;;) {
    attempts++;
    const attemptStarted = performance.now();
    // Each attempt of a read is a message of its own (a receiver refusing replays takes it).
    const id = attempts === 1 ? callId : `${callId}-${attempts}`;
    const signed = {
      ...request,
      write,
      headers: {
        ...request.headers,
        ...signRequest(settings.signingSecret, id, ctx.clock.now(), request.body ?? ''),
        ...(write ? { 'idempotency-key': callId } : {}),
      },
    };
    const outcome = tool.mcpTool
      ? await callMcpTool(
          {
            url: request.url,
            headers: write ? { ...request.headers, 'idempotency-key': callId } : request.headers,
            reach,
            pool: ctx.modules.tools.connections,
            write,
            signal: deadline,
            timeoutMs: budgetMs - (performance.now() - started),
            sign: (n, body) => signRequest(settings.signingSecret, `${id}.${n}`, ctx.clock.now(), body),
          },
          tool.mcpTool,
          args,
        )
      : await send(signed, reach, deadline, ctx.modules.tools.connections);
    if (!outcome.ok && outcome.code === 'timeout' && earlier)
      return { status: 'ok', attempts, outcome: earlier };
    if (outcome.ok || write || !outcome.retryable || attempts >= MAX_READ_ATTEMPTS)
      return { status: 'ok', attempts, outcome };
    earlier = outcome;
    const wait = BACKOFF_MS * 2 ** (attempts - 1);
    // Another attempt only when it has at least the time the last one took after the pause.
    const lastMs = performance.now() - attemptStarted;
    if (budgetMs - (performance.now() - started) <= wait + Math.max(50, lastMs))
      return { status: 'ok', attempts, outcome };
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** The tool's first mock whose `when` the arguments match. */
const mockFor = (tool: Tool, args: Record<string, unknown>) =>
  tool.mocks.find((m) =>
    Object.entries(m.when).every(([k, v]) => JSON.stringify(args[k]) === JSON.stringify(v)),
  );

const sameArgs = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  JSON.stringify(Object.entries(a).sort(([x], [y]) => x.localeCompare(y))) ===
  JSON.stringify(Object.entries(b).sort(([x], [y]) => x.localeCompare(y)));

/** A replay: the recorded answer of the same call, else the mock, else not run. */
function replayed(
  tool: Tool,
  args: Record<string, unknown>,
  recorded: RecordedCall[],
  mock: Tool['mocks'][number] | undefined,
): Exchange {
  const hit = recorded.findLast(
    (r) =>
      r.tool_id === tool.id &&
      r.tool_name === tool.name &&
      (r.status === 'ok' || r.status === 'failed') &&
      r.response !== null &&
      sameArgs(r.args, args),
  );
  if (hit?.response) {
    const answer = {
      status: hit.response.status,
      contentType: hit.response.content_type,
      body: hit.response.body,
    };
    // An excerpt cut at 2,000 characters is no longer the whole answer: the result the agent saw then is.
    const whole = answer.body.length < EXCERPT_CHARS || !/json/.test(answer.contentType);
    const body = whole
      ? answer
      : { ...answer, contentType: 'application/json', body: JSON.stringify(hit.result) };
    return {
      status: 'replayed',
      attempts: 0,
      outcome: mockOutcome({ status: body.status, body: undefined }, body),
    };
  }
  if (mock) return { status: 'mocked', attempts: 0, outcome: mockOutcome(mock.response) };
  return {
    status: 'ok',
    attempts: 0,
    outcome: {
      ok: false,
      code: 'not_recorded',
      message: 'no recorded answer of this call to replay (a replay never calls the business)',
      retryable: false,
    },
  };
}

function mockOutcome(response: { status: number; body: unknown }, given?: HttpAnswer): HttpOutcome {
  const answer: HttpAnswer = given ?? {
    status: response.status,
    contentType: 'application/json',
    body: JSON.stringify(response.body ?? null),
  };
  if (response.status >= 200 && response.status < 300) return { ok: true, answer };
  return {
    ok: false,
    code: 'http_error',
    message: `the tool answered HTTP ${response.status}`,
    retryable: response.status >= 500,
    answer,
  };
}

async function saveResult(
  ctx: AppContext,
  tool: Tool,
  rc: ToolRunContext,
  result: unknown,
  mask: (s: string) => string,
) {
  await rc.save!({
    contactAttributes: pick(result, tool.save!.contact_attributes),
    conversationVariables: pick(result, tool.save!.conversation_variables),
  }).catch((err) =>
    ctx.logger.warn({ tool: tool.id, err: mask((err as Error).message) }, 'tool result not saved'),
  );
}

export function usedSecrets(tool: Pick<Tool, 'request'>): string[] {
  const texts = [
    tool.request.url,
    ...Object.values(tool.request.query ?? {}),
    ...Object.values(tool.request.headers ?? {}),
    ...stringsIn(tool.request.body),
  ];
  return [
    ...new Set(
      texts.flatMap((t) =>
        placeholdersIn(t)
          .filter((p) => p.ns === 'secret')
          .map((p) => p.path),
      ),
    ),
  ];
}

/** Replaces every secret value in a text with `[secret:name]` (records, errors, events). */
export function masker(secrets: Record<string, string>): (text: string) => string {
  const pairs = Object.entries(secrets)
    .filter(([, v]) => v.length >= 4)
    .sort((a, b) => b[1].length - a[1].length);
  return (text) => {
    let out = text;
    for (const [name, value] of pairs) {
      out = out.split(value).join(`[secret:${name}]`);
      const encoded = encodeURIComponent(value);
      if (encoded !== value) out = out.split(encoded).join(`[secret:${name}]`);
      const json = JSON.stringify(value).slice(1, -1);
      if (json !== value) out = out.split(json).join(`[secret:${name}]`);
    }
    return out;
  };
}

export function renderRequest(
  tool: Tool,
  bindings: Bindings,
  args?: Record<string, unknown>,
): OutgoingRequest {
  const r = tool.request;
  const url = new URL(render(r.url, bindings, { single: true, encode: encodeURIComponent }));
  for (const [k, v] of Object.entries(r.query ?? {})) url.searchParams.set(k, render(v, bindings));
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.5',
    'user-agent': 'Parley-Tools/1.0',
  };
  for (const [k, v] of Object.entries(r.headers ?? {}))
    headers[k.toLowerCase()] = render(v, bindings).replace(/[\r\n]/g, ' ');
  let body: string | null = null;
  if (tool.mcpTool) {
    // What the record shows of an MCP call: its `tools/call` (the exchange also initializes).
    body = JSON.stringify({ method: 'tools/call', params: { name: tool.mcpTool, arguments: args ?? {} } });
    headers['content-type'] = 'application/json';
  } else if (r.body !== undefined && r.method !== 'GET') {
    body = JSON.stringify(renderJson(r.body, bindings));
    headers['content-type'] = 'application/json';
  }
  return { method: r.method, url: url.toString(), headers, body };
}

const safeJson = (s: string) => {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
};

/**
 * A tool answered by its mocks alone, nothing recorded and nothing sent: evaluations
 * (`npm run eval`) score dialogues that use tools without the network. No matching mock is a
 * failure (`no_mock`), which the agent meets as any failure (its `on_error`).
 */
export function mockedOutcome(tool: Tool, args: Record<string, unknown>): ToolOutcome {
  const fail = (code: FailCode, message: string, retryable = false): ToolOutcome => ({
    ok: false,
    code,
    retryable,
    message,
    result: null,
    callId: '',
    status: 'failed',
  });
  const invalid = validateValue(tool.input_schema, args);
  if (invalid.length) return fail('invalid_args', invalid.join('; '), true);
  const mock = mockFor(tool, args);
  if (!mock) return fail('no_mock', 'no mock answers these arguments');
  const outcome = mockOutcome(mock.response);
  if (!outcome.ok) return fail(outcome.code, outcome.message, outcome.retryable);
  const mapped = mapResult(tool, outcome.answer);
  if (!mapped.ok) return fail('invalid_response', mapped.message);
  return {
    ok: true,
    code: null,
    retryable: false,
    message: 'ok',
    result: mapped.result,
    callId: '',
    status: 'mocked',
  };
}
