import type { EngineInput } from './engine.ts';

/**
 * Nobody unseen (issue 62): when the built-in engine cannot answer, the agent's
 * `handoff.max_unanswered` misses in a row (default 1; 0: never) hand the conversation to people.
 */

/**
 * Misses in a row before a handoff. On a call the caller is on the line with the agent and a
 * handoff is a transfer: the first miss offers it, the second makes it.
 */
export function handoffAfter(input: EngineInput): number {
  const limit = input.agent.handoff.max_unanswered;
  return input.channel === 'voice' && limit > 0 ? Math.max(limit, 2) : limit;
}

/** The handoff's reason, as the inbox shows it. */
export const couldNotAnswerReason = (streak: number) =>
  streak === 1 ? 'Could not answer a question' : `Could not answer ${streak} questions in a row`;

/** A reply without its own offer of the team, when the handoff that follows says it. */
export const withoutTeamOffer = (reply: string) =>
  reply.replace(
    /\s*(Would you like one of these|Would you like me to connect|Kya inme se kuch|Kya main aapko team|क्या मैं आपको).*$/,
    '',
  );
