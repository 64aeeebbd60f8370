import type { AgentConfig } from '../agents/index.ts';
import { servicesNamedIn } from './catalogue.ts';
import type { Turn } from './engine.ts';
import { detectLocale, type LocaleCode } from './locale.ts';

/**
 * Where the built-in agent's conversation stands, as data (like pipecat-flows' FlowManager): the
 * pending task, what its last reply waits for, the slots gathered so far. Each reply of the
 * built-in agent is a transition from one state to the next; the state is stored with the reply
 * (`ai_replies.dialogue_state`) and read back at the next turn, so rewording a reply never changes
 * where a booking stands.
 */
export type TaskKind = 'booking' | 'reschedule' | 'cancel' | 'lead' | 'tool';

export interface DialogueSlots {
  serviceId?: string;
  /** YYYY-MM-DD and HH:mm in the business's timezone: the slot proposed or being moved to. */
  date?: string;
  time?: string;
  /** The booking being moved or cancelled. */
  bookingId?: string;
  name?: string;
  email?: string;
  phone?: string;
  /** A workspace tool waiting for its arguments or for the customer's yes (a write's read-back). */
  tool?: { id: string; name?: string; args: Record<string, unknown> };
}

export interface DialogueState {
  task: TaskKind | null;
  /**
   * What the last reply waits for: a missing slot (service, day, time), a yes, or the customer's
   * name and a phone or email before the slot held is booked (`contact`).
   */
  awaiting: 'slot' | 'confirm' | 'contact' | null;
  slots: DialogueSlots;
  /** The reply's question, asked again after a side question (empty when nothing was asked). */
  prompt: string;
  /** The locale the question was asked in (a bare "nahi" does not tell): locales/<code>/. */
  locale: LocaleCode;
  /** The customer's messages of the task: the burst that led to each of the last three questions. */
  said: string[][];
  /** An offer a "yes" takes up: to connect the customer with the team. */
  offer: 'handoff' | null;
  /** Consecutive replies that could not answer (toward `handoff.max_unanswered`). */
  unanswered: number;
  /** On a call: the caller cut the reply before its question, so a bare yes or no answers nothing. */
  unheard?: boolean;
  /**
   * The booking this conversation made or moved last (its day and time in the business's
   * timezone): a new day or time said after it ("no, rather at 10 am") moves it, a price
   * question ("how much will it cost?") is about its service. Kept until another is made or it is cancelled.
   */
  booked?: BookedSlot | null;
}

export interface BookedSlot {
  bookingId: string;
  serviceId: string | null;
  date: string;
  time: string;
}

export const freshState = (): DialogueState => ({
  task: null,
  awaiting: null,
  slots: {},
  prompt: '',
  locale: 'en',
  said: [],
  offer: null,
  unanswered: 0,
});

/** What a reply step declares: the task it asks about and what it waits for. */
export interface Step {
  task: TaskKind;
  awaiting: 'slot' | 'confirm' | 'contact' | null;
  slots?: DialogueSlots;
  locale: LocaleCode;
}

/** What the turn being answered declares, filled in by the steps that answer it. */
export interface Transition {
  step: Step | null;
  offer: 'handoff' | null;
  /** Lead fields the customer gave in this turn. */
  lead: Pick<DialogueSlots, 'name' | 'email' | 'phone'> | null;
  /** The turn repeats the previous question (a side question, an unheard one): the task goes on. */
  keep: boolean;
  /** A booking made or moved in this turn; null when one was cancelled (undefined: as it was). */
  booked?: BookedSlot | null;
}

export const newTransition = (): Transition => ({ step: null, offer: null, lead: null, keep: false });

/** The agent's question with the sentence that sets it up ("17:00 on Monday is free. Shall I book it?"). */
export function lastQuestion(text: string): string {
  const sentences = text.split(/(?<=[.?!])\s+/);
  const q = sentences.findLastIndex((x) => x.endsWith('?'));
  if (q < 0) return text;
  const from = q > 0 && sentences[q].length < 30 ? q - 1 : q;
  return sentences.slice(from, q + 1).join(' ');
}

const stripLeadIn = (prompt: string) => prompt.replace(/^(Yes|Haan),\s*/, '');

/** The question to ask again after answering something else in the middle of a task. */
export const askAgain = (state: DialogueState) => stripLeadIn(state.prompt);

/** The state after a reply: the step it declared (or none), the customer's words of the task kept. */
export function nextState(
  prev: DialogueState,
  turn: Transition,
  messages: string[],
  reply: string,
  answered: boolean,
): DialogueState {
  const unanswered = answered ? 0 : prev.unanswered + 1;
  const lead = { ...pick(prev.slots, ['name', 'email', 'phone']), ...(turn.lead ?? {}) };
  const booked = turn.booked === undefined ? (prev.booked ?? null) : turn.booked;
  const withBooked = (s: DialogueState): DialogueState => (booked ? { ...s, booked } : s);
  if (turn.keep && prev.task)
    return withBooked({ ...prev, prompt: lastQuestion(reply), unanswered, unheard: false });
  const step: Step | null =
    turn.step ?? (turn.lead ? { task: 'lead', awaiting: null, locale: prev.locale } : null);
  if (!step) {
    const asked = turn.offer ? lastQuestion(reply) : '';
    return withBooked({
      ...freshState(),
      slots: lead,
      offer: turn.offer,
      prompt: asked,
      unanswered,
      locale: prev.locale,
    });
  }
  const same = prev.task === step.task && step.task !== 'lead';
  return withBooked({
    task: step.task,
    awaiting: step.awaiting,
    slots: { ...lead, ...(same ? withoutLead(prev.slots) : {}), ...(step.slots ?? {}) },
    prompt: step.awaiting ? lastQuestion(reply) : '',
    locale: step.locale,
    said: [...(same ? prev.said : []), messages].slice(-3),
    offer: turn.offer,
    unanswered,
  });
}

