import { generateText } from 'ai';
import { childSpan } from '../../platform/tracing.ts';
import type { AgentConfig, AnalysisSettings } from '../agents/index.ts';
import { loadLanguageModel } from '../ai/index.ts';
import { type AnalysisResult, conform, type Line } from './builtin.ts';

/**
 * Analysis by the agent's LLM: the transcript goes as data, the answer must be one JSON object
 * `{summary, data, success, sentiment}` whose `data` validates against the agent's schema. A
 * malformed or invalid answer is asked for once more; then the result is nulls with the error.
 * Runs in a job, never on the call's path, with its own timeout.
 */
const sentiments = ['positive', 'neutral', 'negative'];

function prompt(settings: AnalysisSettings): string {
  return [
    'You analyse a finished customer conversation. Answer with one JSON object only, no prose:',
    '{"summary": string|null, "data": object|null, "success": true|false|null, "sentiment": "positive"|"neutral"|"negative"|null}.',
    settings.summary
      ? '"summary": two sentences at most on what the customer wanted and what came of it.'
      : '"summary": null.',
    settings.structured
      ? `"data": the fields of this JSON Schema, each null when the conversation does not say it (never guess): ${JSON.stringify(settings.structured)}`
      : '"data": null.',
    settings.success_criteria.length
      ? `"success": true if all of these were met, false if one was not, null if unclear: ${JSON.stringify(settings.success_criteria)}`
      : '"success": null.',
    '"sentiment": the customer\'s.',
  ].join('\n');
}

const transcript = (lines: Line[]) => lines.map((l) => `${l.role}: ${l.text}`).join('\n');

/** The answer as a result, or why it is not acceptable. */
export function readAnswer(text: string, settings: AnalysisSettings): AnalysisResult | string {
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/```\s*$/, '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'the model did not answer with JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return 'the answer is not an object';
  const a = parsed as Record<string, unknown>;
  if (a.summary != null && typeof a.summary !== 'string') return 'summary is not a string';
  if (a.success != null && typeof a.success !== 'boolean') return 'success is not a boolean';
  if (a.sentiment != null && !sentiments.includes(a.sentiment as string))
    return 'sentiment is not one of the three';
  let data: Record<string, unknown> | null = null;
  if (settings.structured) {
    if (typeof a.data !== 'object' || a.data === null || Array.isArray(a.data))
      return 'data is not an object';
    const c = conform(settings.structured, a.data as Record<string, unknown>);
    if (c.problems.length) return `data does not validate: ${c.problems.join('; ')}`;
    data = c.data;
  }
  return {
    summary: settings.summary ? ((a.summary as string | null | undefined) ?? null) : null,
    data,
    success: settings.success_criteria.length ? ((a.success as boolean | null | undefined) ?? null) : null,
    sentiment: (a.sentiment as AnalysisResult['sentiment'] | undefined) ?? null,
  };
}

export async function llmAnalysis(
  agent: AgentConfig,
  settings: AnalysisSettings,
  lines: Line[],
  timeoutMs = 30_000,
): Promise<AnalysisResult & { error: string | null }> {
  let error = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      const model = await loadLanguageModel(agent);
      const modelName = typeof model === 'string' ? model : model.modelId;
      const r = await childSpan(
        `llm ${modelName}`,
        {
          'gen_ai.system': typeof model === 'string' ? 'gateway' : model.provider,
          'gen_ai.request.model': modelName,
          'parley.llm.purpose': 'analysis',
        },
        async (span) => {
          const result = await generateText({
            model,
            system: prompt(settings),
            prompt: `The conversation:\n${transcript(lines)}`,
            temperature: 0,
            maxRetries: 0,
            abortSignal: AbortSignal.timeout(timeoutMs),
          });
          const { inputTokens, outputTokens } = result.totalUsage;
          if (inputTokens !== undefined) span?.setAttribute('gen_ai.usage.input_tokens', inputTokens);
          if (outputTokens !== undefined) span?.setAttribute('gen_ai.usage.output_tokens', outputTokens);
          return result;
        },
      );
      const answer = readAnswer(r.text, settings);
      if (typeof answer !== 'string') return { ...answer, error: null };
      error = answer;
    } catch (err) {
      error =
        (err as Error).name === 'TimeoutError'
          ? 'the model timed out'
          : `the model failed: ${(err as Error).message}`;
    }
  }
  const nulls = settings.structured
    ? Object.fromEntries(Object.keys(settings.structured.properties).map((k) => [k, null]))
    : null;
  return { summary: null, data: nulls, success: null, sentiment: null, error: `${error} (after a retry)` };
}
