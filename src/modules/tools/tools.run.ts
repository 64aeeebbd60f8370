import type { AppContext } from '../../platform/context.ts';
import type { Tool } from './definition.ts';
import { validateValue } from './json-schema.ts';
import { runTool, type ToolOutcome, type ToolRunContext } from './tools.runtime.ts';

export type { ToolOutcome, ToolRunContext };

/** Runs `tool` for an agent or a test, observed in `parley_tool_duration_seconds`. */
export async function callTool(
  ctx: AppContext,
  tool: Tool,
  args: Record<string, unknown>,
  rc: ToolRunContext,
): Promise<ToolOutcome> {
  try {
    return await runTool(
      ctx,
      (seconds, labels) => ctx.modules.tools?.duration.observe(labels, seconds),
      tool,
      args,
      rc,
    );
  } catch (err) {
    // Never a crash of the reply: the agent gets a failure (the message may hold a secret: not logged).
    ctx.logger.error({ tool: tool.id, err: (err as Error).name }, 'tool call failed unexpectedly');
    return {
      ok: false,
      code: 'internal_error',
      retryable: false,
      message: 'the tool could not be run',
      result: null,
      callId: '',
      status: 'failed',
    };
  }
}

/** Why `args` do not fit the tool's `input_schema` (empty: they fit). */
export const validateArgs = (tool: Tool, args: Record<string, unknown>) =>
  validateValue(tool.input_schema, args);
