import type { ModelMessage } from 'ai';
import type { ModelRef, ToolCalling } from '../agents/index.ts';
import type { SearchHit } from '../knowledge/index.ts';
import type { Tool } from '../tools/index.ts';
import { builtinReply } from './builtin.ts';
import {
  type Action,
  type AgentTools,
  type EngineInput,
  type EngineResult,
  type LlmOutcome,
  recording,
  type Source,
} from './engine.ts';
import { allowedActions, executeAction } from './llm-action.ts';
import { type FailureReason, failureOf, toolsRefused, waitBeforeRetry } from './llm-failures.ts';
import { type AttemptInput, type AttemptResult, attemptReply, type ToolMode } from './llm-generate.ts';
import { lookups } from './llm-lookups.ts';
import { replySoFar } from './llm-partial.ts';
import { systemPrompt, toMessages } from './llm-prompt.ts';
import { languageModel } from './llm-providers.ts';
import { toolFlow } from './llm-tools.ts';

/**
 * Replies from an LLM (OpenAI, Anthropic, Gemini, Azure, any OpenAI-compatible server) through
 * the AI SDK, with tools fixed server-side from the agent's configuration; the customer's words
 * only ever travel as user messages. Each model has a time budget; when one fails (down, HTTP
 * error, timeout, unreadable answer) the agent's fallbacks are tried in order (another model or
 * the built-in engine), and when none is left the customer is told and handed to a person.
 */
export interface LlmOptions {
  /** Budget of one model's reply when the agent's `model.timeout_ms` is not set (default 20 s). */
  timeoutMs?: number;
  maxSteps?: number;
  /** Use the provider's streaming protocol (SSE) and collect the whole answer (default true). */
  stream?: boolean;
  /** On a voice call: the actions `end_call` and `transfer` are offered (never on chat). */
  call?: CallToolOptions;
  /** Where a provider's failure (timeout, HTTP error, unreadable answer) is logged, once per model. */
  logger?: LlmLogger;
  /** Aborts the reply (a caller talking over the agent): no fallback, no handoff, nothing logged. */
  signal?: AbortSignal;
  /**
   * Told the reply's words so far while a model streams them, once its action is one whose words
   * cannot change (voice speaks them as they come). A later model or a retry may start again.
   */
  onReplyText?: (replySoFar: string) => void;
  /** Told once per failed model, with why: for metrics. */
  onFailure?: (e: { provider: string; reason: FailureReason }) => void;
}

export interface LlmLogger {
  warn(obj: object, msg: string): void;
}

/** Why an LLM reply fell back, as logged (`reason`). */
export type LlmFailure = FailureReason;

export interface CallToolOptions {
  /** The number `transfer` may dial (the agent's `voice.transfer.to`); null: none. */
  transferTo: string | null;
  /** Whether `transfer` to a human is allowed (the agent has the `handoff` tool). */
  human: boolean;
}

export const LLM_FALLBACK_EN =
  "Sorry, I'm having trouble answering right now. I'm passing you to a member of our team, who will reply here shortly.";

const label = (m: ModelRef) => `${m.provider}:${m.name}`;

/** What one reply's models share: the recording tools, the conversation so far, the budget. */
interface ReplyRun {
  input: EngineInput;
  opts: LlmOptions;
  tools: AgentTools;
  t: ReturnType<typeof recording>;
  actions: Action[];
  hits: SearchHit[];
  custom: Tool[];
  base: ModelMessage[];
  budgetMs: number;
  outcome: LlmOutcome;
  /** The tokens of the model being asked now (the answering one's become `outcome.usage`). */
  tokens: { input: number | null; output: number | null };
}

interface Failed {
  reason: FailureReason;
  status?: number;
  why: string;
  ms: number;
}

