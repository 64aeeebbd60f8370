import { contentTokens } from '../../platform/text.ts';
import { extractArgs, render, type Tool, type ToolOutcome } from '../tools/index.ts';
import type { DialogueState } from './dialogue.ts';
import { freshState } from './dialogue.ts';

/**
 * What both engines share about the workspace's tools: finding the one the customer's words ask
 * for (built-in), the read-back a write tool needs before it runs, the words after a tool
 * answered or failed, and the state that keeps a write waiting for the customer's yes.
 */

export type ToolBindings = { contact: Record<string, string>; agent: { id: string; name: string } };

/**
 * The tool whose trigger the text meets best: a keyword said (the longest keyword first) beats
 * an example that merely shares words ("please send me a payment link for order 7702" is the
 * payment-link tool's keyword, not the order-status tool's "where is my order"); among examples,
 * the one sharing the larger part of its words. Nothing met: null.
 */
export function toolFor(tools: Tool[], text: string): Tool | null {
  const lower = ` ${text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ')} `;
  const words = new Set(contentTokens(text));
  let best: { tool: Tool; score: number } | null = null;
  for (const tool of tools) {
    const trigger = tool.trigger;
    if (!trigger) continue;
    let score = 0;
    for (const k of trigger.keywords) {
      const key = k
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim();
      // A keyword said: 2, and more for a longer one (more of the message told).
      if (key && lower.includes(` ${key} `)) score = Math.max(score, 2 + Math.min(key.length, 100) / 100);
    }
    for (const e of trigger.examples) {
      const ex = contentTokens(e).filter((w) => !/^\d+$/.test(w));
      const share = ex.length ? ex.filter((w) => words.has(w)).length / ex.length : 0;
      if (share >= 0.6) score = Math.max(score, share);
    }
    if (score > 0 && (!best || score > best.score)) best = { tool, score };
  }
  return best?.tool ?? null;
}

/** The required arguments still missing. */
export function missingArgs(tool: Tool, args: Record<string, unknown>): string[] {
  return (tool.input_schema.required ?? []).filter(
    (r) => args[r] === undefined || args[r] === null || args[r] === '',
  );
}

/** The built-in agent's arguments from the customer's words (input_schema patterns). */
export const argsFrom = (tool: Tool, text: string) => extractArgs(tool.input_schema, text);

/** Asks for the first missing argument by its description. */
export function askFor(tool: Tool, missing: string[]): string {
  const prop = tool.input_schema.properties?.[missing[0]!];
  const what = (prop?.description ?? missing[0]!.replace(/_/g, ' ')).replace(/\.$/, '');
  return `Could you tell me ${/^(the|your|a|an)\b/i.test(what) ? what.charAt(0).toLowerCase() + what.slice(1) : `the ${what.toLowerCase()}`}?`;
}

const bindingsOf = (args: Record<string, unknown>, b: ToolBindings, result?: unknown) => ({
  args,
  contact: b.contact,
  agent: b.agent,
  ...(result !== undefined
    ? {
        result: (result && typeof result === 'object' ? result : { value: result }) as Record<
          string,
          unknown
        >,
      }
    : {}),
});

/** The read-back of a write tool's arguments, which the customer confirms before it runs. */
export function readback(tool: Tool, args: Record<string, unknown>, b: ToolBindings): string {
  const text = render(tool.confirmation ?? '', bindingsOf(args, b)).trim();
  if (text) return /\?\s*$/.test(text) ? text : `${text} Shall I go ahead?`;
  const list = Object.entries(args)
    .map(
      ([k, v]) =>
        `${k.replace(/_/g, ' ')} ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
    )
    .join(', ');
  return `To confirm: ${tool.description.replace(/\.$/, '')} with ${list}. Shall I go ahead?`;
}

/** The built-in agent's answer after the tool answered: its `reply` template, else the result plainly. */
export function resultReply(
  tool: Tool,
  args: Record<string, unknown>,
  result: unknown,
  b: ToolBindings,
): string {
  if (tool.reply) return render(tool.reply, bindingsOf(args, b, result)).trim();
  if (tool.effect === 'write') return 'Done.';
  if (result === null || result === undefined || result === '')
    return "I checked, but there's nothing to report.";
  if (typeof result !== 'object') return `Here's what I found: ${String(result).slice(0, 300)}`;
  const parts = Object.entries(result as Record<string, unknown>)
    .filter(([, v]) => v !== null && typeof v !== 'object')
    .slice(0, 6)
    .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${String(v)}`);
  return parts.length
    ? `Here's what I found: ${parts.join(', ')}.`
    : "I checked, but there's nothing I can read out.";
}

/** What the customer is told when a tool failed and its `on_error` is `say` (or handoff, before the handoff). */
export function failureReply(tool: Tool, args: Record<string, unknown>, b: ToolBindings): string {
  const own = tool.error_message ? render(tool.error_message, bindingsOf(args, b)).trim() : '';
  return own || "Sorry, I couldn't get that information right now. Please try again in a little while.";
}

/** The state that keeps a tool waiting: for an argument (`slot`) or for the customer's yes (`confirm`). */
export function waitingState(
  tool: Tool,
  args: Record<string, unknown>,
  awaiting: 'slot' | 'confirm',
  prompt: string,
): DialogueState {
  return {
    ...freshState(),
    task: 'tool',
    awaiting,
    slots: { tool: { id: tool.id, name: tool.name, args } },
    prompt,
  };
}

/** The pending tool of a state, if it is still one of the agent's tools. */
export function pendingTool(
  state: DialogueState | null | undefined,
  tools: Tool[],
): { tool: Tool; args: Record<string, unknown>; awaiting: 'slot' | 'confirm' } | null {
  if (state?.task !== 'tool' || !state.slots.tool || !state.awaiting || state.awaiting === 'contact')
    return null;
  const want = state.slots.tool;
  // An MCP tool's server tools share its id: the name tells which one.
  const tool = tools.find((t) => t.id === want.id && (!want.name || t.name === want.name));
  return tool ? { tool, args: state.slots.tool.args, awaiting: state.awaiting } : null;
}

/** The tool's answer as the LLM reads it: `{ok, code, retryable, message, result}`. */
export function outcomeForModel(o: ToolOutcome) {
  return { ok: o.ok, code: o.code, retryable: o.retryable, message: o.message, result: o.result };
}

/** The system prompt's list of the workspace tools the model may call with the `tool` action. */
export function toolsPrompt(tools: Tool[]): string {
  if (tools.length === 0) return '';
  return [
    'The business\'s own tools (call one with the action {"type": "tool", "tool": <name>, "args": {...}}; you then get its answer as {ok, code, retryable, message, result} and answer the customer from it; never make up what a tool would say):',
    ...tools.map(
      (t) =>
        `- ${t.name} (${t.effect === 'write' ? 'changes something: the customer is asked to confirm first' : 'looks something up'}): ${t.description} Arguments (JSON Schema): ${JSON.stringify(t.input_schema)}`,
    ),
  ].join('\n');
}
