import type { ModelMessage } from 'ai';
import { type Tool, type ToolOutcome, validateArgs } from '../tools/index.ts';
import type { AgentTools, EngineInput, EngineResult } from './engine.ts';
import { confirms, declines } from './intents.ts';
import type { LlmAnswer } from './llm-action.ts';
import {
  failureReply,
  outcomeForModel,
  pendingTool,
  readback,
  type ToolBindings,
  waitingState,
} from './workspace-tools.ts';

/**
 * The LLM's `tool` action. A read runs at once and its answer (`{ok, code, retryable, message,
 * result}`) goes back to the model, which then answers the customer. A write is not run on the
 * model's say-so: Parley reads its arguments back and keeps them in the reply's state; it runs
 * on the customer's yes at the next turn, with the arguments read back (not new ones). A failure
 * follows the tool's `on_error`: `say` and `handoff` answer the customer, `continue` tells the model.
 */
export interface ToolStepDone {
  reply: string;
  extra: Partial<EngineResult>;
}

export function toolFlow(
  input: EngineInput,
  custom: Tool[],
  t: AgentTools & { note: (a: { type: 'tool_proposed'; data: Record<string, unknown> }) => void },
  messages: ModelMessage[],
) {
  const b: ToolBindings = {
    contact: input.variables,
    agent: { id: input.agent.id, name: input.agent.name },
  };
  const tell = (said: string, note: string) => {
    messages.push({ role: 'assistant', content: said }, { role: 'user', content: note });
  };
  const answered = (tool: Tool, o: ToolOutcome) =>
    `[Tool ${tool.name} answered: ${JSON.stringify(outcomeForModel(o))}. Answer the customer now from it, with the JSON object.]`;

  /** After a failure: the customer is told (say), handed to a person (handoff), or the model goes on (continue). */
  const failed = async (
    tool: Tool,
    args: Record<string, unknown>,
    o: ToolOutcome,
  ): Promise<ToolStepDone | null> => {
    if (tool.on_error === 'continue' || o.code === 'invalid_args') return null;
    const said = failureReply(tool, args, b);
    if (tool.on_error === 'handoff') {
      await t.handoff(`The tool ${tool.name} failed (${o.code})`);
      return { reply: `${said} I'm passing you to a member of our team.`, extra: { answered: false } };
    }
    return { reply: said, extra: { answered: false } };
  };

  return {
    /** A write read back at the last turn: a yes runs it, a no drops it, anything else moves on. */
    async confirmed(): Promise<ToolStepDone | null> {
      const pending = pendingTool(input.state, custom);
      if (pending?.awaiting !== 'confirm') return null;
      const text = input.messages.join(' ');
      if (declines(text) && !confirms(text))
        return { reply: "No problem, I haven't done that. Anything else I can help with?", extra: {} };
      if (!confirms(text)) return null;
      const o = await t.runTool(pending.tool, pending.args);
      if (!o.ok) {
        const done = await failed(pending.tool, pending.args, o);
        if (done) return done;
      }
      messages.push({
        role: 'user',
        content: `[The customer confirmed. ${answered(pending.tool, o).slice(1)}`,
      });
      return null;
    },

    /** The model asked for a tool: run a read, read back a write. Null: ask the model again. */
    async called(answer: LlmAnswer): Promise<ToolStepDone | null> {
      const action = answer.action as Extract<LlmAnswer['action'], { type: 'tool' }>;
      const said = JSON.stringify(answer);
      const tool = custom.find((x) => x.name === action.tool);
      const args = (action.args ?? {}) as Record<string, unknown>;
      if (!tool) {
        tell(
          said,
          `[There is no tool named ${action.tool}; the tools are ${custom.map((x) => x.name).join(', ')}. Answer again with the JSON object.]`,
        );
        return null;
      }
      if (tool.effect === 'write') {
        const invalid = validateArgs(tool, args);
        if (invalid.length) {
          tell(
            said,
            `[Tool ${tool.name}: ${JSON.stringify({ ok: false, code: 'invalid_args', retryable: true, message: invalid.join('; '), result: null })}. Answer again.]`,
          );
          return null;
        }
        const text = readback(tool, args, b);
        t.note({ type: 'tool_proposed', data: { tool_id: tool.id, tool: tool.name, args } });
        return { reply: text, extra: { state: waitingState(tool, args, 'confirm', text) } };
      }
      const o = await t.runTool(tool, args);
      if (!o.ok) {
        const done = await failed(tool, args, o);
        if (done) return done;
      }
      tell(said, answered(tool, o));
      return null;
    },
  };
}
