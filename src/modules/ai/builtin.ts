import { DateTime } from 'luxon';
import { contentTokens, tokens } from '../../platform/text.ts';
import type { AgentConfig } from '../agents/index.ts';
import {
  type BookingTurn,
  bookingReply,
  cancelReply,
  contactForBooking,
  intentOf,
  isSideQuestion,
  localLabel,
  taskIn,
  taskServiceFact,
} from './booking-dialogue.ts';
import {
  asksForVisit,
  correctsBooking,
  isClosing,
  signsOff,
  tellsSymptoms,
  wantsAnotherBooking,
  withoutNames,
} from './booking-words.ts';
import { workspaceToolStep } from './builtin-tools.ts';
import { notOfferedReply, serviceFact, serviceIn, servicesReply, unknownCompound } from './catalogue.ts';
import { catalogue } from './catalogue-step.ts';
import { bareClockAnswer } from './datetime.ts';
import {
  askAgain,
  type DialogueState,
  freshState,
  newTransition,
  nextState,
  stateFromHistory,
  storedState,
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
import { detectLocale, type LocaleCode, replyLocale, say, toLatin } from './locale.ts';
import { classify, type Prediction, sureIntent } from './nlu/index.ts';
import { offerAfterPolicy, type PolicyTopic, policyQuery, policyQuestion } from './question-kind.ts';
import { questionsIn } from './questions.ts';
import { leadNote as noteFor } from './readback.ts';
import { rescheduleReply } from './reschedule-dialogue.ts';
import { forVoice } from './speakable.ts';
import { couldNotAnswerReason, handoffAfter, withoutTeamOffer } from './unanswered.ts';

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

/** A step's answer: the reply (before the lead's thanks and the voice style) and what it knew. */
interface Reply {
  reply: string;
  sources?: Source[];
  answered?: boolean;
  /** The reply carries the catalogue. */
  catalogue?: boolean;
}

/** One turn of the built-in agent: the customer's words, the state it starts from, the transition it declares. */
interface Ctx extends BookingTurn {
  /** The locale the reply is written in (locales/<code>/): the customer's, if the agent speaks it. */
  locale: LocaleCode;
  t: ReturnType<typeof recording>;
  has: (tool: AgentConfig['tools'][number]) => boolean;
  voice: boolean;
  leadNote: string;
  handoffText: string;
  /** A policy question ("what if I need to cancel?"): answered, never acted on. */
  policy: boolean;
  /** What the classifier reads in the message (nlu/): an intent of the locales' data, or `none`. */
  nlu: Prediction;
}

type StepFn = (c: Ctx) => Promise<Reply | null> | Reply | null;

export async function builtinReply(input: EngineInput, tools: AgentTools): Promise<EngineResult> {
  const actions: Action[] = [];
  const recorded = recording(tools, actions);
  // Out of hours the handoff says when a person will answer instead of "shortly".
  const t = {
    ...recorded,
    async handoff(reason: string) {
      const notice = await recorded.handoff(reason);
      if (notice) c.handoffText = notice;
      return notice;
    },
  };
  const agent = input.agent;
  // Another script is read as the Latin spelling the rules know (locale word lists, the agent's own
  // service names by sound); the reply is in the customer's locale when the agent speaks it.
  const raw = input.messages.join('\n');
  const text = toLatin(
    raw,
    agent.business.services.map((s) => s.name),
  ).trim();
  const locale = replyLocale(detectLocale(raw), agent.languages);
  const voice = input.channel === 'voice';
  const has = (tool: AgentConfig['tools'][number]) => agent.tools.includes(tool);
  const state = stateOf(input);
  const c: Ctx = {
    input,
    t,
    actions,
    text,
    locale,
    state,
    task: has('booking') ? taskIn(state) : null,
    turn: newTransition(),
    has,
    voice,
    leadNote: '',
    // On a call the handoff is a transfer: nobody "replies here".
    handoffText: say(locale, voice ? 'handoff_voice' : 'handoff'),
    policy: asksPolicy(text) && isQuestion(text),
    nlu: classify(text),
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
    ...(r.catalogue ? { catalogue: true } : {}),
  };
}

/** The state the previous reply left; a history given without one (playground, replay) is read for it. */
function stateOf(input: EngineInput): DialogueState {
  if (input.state === undefined) return stateFromHistory(input.history, input.agent);
  return input.state ? storedState(input.state) : freshState();
}

/** Before anything is captured: an empty message, symbols. After: an injection (none thank the customer). */
const opening: StepFn[] = [emptyMessage, symbolsOnly];
const guarded: StepFn[] = [injection];
/** The steps in order; the first that answers makes the reply, after the thanks for any details given. */
const steps: StepFn[] = [
  askedForHuman,
  unheardQuestion,
  contactForBooking,
  workspaceToolStep,
  teamOffer,
  declinedConfirmation,
  cancelOffer,
  correction,
  policyAnswer,
  taskSideQuestion,
  bookedServiceFact,
  moveOrCancel,
  catalogue,
  booking,
  closing,
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
  if (c.input.storyMention) return { reply: say(c.locale, 'story_mention') };
  if (!c.input.unsupportedMedia) return { reply: say('en', 'empty_prompt') };
  return { reply: say(c.locale, 'media_unsupported') };
}

function symbolsOnly(c: Ctx): Reply | null {
  return isSymbolsOnly(c.text) ? { reply: greeting(c.input, 'en') } : null;
}

/** Names, emails and phone numbers are captured whatever else the message asks. */
function captureLead(c: Ctx): void {
  const lead = extractLeadFields(c.text, c.input.defaultCountry);
  if (!c.has('lead_capture') || !(lead.name || lead.email || lead.phone)) return;
  c.turn.lead = lead;
  c.leadNote = noteFor(lead, c.locale, c.voice);
}

function injection(c: Ctx): Reply | null {
  if (!isInjection(c.text)) return null;
  return { reply: say(c.locale, 'injection') };
}

async function askedForHuman(c: Ctx): Promise<Reply | null> {
  // The rules' words; in a message whose words the rules cannot read (another script than Latin),
  // the classifier sure of it (trained on every locale's examples).
  const unread = /[^\P{L}\p{Script=Latin}]/u.test(c.text);
  const asked =
    wantsHuman(c.text, c.input.agent.handoff.keywords) || (unread && sureIntent(c.nlu, 0.9, 0.5) === 'human');
  if (!c.has('handoff') || !asked) return null;
  // "Are you a human or a computer?" asks who answers, not for a person (the agent's own keywords
  // still hand off); "real person please, not a bot" is no question: it asks for a person.
  const keyword = !wantsHuman(c.text, []);
  if (!keyword && isQuestion(c.text) && sureIntent(c.nlu, 0.995) === 'who') return null;
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
    return { reply: say(c.locale, 'handoff_accepted', { handoff: c.handoffText }) };
  }
  if (declines(c.text) && !isQuestion(c.text)) return { reply: say(c.locale, 'offer_declined') };
  return null;
}

