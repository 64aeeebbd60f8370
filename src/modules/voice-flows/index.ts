/** The voice-flows module's public surface: what other modules may use. */
export { getFlowRow, onFlowDelete } from './voice-flows.service.ts';
