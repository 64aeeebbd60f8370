import {
  generateText,
  InvalidToolInputError,
  type LanguageModel,
  type ModelMessage,
  NoSuchToolError,
  Output,
  stepCountIs,
  streamText,
  type ToolSet,
  tool,
} from 'ai';
import { childSpan } from '../../platform/tracing.ts';
import { type ActionType, type LlmAnswer, llmAnswerSchema, parseAnswer, retryNote } from './llm-action.ts';
import type { Lookup } from './llm-lookups.ts';
import type { ToolStepDone, toolFlow } from './llm-tools.ts';

/**
 * One model's try at a reply: the lookups and the workspace's tools in a bounded loop, then the
 * answer read as the JSON object `{reply, action, lead}`. `native` offers the tools as functions;
 * `json` sends no function at all and lets the model call them with the `tool` action (for a
 * model without tool support). Provider failures are thrown for the caller's fallback chain.
 */
export type ToolMode = 'native' | 'json';

export type AttemptResult =
  | { kind: 'answer'; answer: LlmAnswer }
  | { kind: 'done'; done: ToolStepDone }
  | { kind: 'malformed'; why: string };

export interface AttemptInput {
  model: LanguageModel;
  system: string;
  messages: ModelMessage[];
  allowed: ActionType[];
  mode: ToolMode;
  lookups: Record<string, Lookup>;
  flow: ReturnType<typeof toolFlow>;
  maxSteps: number;
  signal: AbortSignal;
  stream: boolean;
  /** Told the answer's text so far as it streams (each generation starts again from nothing). */
  onText?: (textSoFar: string) => void;
  /** Told the tokens of each generation, as the server counted them. */
  onUsage?: (usage: { inputTokens?: number; outputTokens?: number }) => void;
}

/** Tool actions one turn may take before the model must answer. */
const MAX_TOOL_STEPS = 3;

export async function attemptReply(o: AttemptInput): Promise<AttemptResult> {
  for (let step = 0; step <= MAX_TOOL_STEPS; step++) {
    // The last step may not call another tool: the model answers with what it has.
    const now = step === MAX_TOOL_STEPS ? o.allowed.filter((a) => a !== 'tool') : o.allowed;
    const native = o.mode === 'native' ? o.flow.native() : null;
    const tools = native ? { ...lookupTools(o.lookups), ...native.tools } : undefined;
    const got = await askModel(o, now, tools, native?.done);
    const done = native?.done();
    if (done) return { kind: 'done', done };
    if (!got.ok) return { kind: 'malformed', why: got.why };
    if (got.answer.action.type !== 'tool') return { kind: 'answer', answer: got.answer };
    const called = await o.flow.called(got.answer);
    if (called) return { kind: 'done', done: called };
  }
  return { kind: 'malformed', why: 'no answer' };
}

function lookupTools(list: Record<string, Lookup>): ToolSet {
  const tools: ToolSet = {};
  for (const [name, l] of Object.entries(list))
    tools[name] = tool({ description: l.description, inputSchema: l.schema, execute: (args) => l.run(args) });
  return tools;
}

/**
 * One answer of the model: one try and, when it cannot be read as the JSON object, one retry that
 * says why. Not ok: why the model failed (malformed tool call, unreadable twice).
 */
async function askModel(
  o: AttemptInput,
  allowed: ActionType[],
  tools: ToolSet | undefined,
  stop: (() => unknown) | undefined,
): Promise<{ ok: true; answer: LlmAnswer } | { ok: false; why: string }> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const got = await generate(o, tools, stop);
    if (got.malformed) return { ok: false, why: got.malformed };
    if (stop?.()) return { ok: false, why: 'ended by a tool' };
    const parsed = parseAnswer(got.text, allowed);
    if (parsed.ok) return parsed;
    if (attempt === 1) return { ok: false, why: `unreadable answer twice (${parsed.why})` };
    o.messages.push(
      { role: 'assistant', content: got.text || '(empty)' },
      { role: 'user', content: retryNote(parsed.why, allowed) },
    );
  }
  return { ok: false, why: 'no answer' };
}

const answerOutput = Output.object({ schema: llmAnswerSchema });
/**
 * The provider is asked for a JSON object (`response_format`) shaped as the answer; the text is
 * read by parseAnswer, which is more lenient than the SDK (a fence, words around the object) and
 * keeps the steps for the malformed-tool-call check, so the SDK's own parsing is switched off.
 */
const jsonFormat: typeof answerOutput = {
  ...answerOutput,
  parseCompleteOutput: async () => ({}) as LlmAnswer,
  // Every delta published as it comes (the SDK holds text back until its partial output changes).
  parsePartialOutput: async ({ text }) => ({ partial: text as never }),
};

type GenerationArgs = Parameters<typeof generateText>[0] & Parameters<typeof streamText>[0];

/** The model's text, steps and token counts: streamed (each delta to `onText`) or in one answer. */
async function runGeneration(o: AttemptInput, args: GenerationArgs) {
  if (o.stream) {
    let streamError: unknown;
    const result = streamText({
      ...args,
      onError: ({ error }) => {
        streamError = error;
      },
    });
    if (o.onText) {
      let soFar = '';
      for await (const delta of result.textStream) {
        soFar += delta;
        o.onText(soFar);
      }
    }
    const text = await Promise.resolve(result.text).catch((err: unknown) => {
      throw streamError ?? err;
    });
    if (streamError) throw streamError;
    const steps = (await result.steps) as Awaited<ReturnType<typeof generateText>>['steps'];
    return { text, steps, usage: await Promise.resolve(result.totalUsage).catch(() => undefined) };
  }
  const result = await generateText(args);
  return { text: result.text, steps: result.steps, usage: result.totalUsage };
}

/** One generation: the tools in a bounded loop, then the final text (a span when tracing is on). */
async function generate(
  o: AttemptInput,
  tools: ToolSet | undefined,
  stop: (() => unknown) | undefined,
): Promise<{ text: string; malformed: string | null }> {
  const args = {
    model: o.model,
    system: o.system,
    messages: o.messages,
    ...(tools ? { tools } : {}),
    stopWhen: [stepCountIs(o.maxSteps), () => Boolean(stop?.())],
    abortSignal: o.signal,
    maxRetries: 0,
    temperature: 0.2,
    output: jsonFormat,
  };
  const id = typeof o.model === 'string' ? o.model : o.model.modelId;
  const provider = typeof o.model === 'string' ? 'gateway' : o.model.provider;
  const { text, steps } = await childSpan(
    `llm ${id}`,
    {
      'gen_ai.system': provider,
      'gen_ai.request.model': id,
      'parley.llm.purpose': 'reply',
      'parley.llm.stream': o.stream,
    },
    async (span) => {
      const got = await runGeneration(o, args);
      if (got.usage) o.onUsage?.(got.usage);
      if (got.usage?.inputTokens !== undefined)
        span?.setAttribute('gen_ai.usage.input_tokens', got.usage.inputTokens);
      if (got.usage?.outputTokens !== undefined)
        span?.setAttribute('gen_ai.usage.output_tokens', got.usage.outputTokens);
      return got;
    },
  );
  let malformed: string | null = null;
  for (const step of steps) {
    for (const part of step.content) {
      if (part.type === 'tool-call' && (part as { invalid?: boolean }).invalid)
        malformed = `malformed call of ${part.toolName}`;
      if (
        part.type === 'tool-error' &&
        (InvalidToolInputError.isInstance(part.error) || NoSuchToolError.isInstance(part.error))
      ) {
        malformed = `malformed call of ${part.toolName}`;
      }
    }
  }
  return { text, malformed };
}
