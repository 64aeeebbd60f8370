import { contentTokens } from '../../platform/text.ts';
import type { AgentConfig } from '../agents/index.ts';
import {
  type BookingTurn,
  bookingReply,
  cancelReply,
  intentOf,
  isSideQuestion,
  localLabel,
  rescheduleReply,
  taskIn,
  taskServiceFact,
} from './booking-dialogue.ts';
import { workspaceToolStep } from './builtin-tools.ts';
import { notOfferedReply, serviceIn, unknownCompound } from './catalogue.ts';
import {
  askAgain,
  type DialogueState,
  freshState,
  newTransition,
  nextState,
  stateFromHistory,
  type Transition,
} from './dialogue.ts';
import {
  type Action,
  type AgentTools,
  type EngineInput,
  type EngineResult,
  recording,
  type Source,
} from './engine.ts';
import { asksFree, factsOrKnowledge, greeting, sayOf, visitRe, whenIn } from './facts.ts';
import {
  asksAboutWalkInOrHomeVisit,
  asksAddress,
  asksDuration,
  asksPolicy,
  asksPrice,
  asksWhoItIs,
  confirms,
  declines,
  extractLeadFields,
  isBareAck,
  isGoodbye,
  isGreeting,
  isHinglish,
  isInjection,
  isQuestion,
  isSymbolsOnly,
  isThanks,
  mentionsBooking,
  mentionsOwnBooking,
  wantsBooking,
  wantsCancel,
  wantsHuman,
  wantsReschedule,
} from './intents.ts';
import { knowledgeAnswers } from './knowledge-answer.ts';
import { transliterate } from './lexicon.ts';
import { offerAfterPolicy, type PolicyTopic, policyQuery, policyQuestion } from './question-kind.ts';
import { leadNote as noteFor } from './readback.ts';
import { forVoice } from './speakable.ts';

/**
 * The built-in reply engine: no network, deterministic. It answers from the agent's knowledge
 * (keeping the passages it used as sources), business hours, bookings and lead capture, and it
 * says so plainly when it does not know — handing off after `handoff.max_unanswered` misses.
 * It never repeats the agent's instructions.
 *
 * Where the conversation stands (a booking waiting for its time or a yes, an offer to connect
 * with the team) is the dialogue state the previous reply left (`input.state`, see dialogue.ts);
 * each step below answers the turn and declares the next state. The booking policy is in
 * booking-dialogue.ts.
 */

export const UNKNOWN_EN = "I'm sorry, I don't have that information.";
export const UNKNOWN_HI = 'Maaf kijiye, iski jaankari mere paas nahi hai.';
const HANDOFF_EN = "I'm connecting you with a member of our team; they will reply here shortly.";
const HANDOFF_HI =
  'Main aapko hamari team ke ek member se connect kar raha hoon; woh yahin jaldi reply karenge.';
/** On a call the handoff is a transfer: nobody "replies here". */
const HANDOFF_VOICE_EN = "I'm putting you through to a member of our team now. Please stay on the line.";
const HANDOFF_VOICE_HI =
  'Main aapko abhi hamari team ke ek member se connect kar raha hoon. Kripya line par bane rahiye.';

/** A step's answer: the reply (before the lead's thanks and the voice style) and what it knew. */
interface Reply {
  reply: string;
  sources?: Source[];
  answered?: boolean;
}

/** One turn of the built-in agent: the customer's words, the state it starts from, the transition it declares. */
interface Ctx extends BookingTurn {
  t: ReturnType<typeof recording>;
  has: (tool: AgentConfig['tools'][number]) => boolean;
  voice: boolean;
  leadNote: string;
  handoffText: string;
  /** A policy question ("what if I need to cancel?"): answered, never acted on. */
  policy: boolean;
}

type StepFn = (c: Ctx) => Promise<Reply | null> | Reply | null;

export async function builtinReply(input: EngineInput, tools: AgentTools): Promise<EngineResult> {
  const actions: Action[] = [];
  const t = recording(tools, actions);
  const agent = input.agent;
  // Devanagari is read as the Hinglish it sounds like; the rules below speak Hinglish.
  const text = transliterate(input.messages.join('\n')).trim();
  const hi = isHinglish(text);
  const voice = input.channel === 'voice';
  const has = (tool: AgentConfig['tools'][number]) => agent.tools.includes(tool);
  const state = stateOf(input);
  const c: Ctx = {
    input,
    t,
    actions,
    text,
    hi,
    state,
    task: has('booking') ? taskIn(state) : null,
    turn: newTransition(),
    has,
    voice,
    leadNote: '',
    handoffText: voice ? (hi ? HANDOFF_VOICE_HI : HANDOFF_VOICE_EN) : hi ? HANDOFF_HI : HANDOFF_EN,
    policy: asksPolicy(text) && isQuestion(text),
  };
  const r = await answer(c);
  const reply = voice ? forVoice(r.reply, input.defaultCountry) : r.reply;
  const answered = r.answered ?? true;
  return {
    reply,
    sources: r.sources ?? [],
    actions,
    answered,
    handedOff: t.handedOff(),
    engine: 'builtin',
    state: nextState(state, c.turn, input.messages, reply, answered),
  };
}

