/**
 * Turn-taking rules of the call engine, apart from the session's state machine: which words are
 * backchannels, how long to wait for the end of a caller's turn given what they have said so
 * far, and the counts a call keeps of interruptions (stored on the call's `latency`).
 */

/** Words a sentence does not end on: the caller is still going ("I'd like to book a..."). */
const trailing = new Set([
  // English articles, conjunctions, prepositions, fillers, auxiliaries.
  'a',
  'an',
  'the',
  'and',
  'or',
  'but',
  'so',
  'because',
  'to',
  'of',
  'for',
  'with',
  'at',
  'in',
  'on',
  'from',
  'about',
  'my',
  'your',
  'our',
  'their',
  'this',
  'that',
  'some',
  'um',
  'umm',
  'uh',
  'uhh',
  'er',
  'erm',
  'like',
  'i',
  "i'd",
  "i'm",
  'is',
  'are',
  'want',
  'need',
  // Hinglish connectives and postpositions.
  'aur',
  'ki',
  'ke',
  'ka',
  'ko',
  'se',
  'mein',
  'toh',
  'ya',
  'matlab',
  'jo',
  'woh',
  'yeh',
]);

const questionStart =
  /^(what|when|where|who|whom|whose|which|why|how|can|could|do|does|did|is|are|was|will|would|should|may|kya|kab|kahan|kaun|kaise|kitna|kitne|kitni|kyun)\b/;

export interface EndOfTurnRules {
  /** The agent's end-of-turn silence (`end_of_turn_silence_ms`). */
  baseMs: number;
  /** Off: silence alone ends the turn (the benchmark's "before"). */
  heuristic?: boolean;
}

/** The longest a trailing-off caller is waited for, and the least a complete question waits. */
export const endOfTurnLimits = { maxMs: 3_000, incompleteFactor: 3, minIncompleteMs: 1_500, questionMs: 250 };

export type TurnShape = 'incomplete' | 'question' | 'statement';

/** What the words said so far look like: cut off mid-sentence, a complete question, or neither. */
export function turnShape(text: string): TurnShape {
  const raw = text.trim();
  if (!raw) return 'statement';
  if (/(\.\.\.|…|,|-)$/.test(raw)) return 'incomplete';
  const words = raw
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s']/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const last = words.at(-1);
  if (!last) return 'statement';
  if (trailing.has(last)) return 'incomplete';
  if (raw.endsWith('?')) return 'question';
  if (words.length >= 3 && questionStart.test(words.join(' '))) return 'question';
  return 'statement';
}

/**
 * How long a silence ends the caller's turn, given what they said: a sentence trailing off on
 * "a", "the", "and", "um" waits longer (three times the base, at least 1.5 s, at most 3 s); a
 * complete question is answered sooner (250 ms, or the base when that is shorter).
 */
export function endOfTurnMs(text: string, rules: EndOfTurnRules): number {
  if (rules.heuristic === false) return rules.baseMs;
  const shape = turnShape(text);
  const l = endOfTurnLimits;
  if (shape === 'incomplete')
    return Math.min(l.maxMs, Math.max(rules.baseMs * l.incompleteFactor, l.minIncompleteMs));
  if (shape === 'question') return Math.min(rules.baseMs, l.questionMs);
  return rules.baseMs;
}

/**
 * What a call counts of turn-taking (stored on the call's `latency`):
 * - `interruptions`: the caller cut the agent off with words (its turn was cut to what was heard);
 * - `false_interruptions`: the agent paused for a sound or a filler and then resumed its sentence;
 * - `backchannels`: fillers said over the agent that never stopped it;
 * - `recoveries`: interruptions after which the agent answered the caller's new turn.
 */
export interface TurnCounts {
  interruptions: number;
  false_interruptions: number;
  backchannels: number;
  recoveries: number;
}

export type TurnEvent = keyof TurnCounts;

export const emptyTurnCounts = (): TurnCounts => ({
  interruptions: 0,
  false_interruptions: 0,
  backchannels: 0,
  recoveries: 0,
});

/** Caller turns of fillers only, in a row, after which they count as silence (re-prompt, then end). */
export const fillerTurnsLimit = 3;

/** What the caller is saying, from the start of their speech until it is a turn (or nothing). */
export interface Utterance {
  start: number;
  end: number | null;
  texts: string[];
  /** Words heard while the agent spoke that turned out to be a backchannel: not a turn. */
  ignored: boolean;
  awaitingFinal: boolean;
  /** The end-of-turn silence has passed since the caller last stopped. */
  eotDone: boolean;
}

export const utterance = (start: number, text: string | undefined, ignored = false): Utterance => ({
  start,
  end: null,
  texts: text ? [text] : [],
  ignored,
  awaitingFinal: false,
  eotDone: false,
});
