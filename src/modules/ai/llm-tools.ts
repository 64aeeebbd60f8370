import { jsonSchema, type ModelMessage, tool as sdkTool, type ToolSet } from 'ai';
import { type Tool, type ToolOutcome, validateArgs } from '../tools/index.ts';
import type { AgentTools, EngineInput, EngineResult } from './engine.ts';
import { confirms, declines } from './intents.ts';
import type { LlmAnswer } from './llm-action.ts';
import type { Lookup } from './llm-lookups.ts';
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
  builtin: Record<string, Lookup> = {},
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

  const invalidArgs = (message: string) => ({
    ok: false,
    code: 'invalid_args',
    retryable: true,
    message,
    result: null,
  });
  /** A write the model asked for: read back to the customer, run only on their yes (next turn). */
  const propose = (tool: Tool, args: Record<string, unknown>): ToolStepDone => {
    const text = readback(tool, args, b);
    t.note({ type: 'tool_proposed', data: { tool_id: tool.id, tool: tool.name, args } });
    return { reply: text, extra: { state: waitingState(tool, args, 'confirm', text) } };
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
      const lookup = tool ? undefined : builtin[action.tool];
      if (lookup) {
        const parsed = lookup.schema.safeParse(args);
        const result = parsed.success
          ? await lookup.run(parsed.data)
          : invalidArgs(parsed.error.issues[0]?.message ?? 'invalid');
        tell(
          said,
          `[${action.tool} answered: ${JSON.stringify(result)}. Answer the customer now, with the JSON object.]`,
        );
        return null;
      }
      if (!tool) {
        tell(
          said,
          `[There is no tool named ${action.tool}; the tools are ${[...Object.keys(builtin), ...custom.map((x) => x.name)].join(', ')}. Answer again with the JSON object.]`,
        );
        return null;
      }
      if (tool.effect === 'write') {
        const invalid = validateArgs(tool, args);
        if (invalid.length) {
          tell(
            said,
            `[Tool ${tool.name}: ${JSON.stringify(invalidArgs(invalid.join('; ')))}. Answer again.]`,
          );
          return null;
        }
        return propose(tool, args);
      }
      const o = await t.runTool(tool, args);
      if (!o.ok) {
        const done = await failed(tool, args, o);
        if (done) return done;
      }
      tell(said, answered(tool, o));
      return null;
    },

    /**
     * The workspace tools as native functions (JSON Schema parameters). A read runs and its
     * outcome goes back to the model; a write is read back to the customer instead of run; a
     * failure that answers the customer (`on_error` say or handoff) ends the turn. `done()` is
     * what ended it, if anything: the SDK's loop stops as soon as it is set.
     */
    native(): { tools: ToolSet; done: () => ToolStepDone | null } {
      let done: ToolStepDone | null = null;
      const tools: ToolSet = {};
      for (const tool of custom) {
        if (builtin[tool.name]) continue;
        tools[tool.name] = sdkTool({
          description: `${tool.description}${tool.effect === 'write' ? ' (Changes something: the customer is asked to confirm before it runs.)' : ''}`,
          inputSchema: jsonSchema<Record<string, unknown>>({ type: 'object', ...tool.input_schema } as never),
          execute: async (raw) => {
            const args = (raw ?? {}) as Record<string, unknown>;
            if (done) return { ok: false, code: 'not_run', message: 'The turn already ended.', result: null };
            if (tool.effect === 'write') {
              const invalid = validateArgs(tool, args);
              if (invalid.length) return invalidArgs(invalid.join('; '));
              done = propose(tool, args);
              return {
                ok: true,
                code: 'awaiting_confirmation',
                message: 'Read back to the customer.',
                result: null,
              };
            }
            const o = await t.runTool(tool, args);
            if (!o.ok) done ??= await failed(tool, args, o);
            return outcomeForModel(o);
          },
        });
      }
      return { tools, done: () => done };
    },
  };
}