/** The state the previous reply left; a history given without one (playground, replay) is read for it. */
function stateOf(input: EngineInput): DialogueState {
  if (input.state === undefined) return stateFromHistory(input.history, input.agent);
  return input.state ?? freshState();
}

/** Before anything is captured: an empty message, symbols. After: an injection (none thank the customer). */
const opening: StepFn[] = [emptyMessage, symbolsOnly];
const guarded: StepFn[] = [injection];
/** The steps in order; the first that answers makes the reply, after the thanks for any details given. */
const steps: StepFn[] = [
  askedForHuman,
  unheardQuestion,
  workspaceToolStep,
  teamOffer,
  declinedConfirmation,
  cancelOffer,
  policyAnswer,
  taskSideQuestion,
  moveOrCancel,
  booking,
  facts,
  smallTalk,
  couldNotAnswer,
];

async function answer(c: Ctx): Promise<Reply> {
  for (const step of opening) {
    const r = await step(c);
    if (r) return r;
  }
  captureLead(c);
  if (c.turn.lead) await c.t.captureLead({ ...c.turn.lead, intent: intentOf(c.input, c.text) });
  for (const step of guarded) {
    const r = await step(c);
    if (r) return r;
  }
  for (const step of steps) {
    const r = await step(c);
    if (r) return { ...r, reply: c.leadNote + r.reply };
  }
  throw new Error('unreachable: couldNotAnswer always answers');
}

function emptyMessage(c: Ctx): Reply | null {
  if (c.text) return null;
  if (!c.input.unsupportedMedia) return { reply: 'How can I help you today?' };
  return {
    reply: c.hi
      ? 'Maaf kijiye, main abhi sirf text messages padh sakta hoon. Kripya apna sawaal likh kar bhejiye.'
      : 'Sorry, I can only read text messages here. Could you type your question?',
  };
}

function symbolsOnly(c: Ctx): Reply | null {
  return isSymbolsOnly(c.text) ? { reply: greeting(c.input, false) } : null;
}

/** Names, emails and phone numbers are captured whatever else the message asks. */
function captureLead(c: Ctx): void {
  const lead = extractLeadFields(c.text, c.input.defaultCountry);
  if (!c.has('lead_capture') || !(lead.name || lead.email || lead.phone)) return;
  c.turn.lead = lead;
  c.leadNote = noteFor(lead, c.hi, c.voice);
}

function injection(c: Ctx): Reply | null {
  if (!isInjection(c.text)) return null;
  return {
    reply: c.hi
      ? 'Main apni internal settings share nahi kar sakta, lekin aapke sawaalon mein khushi se madad karunga.'
      : "I can't share my internal instructions, but I'm happy to help with your questions about us.",
  };
}

async function askedForHuman(c: Ctx): Promise<Reply | null> {
  if (!c.has('handoff') || !wantsHuman(c.text, c.input.agent.handoff.keywords)) return null;
  await c.t.handoff('Customer asked for a human');
  return { reply: c.handoffText };
}

/**
 * On a call, the caller cut the last reply before its question: a bare yes or no answers nothing
 * they heard, so the question is asked again.
 */
function unheardQuestion(c: Ctx): Reply | null {
  const { state, text } = c;
  if (!state.unheard || !state.prompt || !(confirms(text) || declines(text))) return null;
  if (whenIn(c.input, text) || serviceIn(c.input.agent, text)) return null;
  c.turn.keep = true;
  return { reply: askAgain(state) };
}

/** The last reply offered to connect them with the team (it could not answer): a yes is taken up. */
async function teamOffer(c: Ctx): Promise<Reply | null> {
  if (c.state.offer !== 'handoff' || c.state.unheard) return null;
  if (c.has('handoff') && confirms(c.text)) {
    await c.t.handoff('Customer accepted the offer to talk to the team');
    return { reply: c.hi ? `Ji, zaroor. ${c.handoffText}` : `Sure. ${c.handoffText}` };
  }
  if (declines(c.text) && !isQuestion(c.text))
    return {
      reply: c.hi
        ? 'Theek hai. Aur kisi cheez mein madad chahiye?'
        : 'No problem. What else can I help you with?',
    };
  return null;
}

