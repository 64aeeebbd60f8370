import { DateTime } from 'luxon';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import type { DialogueState } from '../../src/modules/ai/dialogue.ts';
import type { Action, EngineResult, Turn } from '../../src/modules/ai/engine.ts';
import type { World } from './ai-world.ts';

/**
 * A customer's turns with the built-in agent, the dialogue state handed on as data, as the reply
 * job does. `history: 'reworded'` (default) puts a placeholder for each reply in the history, so
 * nothing is read back from the agent's own words; `'replies'` keeps what it said.
 */
export async function talkTo(
  world: World,
  messages: string[],
  opts: { now: Date; history?: 'reworded' | 'replies' },
) {
  const history: Turn[] = [];
  const results: EngineResult[] = [];
  let state: DialogueState | null = null;
  for (const [i, message] of messages.entries()) {
    const r = await builtinReply(
      {
        agent: world.agent,
        messages: [message],
        history: [...history],
        variables: {},
        now: opts.now,
        defaultCountry: 'IN',
        state,
      },
      world.tools,
    );
    results.push(r);
    state = r.state ?? null;
    const said = opts.history === 'replies' ? r.reply : `(reply ${i + 1}, reworded)`;
    history.push({ role: 'customer', text: message }, { role: 'agent', text: said });
  }
  const actions = results.flatMap((r) => r.actions);
  const transcript = results.map((r, i) => `C: ${messages[i]}\nA: ${r.reply}`).join('\n');
  return { results, actions, transcript, replies: results.map((r) => r.reply) };
}

/** The actions of one type. */
export const actionsOf = (actions: Action[], type: string) => actions.filter((a) => a.type === type);

/** An instant as `yyyy-MM-dd HH:mm` in a timezone. */
export const localTime = (iso: unknown, tz: string) =>
  DateTime.fromISO(String(iso)).setZone(tz).toFormat('yyyy-MM-dd HH:mm');