function declinedConfirmation(c: Ctx): Reply | null {
  const task = c.task;
  if (task?.awaits !== 'confirmation' || !declines(c.text)) return null;
  // "No, rather at 10 am", "no, a facial": not a plain no but a new wish, read by the task's step.
  if (whenIn(c.input, c.text) || bareClockAnswer(c.text.replace(/^\s*(no+|nope|nah)\b[\s,.!]*/i, '')))
    return null;
  if (serviceIn(c.input.agent, c.text)) return null;
  // "nahi" alone is not enough to tell the language: the question it answers is.
  const locale = c.locale !== 'en' || c.state.locale === 'en' ? c.locale : c.state.locale;
  return { reply: say(locale, task.kind === 'reschedule' ? 'reschedule_declined' : 'booking_declined') };
}

/** "What if I need to cancel?" was answered with the policy and an offer to cancel: a yes cancels. */
async function cancelOffer(c: Ctx): Promise<Reply | null> {
  const s = c.state;
  if (!c.has('booking') || s.task !== 'cancel' || s.awaiting !== 'confirm' || s.unheard) return null;
  if (!confirms(c.text) || isQuestion(c.text)) return null;
  return { reply: await cancelReply(c.input, c.t, c.locale) };
}

/** "What if I need to cancel?": the policy, then the action offered for the customer's booking. */
async function policyAnswer(c: Ctx): Promise<Reply | null> {
  const topic = policyQuestion(c.text);
  if (!topic) return null;
  const { input, t, text, locale } = c;
  const words = contentTokens(input.agent.name);
  const answer = c.has('knowledge')
    ? ((await knowledgeAnswers(t, policyQuery[topic], words)) ??
      (await knowledgeAnswers(t, `${policyQuery[topic]} ${text.replace(/[?!.]+/g, ' ')}`, words)))
    : null;
  const booking = c.has('booking') ? await t.findBooking() : null;
  const offer = offerAfterPolicy(topic, booking ? localLabel(booking.start_at, input.agent) : null, c.locale);
  if (offer && booking) c.turn.step = policyStep(topic, booking, locale);
  if (answer) return { reply: `${answer.reply}${offer}`, sources: answer.sources };
  // A question about a rule the agent does not know is not a request: nothing is cancelled.
  return { reply: `${say(c.locale, 'unknown')}${offer}`, answered: false };
}

