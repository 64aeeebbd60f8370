/** The tools module's public surface: what other modules may use. */

export {
  agentTools,
  DEFAULT_HOLDING_AFTER_MS,
  DEFAULT_TIMEOUT_MS,
  resolveDefinition,
  type Tool,
} from './definition.ts';
export { extractArgs, type JsonSchema } from './json-schema.ts';
export { lookup, render } from './template.ts';
export { toolCallsOf } from './tool-calls.service.ts';
export { callTool, type ToolOutcome, type ToolRunContext, validateArgs } from './tools.run.ts';
export { mockedOutcome, type RecordedCall } from './tools.runtime.ts';
export { type CreateToolInput, toolCallObject } from './tools.schemas.ts';
export { assertToolsExist, toolsByIds } from './tools.service.ts';
