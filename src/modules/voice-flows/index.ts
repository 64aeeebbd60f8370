/** The voice-flows module's public surface: what other modules may use. */
export { type FlowInUseCheck, getFlowRow } from './voice-flows.service.ts';