export async function llmReply(
  input: EngineInput,
  tools: AgentTools,
  opts: LlmOptions = {},
): Promise<EngineResult> {
  const actions: Action[] = [];
  const primary = input.agent.model;
  const run: ReplyRun = {
    input,
    opts,
    tools,
    t: recording(tools, actions),
    actions,
    hits: [],
    custom: await tools.customTools(),
    base: toMessages(input),
    budgetMs: primary.timeoutMs ?? opts.timeoutMs ?? 20_000,
    outcome: { model: null, tool_calling: null, failures: [], retries: 0 },
    tokens: { input: null, output: null },
  };
  // A write read back at the last turn runs on the customer's yes once, before any model is asked.
  const early = await toolFlow(input, run.custom, run.t, run.base).confirmed();
  if (early) {
    run.outcome.model = label(primary);
    return finish(run, early.reply, primary.provider, early.extra);
  }
  const chain: Array<ModelRef | 'builtin'> = [primary, ...(primary.fallbacks ?? [])];
  for (const [i, model] of chain.entries()) {
    if (model === 'builtin') {
      run.outcome.model = 'builtin';
      const r = await builtinReply(input, tools);
      return { ...r, actions: [...actions, ...r.actions], llm: run.outcome };
    }
    // Fallback models are asked natively and, if they refuse tools, with JSON.
    const r = await tryModel(run, model, i === 0 ? (primary.toolCalling ?? 'auto') : 'auto');
    if (opts.signal?.aborted) return interrupted(run);
    if (r.ok && r.got.kind !== 'malformed') return answered(run, model, r.mode, r.got);
    const failed: Failed = r.ok
      ? { reason: 'malformed_answer', why: r.got.kind === 'malformed' ? r.got.why : '', ms: r.ms }
      : r;
    const next = chain[i + 1];
    recordFailure(run, model, failed, next);
    if (next === undefined) return handOff(run, failed.reason === 'timeout' ? 'timed out' : failed.why);
  }
  return handOff(run, 'no model');
}

const finish = (
  run: ReplyRun,
  reply: string,
  engine: string,
  extra: Partial<EngineResult> = {},
): EngineResult => ({
  reply,
  sources: sourcesOf(run.hits),
  actions: run.actions,
  answered: true,
  handedOff: run.t.handedOff(),
  engine,
  llm: run.outcome,
  ...extra,
});

/** The model answered: its tool step ended the turn, or its action is done. */
async function answered(
  run: ReplyRun,
  model: ModelRef,
  mode: ToolMode,
  got: Exclude<AttemptResult, { kind: 'malformed' }>,
): Promise<EngineResult> {
  run.outcome.model = label(model);
  run.outcome.tool_calling = mode;
  run.outcome.usage = { input_tokens: run.tokens.input, output_tokens: run.tokens.output };
  if (got.kind === 'done') return finish(run, got.done.reply, model.provider, got.done.extra);
  try {
    const done = await executeAction(got.answer, run.input.agent, run.t, run.opts.call);
    return finish(run, done.reply, model.provider, done.callAction ? { callAction: done.callAction } : {});
  } catch (err) {
    // The action itself failed (the calendar, the database): no other model would do better.
    return handOff(run, `${got.answer.action.type} failed: ${(err as Error).message.slice(0, 200)}`);
  }
}

