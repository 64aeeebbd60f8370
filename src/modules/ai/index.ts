/** The ai module's public surface: what other modules may use. */
export { type AiOptions, llmOptionsOf, runEngine, testAgent } from './ai.service.ts';
export { liveTools } from './ai.tools.ts';
export { aiReplyUsage } from './ai.usage.ts';
export { parseWhen } from './datetime.ts';
export { type DialogueState, heardState } from './dialogue.ts';
export { fillVariables, type Turn } from './engine.ts';
export { confirms, declines, namedIntents } from './intents.ts';
export type { LlmOptions } from './llm.ts';
export { loadLanguageModel } from './llm-loader.ts';
export { normaliseSpoken, TEENS, TENS } from './spoken.ts';
export { variablesOf } from './variables.ts';