function declinedConfirmation(c: Ctx): Reply | null {
  const task = c.task;
  if (task?.awaits !== 'confirmation' || !declines(c.text)) return null;
  // "nahi" alone is not enough to tell the language: the question it answers is.
  const hiNo = c.hi || c.state.hi;
  if (task.kind === 'reschedule')
    return {
      reply: hiNo
        ? 'Theek hai, aapki booking jaisi thi waisi hi hai. Aur kuch madad chahiye to batayein.'
        : 'No problem, your booking stays as it is. Anything else I can help with?',
    };
  return {
    reply: hiNo
      ? 'Theek hai, maine booking nahi ki. Aur kuch madad chahiye to batayein.'
      : "No problem, I haven't booked anything. Anything else I can help with?",
  };
}

/** "What if I need to cancel?" was answered with the policy and an offer to cancel: a yes cancels. */
async function cancelOffer(c: Ctx): Promise<Reply | null> {
  const s = c.state;
  if (!c.has('booking') || s.task !== 'cancel' || s.awaiting !== 'confirm' || s.unheard) return null;
  if (!confirms(c.text) || isQuestion(c.text)) return null;
  return { reply: await cancelReply(c.input, c.t, c.hi) };
}

/** "What if I need to cancel?": the policy, then the action offered for the customer's booking. */
async function policyAnswer(c: Ctx): Promise<Reply | null> {
  const topic = policyQuestion(c.text);
  if (!topic) return null;
  const { input, t, text, hi } = c;
  const words = contentTokens(input.agent.name);
  const answer = c.has('knowledge')
    ? ((await knowledgeAnswers(t, policyQuery[topic], words)) ??
      (await knowledgeAnswers(t, `${policyQuery[topic]} ${text.replace(/[?!.]+/g, ' ')}`, words)))
    : null;
  const booking = c.has('booking') ? await t.findBooking() : null;
  const offer = offerAfterPolicy(topic, booking ? localLabel(booking.start_at, input.agent) : null, hi);
  if (offer && booking) c.turn.step = policyStep(topic, booking, hi);
  if (answer) return { reply: `${answer.reply}${offer}`, sources: answer.sources };
  // A question about a rule the agent does not know is not a request: nothing is cancelled.
  return { reply: `${hi ? UNKNOWN_HI : UNKNOWN_EN}${offer}`, answered: false };
}

function policyStep(
  topic: PolicyTopic,
  booking: { id: string; service_id: string | null },
  hi: boolean,
): Transition['step'] {
  const slots = { bookingId: booking.id, ...(booking.service_id ? { serviceId: booking.service_id } : {}) };
  if (topic === 'cancel' || topic === 'miss') return { task: 'cancel', awaiting: 'confirm', slots, hi };
  return { task: 'reschedule', awaiting: 'slot', slots, hi };
}

/**
 * In the middle of a booking or a move: the price or length of the service being booked ("how
 * much is it?"), or another question, is answered and the task's question asked again.
 */
async function taskSideQuestion(c: Ctx): Promise<Reply | null> {
  const { task, input, text } = c;
  if (!task) return null;
  const priced = taskServiceFact(input, text, task, c.state, sayOf(input, c.hi));
  if (priced) {
    c.turn.keep = true;
    return { reply: `${priced} ${askAgain(c.state)}`.trim() };
  }
  if (c.policy || !isSideQuestion(input, text, task)) return null;
  const answer = await factsOrKnowledge(input, c.t, text, c.hi);
  if (!answer) return null;
  c.turn.keep = true;
  return { reply: `${answer.reply} ${askAgain(c.state)}`.trim(), sources: answer.sources };
}

async function moveOrCancel(c: Ctx): Promise<Reply | null> {
  const { input, text, task, t } = c;
  if (!c.has('booking')) return null;
  if (!c.policy) {
    const moving =
      wantsReschedule(text) ||
      (task?.kind === 'reschedule' && (whenIn(input, text) !== null || confirms(text)));
    const current = moving || mentionsOwnBooking(text) ? await t.findBooking() : null;
    if (moving || (current && mentionsOwnBooking(text) && whenIn(input, text) && !wantsCancel(text)))
      return { reply: await rescheduleReply(c, current) };
  }
  if (wantsCancel(text)) return { reply: await cancelReply(input, t, c.hi) };
  return null;
}

