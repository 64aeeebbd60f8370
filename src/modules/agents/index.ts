/** The agents module's public surface: what other modules may use. */

export { type UpdateAgentInput, updateAgentBody, weekdays } from './agents.schemas.ts';
export {
  type AgentConfig,
  type AgentDeleting,
  agentAtPhone,
  agentConfig,
  agentExists,
  agentIsActive,
  agentVoiceSettings,
  type Business,
  defaultAgent,
  draftAgentConfig,
  findAgentRow,
  getAgentRow,
  oldestActiveAgent,
  parseBusiness,
  parseHandoff,
  type Scope,
  type Service,
} from './agents.service.ts';
export type { AgentsTable } from './agents.tables.ts';
export {
  type AnalysisProperty,
  type AnalysisSchema,
  type AnalysisSettings,
  analysisFieldNames,
  parseAnalysisSettings,
} from './analysis-settings.ts';
export {
  type ModelConfig,
  type ModelProvider,
  type ModelRef,
  modelPreset,
  modelProviders,
  type ToolCalling,
} from './model-settings.ts';
export {
  backchannelList,
  type EngineChoice,
  type StoredVoiceSettings,
  voiceDefaults,
} from './voice-settings.ts';
