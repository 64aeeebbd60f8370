import type { Tool } from '../tools/index.ts';
import type { BookingTurn } from './booking-dialogue.ts';
import { confirms, declines } from './intents.ts';
import {
  argsFrom,
  askFor,
  failureReply,
  missingArgs,
  pendingTool,
  readback,
  resultReply,
  type ToolBindings,
  toolFor,
} from './workspace-tools.ts';

/**
 * The built-in agent's step for the workspace's tools: a tool whose trigger the customer's words
 * meet runs with the arguments found by its schema's patterns ("order 5531" → order_id 5531),
 * asking for a missing one first; a write tool is read back and runs only on the customer's yes.
 * The answer is the tool's `reply` template over the result; a failure follows `on_error`.
 */
interface ToolTurn extends BookingTurn {
  handoffText: string;
}

type Reply = { reply: string; answered?: boolean } | null;

export async function workspaceToolStep(c: ToolTurn): Promise<Reply> {
  const tools = await c.t.customTools();
  if (tools.length === 0) return null;
  const b: ToolBindings = {
    contact: c.input.variables,
    agent: { id: c.input.agent.id, name: c.input.agent.name },
  };
  const pending = pendingTool(c.state, tools) ?? (c.input.state === undefined ? askedIn(c, tools) : null);
  if (pending?.awaiting === 'confirm') {
    if (confirms(c.text)) return run(c, pending.tool, pending.args, b);
    if (declines(c.text)) return { reply: "No problem, I haven't done that. Anything else I can help with?" };
  }
  let tool: Tool | null = null;
  let args: Record<string, unknown> = {};
  if (pending?.awaiting === 'slot') {
    tool = pending.tool;
    args = { ...pending.args, ...argsFrom(tool, c.text) };
  }
  const asked = toolFor(tools, c.text);
  if (asked && asked.id !== tool?.id) {
    tool = asked;
    args = argsFrom(asked, c.text);
  }
  if (!tool) return null;
  const missing = missingArgs(tool, args);
  if (missing.length) {
    c.turn.step = {
      task: 'tool',
      awaiting: 'slot',
      slots: { tool: { id: tool.id, name: tool.name, args } },
      locale: c.locale,
    };
    return { reply: askFor(tool, missing) };
  }
  if (tool.effect === 'write') {
    c.turn.step = {
      task: 'tool',
      awaiting: 'confirm',
      slots: { tool: { id: tool.id, name: tool.name, args } },
      locale: c.locale,
    };
    c.t.note({ type: 'tool_proposed', data: { tool_id: tool.id, tool: tool.name, args } });
    return { reply: readback(tool, args, b) };
  }
  return run(c, tool, args, b);
}

/**
 * A history without a state (the playground's, a replay's, the evaluation set's): the tool whose
 * argument the agent's last words asked for, with those the customer had given before.
 */
function askedIn(c: ToolTurn, tools: Tool[]): ReturnType<typeof pendingTool> {
  const history = c.input.history;
  const i = history.findLastIndex((turn) => turn.role === 'agent');
  if (i < 0) return null;
  const said = history[i]!.text.trim();
  const before = history
    .slice(0, i)
    .filter((turn) => turn.role === 'customer')
    .map((turn) => turn.text)
    .join(' ');
  for (const tool of tools) {
    const args = argsFrom(tool, before);
    const missing = missingArgs(tool, args);
    if (missing.length && askFor(tool, missing) === said) return { tool, args, awaiting: 'slot' };
  }
  return null;
}

async function run(c: ToolTurn, tool: Tool, args: Record<string, unknown>, b: ToolBindings): Promise<Reply> {
  const out = await c.t.runTool(tool, args);
  if (out.ok) return { reply: resultReply(tool, args, out.result, b) };
  if (tool.on_error === 'continue') return null;
  const said = failureReply(tool, args, b);
  if (tool.on_error === 'handoff') {
    await c.t.handoff(`The tool ${tool.name} failed (${out.code})`);
    return { reply: `${said} ${c.handoffText}`, answered: false };
  }
  return { reply: said, answered: false };
}
