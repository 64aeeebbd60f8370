import type { LanguageModel } from 'ai';
import type { AgentConfig } from '../agents/index.ts';

/**
 * The agent's LLM, with the AI SDK loaded on first use: a process that never talks to an LLM
 * (the built-in engine, a queue worker) never loads the SDK and its dependencies (about 10 MB).
 */
export async function loadLanguageModel(agent: AgentConfig): Promise<LanguageModel> {
  const { languageModel } = await import('./llm-providers.ts');
  return languageModel(agent.model);
}
