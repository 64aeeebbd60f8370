/** The analysis module's public surface: what other modules may use. */
export { analyzeCall, analyzeConversation } from './analysis.service.ts';