function policyStep(
  topic: PolicyTopic,
  booking: { id: string; service_id: string | null },
  locale: LocaleCode,
): Transition['step'] {
  const slots = { bookingId: booking.id, ...(booking.service_id ? { serviceId: booking.service_id } : {}) };
  if (topic === 'cancel' || topic === 'miss') return { task: 'cancel', awaiting: 'confirm', slots, locale };
  return { task: 'reschedule', awaiting: 'slot', slots, locale };
}

/**
 * In the middle of a booking or a move: the price or length of the service being booked ("how
 * much is it?"), or another question, is answered and the task's question asked again.
 */
async function taskSideQuestion(c: Ctx): Promise<Reply | null> {
  const { task, input, text } = c;
  if (!task) return null;
  const priced = taskServiceFact(input, text, task, c.state, sayOf(input, c.locale));
  if (priced) {
    c.turn.keep = true;
    return { reply: `${priced} ${askAgain(c.state)}`.trim() };
  }
  if (c.policy || !isSideQuestion(input, text, task)) return null;
  const answer = await factsOrKnowledge(input, c.t, text, c.locale);
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
    // "I need to reschedule it, anytime on Monday" while a booking is still being arranged: the
    // request changes, there is nothing booked to move.
    if (moving && !current && task?.kind === 'booking') return null;
    if (moving || (current && mentionsOwnBooking(text) && whenIn(input, text) && !wantsCancel(text)))
      return { reply: await rescheduleReply(c, current) };
  }
  // Cancelling is not undone: the classifier alone cancels only when every telling word is one it knows for it.
  if (wantsCancel(text) || (!c.policy && sureIntent(c.nlu, 0.97, 1) === 'cancel')) {
    c.turn.booked = null;
    return { reply: await cancelReply(input, t, c.locale) };
  }
  return null;
}

/** The booking this conversation made last, as the booking tools name it. */
function bookedNow(c: Ctx) {
  const b = c.state.booked;
  if (!b) return null;
  const start = DateTime.fromISO(`${b.date}T${b.time}`, { zone: c.input.agent.business.timezone });
  return { id: b.bookingId, service_id: b.serviceId, start_at: start.toUTC().toISO()! };
}

/**
 * Right after a booking, a new day or time changes it ("hmm, could we move it to the 14th
 * instead?", "no, rather at 10 am", "sorry, I meant April 2nd", "let's try Friday at 4 pm"),
 * unless the customer asks for a second one ("also one for my son on Friday").
 */
async function correction(c: Ctx): Promise<Reply | null> {
  const { input, text, state } = c;
  if (!c.has('booking') || !state.booked || c.task) return null;
  if (c.policy && !correctsBooking(text) && !wantsBooking(text)) return null;
  if (wantsAnotherBooking(text) || wantsCancel(text)) return null;
  if (!whenIn(input, text)) return null;
  // A day mentioned in passing ("good thing I remembered today") or in a goodbye ("Great, see you
  // tomorrow then!") is not a change: a change needs a change request.
  const asked = correctsBooking(text) || wantsReschedule(text) || wantsBooking(text);
  const short = text.split(/\s+/).length <= 8;
  if (!asked && (!short || signsOff(text))) return null;
  return { reply: await rescheduleReply(c, bookedNow(c), { time: state.booked.time }) };
}

/** Right after a booking, "how much will it cost?" is about the service just booked. */
function bookedServiceFact(c: Ctx): Reply | null {
  const { input, text, state } = c;
  if (c.task || !state.booked || !(asksPrice(text) || asksDuration(text)) || c.policy) return null;
  if (
    serviceIn(input.agent, text) ||
    /\b(cancel\w*|refund\w*|deposit|advance|policy|insurance|pay\w*)\b/i.test(text)
  )
    return null;
  const service = input.agent.business.services.find((s) => s.id === state.booked?.serviceId);
  return service ? { reply: serviceFact(service, text, sayOf(input, c.locale)) } : null;
}

/** "Thank you", "great, thanks", "ok great": closed politely, never an "I don't know" or a handoff. */
function closing(c: Ctx): Reply | null {
  if (!isClosing(c.text) || isGoodbye(c.text)) return null;
  const booked = c.state.booked;
  return { reply: say(c.locale, booked ? 'welcome_booked' : 'welcome') };
}

