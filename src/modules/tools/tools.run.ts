import type { AppContext } from '../../platform/context.ts';
import type { Tool } from './definition.ts';
import { validateValue } from './json-schema.ts';
import { runTool, type ToolOutcome, type ToolRunContext } from './tools.runtime.ts';

export type { ToolOutcome, ToolRunContext };

/** Runs `tool` for an agent or a test, observed in `parley_tool_duration_seconds`. */
export function callTool(
  ctx: AppContext,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
): Promise<ToolOutcome> {
  return runTool(
    ctx,
    (seconds, labels) => ctx.modules.tools?.duration.observe(labels, seconds),
    tool,
    args,
    rc,
  );
}

/** Why `args` do not fit the tool's `input_schema` (empty: they fit). */
export const validateArgs = (tool: Tool, args: Record<string, unknown>) => validateValue(tool.input_schema, args);