/** One model, retried only where it is safe: a 429 with Retry-After, a refused connection. */
async function tryModel(
  run: ReplyRun,
  model: ModelRef,
  calling: ToolCalling,
): Promise<{ ok: true; got: AttemptResult; mode: ToolMode; ms: number } | ({ ok: false } & Failed)> {
  const startedAt = performance.now();
  run.tokens = { input: null, output: null };
  const timeout = AbortSignal.timeout(run.budgetMs);
  const signal = run.opts.signal ? AbortSignal.any([timeout, run.opts.signal]) : timeout;
  let mode: ToolMode = calling === 'json' ? 'json' : 'native';
  for (let tries = 0; ; tries++) {
    try {
      const got = await attemptReply(attemptInput(run, model, mode, calling, signal));
      return { ok: true, got, mode, ms: Math.round(performance.now() - startedAt) };
    } catch (err) {
      if (mode === 'native' && calling === 'auto' && toolsRefused(err)) {
        mode = 'json';
        continue;
      }
      const left = run.budgetMs - (performance.now() - startedAt);
      const wait = tries === 0 ? waitBeforeRetry(err, left) : null;
      if (wait === null) {
        const f = failureOf(err);
        return { ok: false, ...f, why: f.message, ms: Math.round(performance.now() - startedAt) };
      }
      run.outcome.retries++;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

function attemptInput(
  run: ReplyRun,
  model: ModelRef,
  mode: ToolMode,
  calling: ToolCalling,
  signal: AbortSignal,
): AttemptInput {
  const { input, custom, opts } = run;
  const messages = [...run.base];
  const found = lookups(input.agent, run.t, run.hits);
  const jsonTools = mode === 'json' && (custom.length > 0 || Object.keys(found).length > 0);
  const allowed = allowedActions(input.agent, opts.call, jsonTools);
  // `auto` offers the tools natively and still reads a `tool` action a small model writes anyway.
  const readable = calling === 'auto' && !allowed.includes('tool') ? [...allowed, 'tool' as const] : allowed;
  return {
    model: languageModel(model),
    system: systemPrompt(input, { allowed, custom, mode, lookups: found }),
    messages,
    allowed: readable,
    mode,
    lookups: found,
    flow: toolFlow(input, custom, run.t, messages, found),
    maxSteps: opts.maxSteps ?? 5,
    signal,
    stream: opts.stream ?? true,
    onUsage: (u) => {
      if (u.inputTokens !== undefined) run.tokens.input = (run.tokens.input ?? 0) + u.inputTokens;
      if (u.outputTokens !== undefined) run.tokens.output = (run.tokens.output ?? 0) + u.outputTokens;
    },
    ...(opts.onReplyText ? { onText: spokenSoFar(opts.onReplyText) } : {}),
  };
}

/** Recorded on the reply, counted, and logged once: never the prompt, the customer's words or a key. */
function recordFailure(
  run: ReplyRun,
  model: ModelRef,
  failed: Failed,
  next: ModelRef | 'builtin' | undefined,
) {
  const status = failed.status !== undefined ? { status: failed.status } : {};
  run.outcome.failures.push({ model: label(model), reason: failed.reason, ...status, ms: failed.ms });
  run.opts.onFailure?.({ provider: model.provider, reason: failed.reason });
  run.opts.logger?.warn(
    {
      agentId: run.input.agent.id,
      provider: model.provider,
      model: model.name,
      reason: failed.reason,
      ...status,
      ms: failed.ms,
      next: next === undefined ? 'handoff' : next === 'builtin' ? 'builtin' : label(next),
    },
    next === undefined
      ? 'AI provider failed; conversation handed to a person'
      : 'AI provider failed; trying the next model',
  );
}

/** The reply so far of a streamed answer, told when it grew. */
function spokenSoFar(tell: (replySoFar: string) => void) {
  let last = '';
  return (text: string) => {
    const reply = replySoFar(text);
    if (reply === null || reply === last) return;
    last = reply;
    tell(reply);
  };
}

/** The caller spoke over the agent: the reply is dropped, nobody is handed the conversation. */
function interrupted(run: ReplyRun): EngineResult {
  return {
    reply: '',
    sources: [],
    actions: run.actions,
    answered: false,
    handedOff: run.t.handedOff(),
    engine: 'interrupted',
    llm: run.outcome,
  };
}

async function handOff(run: ReplyRun, why: string): Promise<EngineResult> {
  run.actions.push({ type: 'handoff', data: { reason: `AI provider failed: ${why}` } });
  if (!run.t.handedOff()) await run.tools.handoff(`AI provider failed: ${why}`);
  return {
    reply: LLM_FALLBACK_EN,
    sources: [],
    actions: run.actions,
    answered: false,
    handedOff: true,
    engine: 'fallback',
    llm: run.outcome,
  };
}

function sourcesOf(hits: SearchHit[]): Source[] {
  const sources: Source[] = [];
  for (const h of hits) {
    if (!sources.some((s) => s.chunk_id === h.chunk_id))
      sources.push({ doc_id: h.doc_id, chunk_id: h.chunk_id, title: h.title, score: h.score });
  }
  return sources.slice(0, 5);
}