/**
 * Symptoms or something past ("my root canal from last week is still paining") that the
 * knowledge does not answer: not a booking request, so a visit is offered, never a slot.
 */
function symptoms(c: Ctx): Reply | null {
  const { text, input, locale } = c;
  if (!tellsSymptoms(text) || isQuestion(text) || c.task) return null;
  if (!c.has('booking') || input.agent.business.services.length === 0) return null;
  const only = input.agent.business.services.length === 1 ? input.agent.business.services[0] : undefined;
  c.turn.step = { task: 'booking', awaiting: 'slot', slots: only ? { serviceId: only.id } : {}, locale };
  return { reply: say(locale, 'symptoms_offer') };
}

/** A request to book, a statement naming a service and a time, or an answer to the agent's booking question. */
async function booking(c: Ctx): Promise<Reply | null> {
  const { input, text } = c;
  const agent = input.agent;
  const service = serviceIn(agent, text);
  if (!asksToBook(c, service !== undefined)) return null;
  // "schedule a viewing at the North Hill apartments": a place or person named beside the
  // service is not a kind of it; only a request naming a service is checked for what it adds.
  const serviceWords = new Set(agent.business.services.flatMap((s) => tokens(s.name)));
  // Within a booking the service is settled: words around it ("are these apartments luxurious?") are not another.
  const lacking =
    service && !asksForVisit(text) && c.task?.kind !== 'booking'
      ? await unknownCompound(agent, c.t.searchKnowledge, withoutNames(text, serviceWords), [service])
      : null;
  if (lacking) {
    c.turn.offer = 'handoff';
    return { reply: notOfferedReply(agent, text, lacking.asked, sayOf(input, c.locale)), answered: false };
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
  // The classifier sure it is none of ours ("book a flight to Paris" at a salon): not a booking.
  if (!c.task && !namesService && when === null && sureIntent(c.nlu, 0.98) === 'none') return false;
  // "get my teeth looked at", "need to visit the doctor", "can you fit me in?": a visit in everyday words.
  const visit = asksForVisit(text) && !factual && !/^\s*(do|does|is|are|should|must|how)\b/i.test(text);
  return (
    wantsBooking(text) ||
    visit ||
    // The classifier reads a wish to come ("aaj shaam 7 baje?").
    // A question without a day or time ("can I get an X-ray done?") is left to the facts and knowledge.
    (sureIntent(c.nlu, 0.97, 0.8) === 'book' && !factual && (when !== null || !isQuestion(text))) ||
    c.task?.kind === 'booking' ||
    (mentionsBooking(text) && (when !== null || (namesService && !factual))) ||
    // "kal 3 baje haircut": a service and a day or time is a booking request, unless it asks the price.
    (namesService && when !== null && !factual) ||
    // "I need help with an apartment viewing": a service asked for, not asked about.
    (namesService && /\b(need|want|would like|i'd like)\s+(some\s+)?help\s+with\b/i.test(text) && !factual) ||
    (namesService && visitRe.test(text) && !factual)
  );
}

/** The agent's own facts and knowledge; a thing it does not offer is an honest no, counted toward the handoff. */
async function facts(c: Ctx): Promise<Reply | null> {
  const several = await severalQuestions(c);
  if (several) return several;
  const { input, t, text, locale } = c;
  const answer = await factsOrKnowledge(input, t, text, locale);
  if (!answer) return null;
  if (answer.answered !== false) {
    if (answer.offersBooking && c.has('booking'))
      c.turn.step = { task: 'booking', awaiting: 'slot', slots: answer.offersBooking, locale };
    return { reply: answer.reply, sources: answer.sources };
  }
  // Symptoms nothing in the knowledge explains: a visit offered, not an "I don't know".
  const told = symptoms(c);
  if (told) return told;
  // What the rules and the knowledge do not know may still be small talk in other words.
  const understood = understoodSmallTalk(c);
  if (understood) return understood;
  const streak = c.state.unanswered + 1;
  const limit = handoffAfter(c.input);
  if (!c.has('handoff') || limit <= 0 || streak < limit) {
    c.turn.offer = 'handoff';
    return { reply: answer.reply, answered: false };
  }
  await t.handoff(couldNotAnswerReason(streak));
  // The handoff is said once: the reply's own offer of the team goes.
  const said = withoutTeamOffer(answer.reply);
  return { reply: `${said} ${c.handoffText}`, answered: false };
}

/** Intents the classifier answers by itself, with the catalogue's reply, when it is sure and no rule read more. */
const smallTalkReplies: Record<string, (c: Ctx) => string> = {
  greeting: (c) => greeting(c.input, c.locale),
  thanks: (c) => say(c.locale, 'welcome'),
  goodbye: (c) => say(c.locale, 'goodbye', { name: c.input.agent.name }),
  who: (c) => say(c.locale, 'who', { name: c.input.agent.name }),
  affirm: (c) => say(c.locale, 'bare_ack'),
  deny: (c) => say(c.locale, 'bare_ack'),
  services: (c) => servicesReply(c.input.agent, sayOf(c.input, c.locale)),
};

/**
 * Small talk said in words no rule lists ("much appreciated", "that's correct", "am I talking to a
 * robot?"): tried after the business's facts and knowledge found nothing.
 */
function understoodSmallTalk(c: Ctx): Reply | null {
  const intent = sureIntent(c.nlu);
  const say = intent ? smallTalkReplies[intent] : undefined;
  if (!say || c.task || c.state.offer) return null;
  const { text } = c;
  if (asksPrice(text) || asksDuration(text) || asksAddress(text) || asksFree(text)) return null;
  return { reply: say(c) };
}

/**
 * Several questions in one message ("how much is a cleaning, do you take insurance and are you open
 * on Saturday?"): each answered from the facts or the knowledge, in order, and the ones it cannot
 * answer named. Fewer than two answered: the message is read whole, as one question.
 */
async function severalQuestions(c: Ctx): Promise<Reply | null> {
  const parts = questionsIn(c.text);
  if (parts.length < 2) return null;
  const answers: Array<{ part: string; reply: string; sources: Source[] } | null> = [];
  for (const part of parts) {
    const a = await factsOrKnowledge(c.input, c.t, part, c.locale);
    answers.push(a && a.answered !== false ? { part, reply: a.reply, sources: a.sources } : null);
  }
  const good = answers.filter((a) => a !== null);
  if (good.length < 2) return null;
  const replies = [...new Set(good.map((a) => a.reply))];
  const missing = parts.filter((_, i) => answers[i] === null).map((p) => p.replace(/[?!.]+$/, ''));
  if (missing.length) replies.push(say(c.locale, 'unknown_part', { part: missing.join('; ') }));
  const sources = [...new Map(good.flatMap((a) => a.sources).map((s) => [s.chunk_id, s])).values()];
  return { reply: replies.join(' '), sources };
}

function smallTalk(c: Ctx): Reply | null {
  const { text, locale, input } = c;
  const name = input.agent.name;
  if (isGreeting(text)) return { reply: greeting(input, locale) };
  if (isThanks(text)) return { reply: say(c.locale, 'welcome') };
  if (isGoodbye(text)) return { reply: say(c.locale, 'goodbye', { name }) };
  if (asksWhoItIs(text)) return { reply: say(c.locale, 'who', { name }) };
  // "Yes", "hmm", "no" with no question of ours pending: invite the question rather than apologise.
  if (isBareAck(text) && !c.task) return bareAck(c);
  const rest = text.replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/, '');
  if (c.leadNote && contentTokens(rest).length <= 4) return { reply: say(c.locale, 'how_else') };
  return understoodSmallTalk(c);
}

/** A bare "no" closes the exchange; a "yes" (to "anything else?") opens the next question. */
function bareAck(c: Ctx): Reply {
  const { text } = c;
  if (declines(text) && !confirms(text)) return { reply: say(c.locale, 'bare_no') };
  if (confirms(text)) return { reply: say(c.locale, 'bare_yes') };
  return { reply: say(c.locale, 'bare_ack') };
}

/** Could not answer: honest, and a handoff once the streak reaches the agent's limit. */
async function couldNotAnswer(c: Ctx): Promise<Reply> {
  const streak = c.state.unanswered + 1;
  const limit = handoffAfter(c.input);
  // In the middle of a booking or a move the customer is not unseen: its question is asked once
  // more before a person is offered.
  const asking = Boolean(c.task && c.state.prompt);
  if (c.has('handoff') && limit > 0 && streak >= limit && !(asking && streak < 2)) {
    await c.t.handoff(couldNotAnswerReason(streak));
    return { reply: `${say(c.locale, 'unknown')} ${c.handoffText}`, answered: false };
  }
  // In the middle of a booking or a move, its question stays open: asked again, not dropped.
  if (asking) {
    c.turn.keep = true;
    return { reply: `${say(c.locale, 'unknown')} ${askAgain(c.state)}`, answered: false };
  }
  c.turn.offer = 'handoff';
  return { reply: say(c.locale, 'unknown_rephrase'), answered: false };
}