/** A request to book, a statement naming a service and a time, or an answer to the agent's booking question. */
async function booking(c: Ctx): Promise<Reply | null> {
  const { input, text } = c;
  const agent = input.agent;
  const service = serviceIn(agent, text);
  if (!asksToBook(c, service !== undefined)) return null;
  const lacking = service ? await unknownCompound(agent, c.t.searchKnowledge, text, [service]) : null;
  if (lacking) {
    c.turn.offer = 'handoff';
    return { reply: notOfferedReply(agent, text, lacking.asked, sayOf(input, c.hi)), answered: false };
  }
  if (!c.has('booking') || agent.business.services.length === 0) return null;
  return { reply: await bookingReply(c) };
}

function asksToBook(c: Ctx, namesService: boolean): boolean {
  const { text } = c;
  if (c.policy || asksAboutWalkInOrHomeVisit(text)) return false;
  const when = whenIn(c.input, text);
  if (asksAddress(text) && when === null) return false;
  const factual = asksPrice(text) || asksDuration(text) || asksFree(text);
  return (
    wantsBooking(text) ||
    c.task?.kind === 'booking' ||
    (mentionsBooking(text) && (when !== null || (namesService && !factual))) ||
    // "kal 3 baje haircut": a service and a day or time is a booking request, unless it asks the price.
    (namesService && when !== null && !factual) ||
    (namesService && visitRe.test(text) && !factual)
  );
}

/** The agent's own facts and knowledge; a thing it does not offer is an honest no, counted toward the handoff. */
async function facts(c: Ctx): Promise<Reply | null> {
  const { input, t, text, hi } = c;
  const answer = await factsOrKnowledge(input, t, text, hi);
  if (!answer) return null;
  if (answer.answered !== false) {
    if (answer.offersBooking && c.has('booking'))
      c.turn.step = { task: 'booking', awaiting: 'slot', slots: answer.offersBooking, hi };
    return { reply: answer.reply, sources: answer.sources };
  }
  const agent = input.agent;
  const streak = c.state.unanswered + 1;
  if (!c.has('handoff') || agent.handoff.max_unanswered <= 0 || streak < agent.handoff.max_unanswered) {
    c.turn.offer = 'handoff';
    return { reply: answer.reply, answered: false };
  }
  await t.handoff(`Could not answer ${streak} questions in a row`);
  const said = answer.reply.replace(/\s*(Would you like one of these|Kya inme se kuch).*$/, '');
  return { reply: `${said} ${c.handoffText}`, answered: false };
}

function smallTalk(c: Ctx): Reply | null {
  const { text, hi, input } = c;
  const name = input.agent.name;
  if (isGreeting(text)) return { reply: greeting(input, hi) };
  if (isThanks(text))
    return {
      reply: hi
        ? 'Aapka swagat hai! Aur kuch madad chahiye to batayein.'
        : "You're welcome! Anything else I can help with?",
    };
  if (isGoodbye(text))
    return {
      reply: hi
        ? `${name} se baat karne ke liye shukriya. Alvida!`
        : `Thank you for contacting ${name}. Goodbye!`,
    };
  if (asksWhoItIs(text))
    return {
      reply: hi
        ? `Main ${name} hoon. Aapki kya madad kar sakta hoon?`
        : `This is ${name}. How can I help you today?`,
    };
  // "Yes", "hmm", "no" with no question of ours pending: invite the question rather than apologise.
  if (isBareAck(text) && !c.task)
    return { reply: hi ? 'Ji, bataiye, main aapki kya madad kar sakta hoon?' : 'How can I help you today?' };
  const rest = text.replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/, '');
  if (c.leadNote && contentTokens(rest).length <= 4)
    return { reply: hi ? 'Main aapki aur kya madad kar sakta hoon?' : 'How else can I help you?' };
  return null;
}

/** Could not answer: honest, and a handoff once the streak reaches the agent's limit. */
async function couldNotAnswer(c: Ctx): Promise<Reply> {
  const { hi, input } = c;
  const streak = c.state.unanswered + 1;
  const limit = input.agent.handoff.max_unanswered;
  if (c.has('handoff') && limit > 0 && streak >= limit) {
    await c.t.handoff(`Could not answer ${streak} questions in a row`);
    return { reply: `${hi ? UNKNOWN_HI : UNKNOWN_EN} ${c.handoffText}`, answered: false };
  }
  c.turn.offer = 'handoff';
  return {
    reply: hi
      ? `${UNKNOWN_HI} Kya aap apna sawaal doosre shabdon mein puch sakte hain, ya main aapko team se connect karun?`
      : `${UNKNOWN_EN} Could you rephrase, or would you like me to connect you with our team?`,
    answered: false,
  };
}
