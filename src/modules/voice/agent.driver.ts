import type { AppContext } from '../../platform/context.ts';
import type { AgentConfig } from '../agents/index.ts';
import type { LlmOptions } from '../ai/index.ts';
import {
  type DialogueState,
  fillVariables,
  heardState,
  liveTools,
  llmOptionsOf,
  normaliseSpoken,
  runEngine,
  type Turn,
} from '../ai/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import type { Tool } from '../tools/index.ts';
import { warmWhisper } from './engine/transfer.ts';
import type { CallDriver, CallerTurn, DriverChunk } from './engine/types.ts';
import { holdingAfter, streamedReply } from './streamed-reply.ts';

const goodbyeRe =
  /\b(bye|goodbye|good bye|that'?s all|that is all|nothing else|no thanks|hang up|alvida|bas itna hi|theek hai bye)\b/i;
/** The built-in agent's state after a reply (an LLM keeps none). */
const stateAfter = (r: { state?: DialogueState }) => r.state ?? null;
const voiceLlm: LlmOptions = { timeoutMs: 15_000, maxSteps: 4 };

export interface AgentDriverInput {
  ctx: AppContext;
  agent: AgentConfig;
  conversation: ConversationRow;
  variables: Record<string, string>;
  defaultCountry: string;
  voicemailMessage: string | null;
  /** The number the LLM's `transfer` tool may dial (the agent's `voice.transfer.to`). */
  transferTo: string | null;
  /**
   * `voice.transfer.mode: warm`: transfers to the number are warm (the person is told who is
   * calling first: `caller`, and with `summary` the reason and the caller's last words), and a
   * handoff to a human dials the number too.
   */
  warm?: { summary: boolean; caller: string | null };
}

/**
 * The AI agent on a call: the same engine as on chat (built-in rules or an LLM, with the chat
 * tools), with a voice style (the session makes the answer speakable and splits it into
 * sentences). A goodbye ends the call after the agent answers it (`end_call`); a handoff to a
 * human is a transfer (`conversation.escalated`). An LLM agent also has the call actions `end_call`
 * and `transfer` (to a human when it has the handoff tool, to `voice.transfer.to` when set).
 * What the caller said is read through `normaliseSpoken` (digits, emails, names as meant).
 */
export function agentDriver(input: AgentDriverInput): CallDriver {
  const { ctx, agent } = input;
  const history: Turn[] = [];
  /** The built-in agent's dialogue state after its last answer (null: nothing pending). */
  let state: DialogueState | null = null;
  const scope = {
    workspaceId: agent.workspaceId,
    livemode: agent.livemode,
    defaultCountry: input.defaultCountry,
  };
  const live = liveTools(ctx, scope, agent, input.conversation);
  /** Told when a workspace tool starts, so the caller hears its holding phrase if it is slow. */
  let toolStarted: (tool: Tool) => void = () => {};
  const tools = {
    ...live,
    runTool: (tool: Tool, args: Record<string, unknown>) => {
      toolStarted(tool);
      return live.runTool(tool, args);
    },
  };
  const llm: LlmOptions = {
    ...llmOptionsOf(ctx, voiceLlm),
    call: { transferTo: input.transferTo, human: agent.tools.includes('handoff') },
  };

  const opening = () => {
    const g = agent.greeting?.trim();
    if (g) return fillVariables(g, input.variables);
    const name = input.variables.name ? ` ${input.variables.name}` : '';
    return `Hello${name}! This is ${agent.name}. How can I help you today?`;
  };

  /** A transfer made warm when the agent says so: to the number, with what the person will hear. */
  const warmed = (t: Extract<DriverChunk, { type: 'transfer' }>): DriverChunk => {
    const warm = input.warm;
    const to = t.to ?? (t.human ? input.transferTo : null);
    if (!warm || !to) return t;
    const recent = history.filter((h) => h.role === 'customer').map((h) => h.text);
    const whisper = warmWhisper({
      agentName: agent.name,
      caller: warm.caller,
      reason: t.reason,
      recent,
      summary: warm.summary,
    });
    return { ...t, to, mode: 'warm', whisper };
  };

  return {
    async *start() {
      const text = opening();
      history.push({ role: 'agent', text });
      yield { type: 'say', text };
    },
    async *reply(turn: CallerTurn, signal: AbortSignal): AsyncIterable<DriverChunk> {
      // Recognised speech says numbers, emails and spelled names in words: read as the caller meant.
      const said = turn.dtmf ? turn.dtmf : normaliseSpoken(turn.text);
      const speech = streamedReply();
      let held = false;
      const running = runEngine(
        {
          agent,
          messages: [said],
          history: history.slice(-20),
          variables: input.variables,
          now: ctx.clock.now(),
          defaultCountry: input.defaultCountry,
          channel: 'voice',
          state,
        },
        tools,
        // Barge-in aborts the generation; the reply is spoken sentence by sentence as it streams.
        { ...llm, signal, onReplyText: speech.onReplyText },
      );
      history.push({ role: 'customer', text: said });
      // In the history from its first words, so a barge-in (`interrupted`) cuts this turn, not the last.
      const entry: Turn = { role: 'agent', text: '' };
      toolStarted = (tool) => {
        if (held) return;
        held = true;
        holdingAfter(running, tool, speech.holding);
      };
      try {
        yield* spokenAsItComes(speech, speech.speak(running, signal), history, entry);
      } finally {
        toolStarted = () => {};
      }
      if (signal.aborted) {
        void running.catch(() => {});
        return;
      }
      const result = await running;
      state = stateAfter(result);
      if (result.engine === 'fallback') {
        // The AI provider failed (the conversation is escalated with its error): the caller is
        // put through to the agent's transfer number, or told and let go; not left talking to
        // an agent that cannot answer, nor recorded as transferred when nobody took the call.
        yield* providerFailed(result, input.transferTo, history);
        return;
      }
      const action = result.callAction;
      const ending = action?.type === 'end_call' || (!action && goodbyeRe.test(turn.text));
      const reply = withGoodbye(result.reply, !action && ending);
      if (!history.includes(entry)) history.push(entry);
      entry.text = reply;
      const rest = unspoken(reply, speech.spoken());
      if (rest) yield { type: 'say', text: rest };
      if (action?.type === 'transfer')
        yield warmed({
          type: 'transfer',
          to: action.to,
          human: action.human,
          reason: action.reason ?? 'The caller asked to be transferred',
        });
      else if (result.handedOff)
        yield warmed({ type: 'transfer', human: true, reason: 'The caller asked for a human' });
      else if (ending) yield { type: 'end_call' };
    },
    async *reprompt() {
      const text = 'Are you still there?';
      history.push({ role: 'agent', text });
      yield { type: 'say', text };
    },
    interrupted(heard: string) {
      // The caller heard only part of the last answer: the history keeps what they heard, so the
      // agent never repeats it nor assumes the rest, and the built-in agent's state forgets a
      // question they never heard (a later "yes" does not answer it).
      const last = history[history.length - 1];
      if (last?.role === 'agent') last.text = heard || '(interrupted before speaking)';
      if (state) state = heardState(state, heard);
    },
    voicemail() {
      return input.voicemailMessage ? fillVariables(input.voicemailMessage, input.variables) : null;
    },
  };
}

const withGoodbye = (reply: string, ending: boolean) =>
  ending && !/\b(bye|goodbye|alvida)\b/i.test(reply) ? `${reply} Goodbye!` : reply;

/** The rest of a reply spoken while it streamed; a reply that changed meanwhile is said whole. */
const unspoken = (reply: string, spoken: string) =>
  spoken && reply.startsWith(spoken) ? reply.slice(spoken.length).trim() : reply;

/** The reply's words as they stream, kept in `entry` (added to the history at its first words). */
async function* spokenAsItComes(
  speech: ReturnType<typeof streamedReply>,
  chunks: AsyncIterable<DriverChunk>,
  history: Turn[],
  entry: Turn,
): AsyncGenerator<DriverChunk> {
  for await (const chunk of chunks) {
    if (!history.includes(entry)) history.push(entry);
    entry.text = speech.spoken() || (chunk.type === 'say' ? chunk.text : entry.text);
    yield chunk;
  }
}

/** The AI provider failed: the caller is put through to the transfer number, or told and let go. */
function* providerFailed(
  result: { actions: Array<{ type: string; data?: Record<string, unknown> }> },
  to: string | null,
  history: Turn[],
): Generator<DriverChunk> {
  const text = to
    ? "Sorry, I'm having trouble answering right now. Let me put you through to a colleague."
    : "Sorry, I'm having trouble answering right now. A member of our team will get back to you. Goodbye!";
  history.push({ role: 'agent', text });
  yield { type: 'say', text };
  const failed = result.actions.find((a) => a.type === 'handoff')?.data?.reason;
  if (to) yield { type: 'transfer', to, human: true, reason: 'The AI provider failed' };
  else
    yield {
      type: 'end_call',
      reason: 'llm_error',
      error: typeof failed === 'string' ? failed : 'The AI provider failed.',
    };
}
