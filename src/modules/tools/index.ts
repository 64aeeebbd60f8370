/** The tools module's public surface: what other modules may use. */

export { DEFAULT_HOLDING_AFTER_MS, DEFAULT_TIMEOUT_MS, type Tool } from './definition.ts';
export { extractArgs, type JsonSchema } from './json-schema.ts';
export { lookup, render } from './template.ts';
export { toolCallsOf } from './tool-calls.service.ts';
export { callTool, type ToolOutcome, type ToolRunContext, validateArgs } from './tools.run.ts';
export { toolCallObject } from './tools.schemas.ts';
export { assertToolsExist, toolsByIds } from './tools.service.ts';