function pick(slots: DialogueSlots, keys: Array<keyof DialogueSlots>): DialogueSlots {
  const out: DialogueSlots = {};
  for (const k of keys) if (slots[k] !== undefined) Object.assign(out, { [k]: slots[k] });
  return out;
}
const withoutLead = (slots: DialogueSlots) =>
  pick(slots, ['serviceId', 'date', 'time', 'bookingId'] as Array<keyof DialogueSlots>);

const words = (text: string) =>
  ` ${text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;

/**
 * The state after a reply the caller cut off (barge-in): what they heard of it is `heard`. A
 * question they never heard is not pending: a later bare "yes" must not answer it.
 */
export function heardState(state: DialogueState, heard: string): DialogueState {
  if (!state.prompt) return state;
  const question = state.prompt.split(/(?<=[.!])\s+/).findLast((s) => s.endsWith('?')) ?? state.prompt;
  if (words(heard).includes(words(question))) return state;
  return { ...state, unheard: true, offer: null };
}

/**
 * The customer's earlier messages of the task, newest first (at most three): the bursts that led
 * to the task's last questions.
 */
export function taskWords(state: DialogueState): string[] {
  return state.said
    .toReversed()
    .flatMap((burst) => burst.toReversed())
    .slice(0, 3);
}

// --- Histories that come without a state --------------------------------------------------------
// The playground's `history`, a replay and the evaluation set give only the words of earlier
// turns, and replies stored before the state was: for them alone the state is read from the
// agent's last words, as the built-in agent did before it kept its state.

const CONFIRM_PROMPT = /(Shall I book (it|the [^?]+)\?|book kar doon\?)/;
const BOOKING_PROMPT =
  /(to book\?|should I book\?|kaunsi service|kis din|kaunsa time|book karun\?|Shall I book (it|the [^?]+)\?|book kar doon\?|What day and time would you like|Which time should I book)/;
const MOVE_CONFIRM_PROMPT = /(Shall I move it\?|shift kar doon\?)/;
const MOVE_PROMPT =
  /(What new day and time would suit you|What day and time would suit you instead|Which time should I move it to\?|kis din aur kis time shift karun\?|kis time pe shift karun\?|Shall I move it\?|shift kar doon\?)/;
const CANCEL_OFFER = /Would you like me to cancel it\?|Kya main use cancel kar doon\?/;
const TEAM_OFFER = /connect you with our team\?|team se connect karun\?/;
const UNKNOWN = [
  "I'm sorry, I don't have that information.",
  'Maaf kijiye, iski jaankari mere paas nahi hai.',
];

export function stateFromHistory(history: Turn[], agent: AgentConfig): DialogueState {
  const state = freshState();
  state.unanswered = unansweredStreak(history);
  const last = history.findLast((turn) => turn.role === 'agent');
  if (!last) return state;
  state.prompt = lastQuestion(last.text);
  state.locale = detectLocale(state.prompt);
  if (TEAM_OFFER.test(last.text)) state.offer = 'handoff';
  const kind = MOVE_PROMPT.test(last.text)
    ? 'reschedule'
    : BOOKING_PROMPT.test(last.text)
      ? 'booking'
      : CANCEL_OFFER.test(last.text)
        ? 'cancel'
        : null;
  if (!kind) {
    if (!state.offer) state.prompt = '';
    return state;
  }
  const confirm =
    kind === 'cancel' || (kind === 'reschedule' ? MOVE_CONFIRM_PROMPT : CONFIRM_PROMPT).test(last.text);
  const named = servicesNamedIn(agent, last.text);
  return {
    ...state,
    task: kind,
    awaiting: confirm ? 'confirm' : 'slot',
    slots: named.length === 1 ? { serviceId: named[0].id } : {},
    said: kind === 'cancel' ? [] : saidBefore(history, kind === 'reschedule' ? MOVE_PROMPT : BOOKING_PROMPT),
  };
}

/** The customer's messages back through the agent's own questions of the task (at most three). */
function saidBefore(history: Turn[], prompt: RegExp): string[][] {
  const said: string[][] = [];
  let burst: string[] = [];
  for (let i = history.length - 1; i >= 0; i--) {
    const turn = history[i];
    if (turn.role === 'customer') {
      burst.unshift(turn.text);
      continue;
    }
    if (said.length === 3 || !prompt.test(turn.text)) break;
    if (i < history.length - 1 || burst.length) said.unshift(burst);
    burst = [];
  }
  if (burst.length && said.length < 3) said.unshift(burst);
  return said.filter((b) => b.length > 0);
}

function unansweredStreak(history: Turn[]): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const turn = history[i];
    if (turn.role === 'customer') continue;
    if (UNKNOWN.some((u) => turn.text.includes(u))) n++;
    else break;
  }
  return n;
}

/**
 * A state as stored: one kept before `locale` replaced the `hi` flag reads as Hinglish or English,
 * as it did.
 */
export function storedState(s: DialogueState & { hi?: boolean }): DialogueState {
  if (s.locale !== undefined) return s;
  const { hi, ...rest } = s;
  return { ...rest, locale: hi ? 'hi-Latn' : 'en' };
}
