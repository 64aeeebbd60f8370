import { generateText, jsonSchema, Output, streamText, tool } from 'ai';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { agentConfig, getAgentRow, type Scope } from '../agents/index.ts';
import { failureOf } from './llm-failures.ts';

/**
 * `POST /v1/agents/{id}/model-check`: three tiny requests to the agent's model (a streamed
 * "OK", a forced function call, a JSON object) and what they showed. A failure is part of the
 * answer (`error`), never a 5xx: the point is to find out what is wrong with the model's settings.
 */
export interface ModelCheck {
  object: 'model_check';
  agent_id: string;
  provider: string;
  model: string;
  reachable: boolean;
  model_found: boolean | null;
  streaming: boolean | null;
  tool_calling: boolean | null;
  json_output: boolean | null;
  latency_ms: number | null;
  error: string | null;
}

const CHECK_TIMEOUT_MS = 15_000;

export async function checkModel(ctx: AppContext, scope: Scope, agentId: string): Promise<ModelCheck> {
  const agent = agentConfig(ctx, await getAgentRow(ctx.db, scope, agentId));
  if (agent.model.provider === 'builtin')
    throw new ApiError('unprocessable', 'The agent uses the built-in engine: there is no model to check.');
  const out: ModelCheck = {
    object: 'model_check',
    agent_id: agent.id,
    provider: agent.model.provider,
    model: agent.model.name,
    reachable: false,
    model_found: null,
    streaming: null,
    tool_calling: null,
    json_output: null,
    latency_ms: null,
    error: null,
  };
  const { languageModel } = await import('./llm-providers.ts');
  let model: ReturnType<typeof languageModel>;
  try {
    model = languageModel(agent.model);
  } catch (err) {
    return { ...out, error: (err as Error).message.slice(0, 200) };
  }
  const base = { model, maxRetries: 0, temperature: 0, maxOutputTokens: 64 };
  const started = performance.now();
  try {
    let streamError: unknown;
    const r = streamText({
      ...base,
      prompt: 'Reply with the single word OK.',
      abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
      onError: ({ error }) => {
        streamError = error;
      },
    });
    let chunks = 0;
    for await (const _ of r.textStream) chunks++;
    if (streamError) throw streamError;
    Object.assign(out, {
      reachable: true,
      model_found: true,
      streaming: chunks > 0,
      latency_ms: Math.round(performance.now() - started),
    });
  } catch (err) {
    const f = failureOf(err);
    out.reachable = f.reason !== 'unreachable' && f.reason !== 'timeout' && f.status !== undefined;
    if (f.status === 404) out.model_found = false;
    return { ...out, error: f.message };
  }
  out.tool_calling = await tries(async () => {
    const r = await generateText({
      ...base,
      prompt: 'What time is it in Mumbai? Use the tool.',
      tools: {
        current_time: tool({
          description: 'The current time in a city.',
          inputSchema: jsonSchema<{ city: string }>({
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          }),
        }),
      },
      toolChoice: 'required',
      abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    return r.toolCalls.some((c) => c.toolName === 'current_time');
  });
  out.json_output = await tries(async () => {
    const r = await generateText({
      ...base,
      prompt: 'Answer with the JSON object {"ok": true}.',
      output: Output.object({ schema: z.object({ ok: z.boolean() }) }),
      abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    return r.output.ok === true;
  });
  return out;
}

const tries = (fn: () => Promise<boolean>) => fn().catch(() => false);
