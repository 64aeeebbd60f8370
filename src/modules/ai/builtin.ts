import { DateTime } from 'luxon';
import { contentTokens, stem, tokens } from '../../platform/text.ts';
import type { AgentConfig } from '../agents/index.ts';
import { type SearchHit, TITLE_SEPARATOR } from '../knowledge/index.ts';
import {
  asksOffer,
  notOfferedReply,
  type Say,
  serviceFact,
  serviceIn,
  servicesIn,
  servicesNamedIn,
  servicesReply,
  unknownAsked,
  unknownCompound,
} from './catalogue.ts';
import { confirmBookingText, slotsInPartOfDay, unsureBooking } from './date-words.ts';
import { parseWhen, type When, weekdayMentioned } from './datetime.ts';
import {
  type Action,
  type AgentTools,
  type EngineInput,
  type EngineResult,
  fillVariables,
  recording,
  type Slot,
  type Source,
  type Turn,
  type UpcomingBooking,
} from './engine.ts';
import {
  asksAboutWalkInOrHomeVisit,
  asksAddress,
  asksDuration,
  asksHours,
  asksPolicy,
  asksPrice,
  asksServices,
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
  wantsBookingNow,
  wantsCancel,
  wantsHuman,
  wantsReschedule,
} from './intents.ts';
import { expandWord, impliedWords, transliterate } from './lexicon.ts';
import { CANCEL_OFFER, offerAfterPolicy, policyQuery, policyQuestion } from './question-kind.ts';
import { leadNote as noteFor } from './readback.ts';
import { forVoice } from './speakable.ts';

/**
 * The built-in reply engine: no network, deterministic. It answers from the agent's knowledge
 * (keeping the passages it used as sources), business hours, bookings and lead capture, and it
 * says so plainly when it does not know — handing off after `handoff.max_unanswered` misses.
 * It never repeats the agent's instructions.
 *
 * Booking policy: an explicit request ("book karna hai", "book me", "I want to book") or a plain
 * statement naming a service and a time ("kal 3 baje haircut") books the slot at once when it is
 * free. A question ("kal 3 baje aa sakta hoon haircut ke liye?", "can I come tomorrow at 5 for a
 * facial?") only checks it: the reply says the slot is free and asks "book kar doon? / Shall I
 * book it?" (a `booking_proposed` action), and the booking is made when the next message confirms
 * ("haan", "yes", "ok book it", "confirm"); a "no" books nothing. A customer who answers the
 * agent's own booking question (which service, which time) is booked without another question.
 */

/** Words that say what kind of question it is, not what it is about. */
const questionWords = new Set([
  'price',
  'prices',
  'cost',
  'costs',
  'charge',
  'charges',
  'fee',
  'fees',
  'rate',
  'rates',
  'kitna',
  'kitne',
  'offer',
  'provide',
  'available',
  'much',
  'many',
  'long',
  'far',
  'often',
  'hota',
  'hoti',
  'lagta',
  'lagega',
  'milta',
  'milega',
  'karte',
  'karti',
  'dete',
  'deti',
  'happens',
  'possible',
  'allowed',
  'anything',
  'way',
  'which',
  'course',
  'someone',
  'still',
  'problem',
  'fix',
  'help',
  'need',
  'want',
  'come',
  'bring',
  'order',
  'eat',
]);

export const UNKNOWN_EN = "I'm sorry, I don't have that information.";
export const UNKNOWN_HI = 'Maaf kijiye, iski jaankari mere paas nahi hai.';
const HANDOFF_EN = "I'm connecting you with a member of our team; they will reply here shortly.";
const HANDOFF_HI =
  'Main aapko hamari team ke ek member se connect kar raha hoon; woh yahin jaldi reply karenge.';
/** On a call the handoff is a transfer: nobody "replies here". */
const HANDOFF_VOICE_EN = "I'm putting you through to a member of our team now. Please stay on the line.";
const HANDOFF_VOICE_HI =
  'Main aapko abhi hamari team ke ek member se connect kar raha hoon. Kripya line par bane rahiye.';

const weekdayKeys = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const weekdayLabels = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export async function builtinReply(input: EngineInput, tools: AgentTools): Promise<EngineResult> {
  const actions: Action[] = [];
  const t = recording(tools, actions);
  const agent = input.agent;
  // Devanagari is read as the Hinglish it sounds like; the rules below speak Hinglish.
  const text = transliterate(input.messages.join('\n')).trim();
  const hi = isHinglish(text);
  const has = (tool: AgentConfig['tools'][number]) => agent.tools.includes(tool);
  const voice = input.channel === 'voice';
  const done = (reply: string, o: { sources?: Source[]; answered?: boolean } = {}): EngineResult => ({
    reply: voice ? forVoice(reply, input.defaultCountry) : reply,
    sources: o.sources ?? [],
    actions,
    answered: o.answered ?? true,
    handedOff: t.handedOff(),
    engine: 'builtin',
  });

  if (!text) {
    return done(
      input.unsupportedMedia
        ? hi
          ? 'Maaf kijiye, main abhi sirf text messages padh sakta hoon. Kripya apna sawaal likh kar bhejiye.'
          : 'Sorry, I can only read text messages here. Could you type your question?'
        : 'How can I help you today?',
    );
  }
  if (isSymbolsOnly(text)) return done(greeting(input, false));

  // Names, emails and phone numbers are captured whatever else the message asks.
  let leadNote = '';
  const lead = extractLeadFields(text, input.defaultCountry);
  if (has('lead_capture') && (lead.name || lead.email || lead.phone)) {
    await t.captureLead({ ...lead, intent: intentOf(input, text) });
    leadNote = noteFor(lead, hi, voice);
  }

  if (isInjection(text)) {
    return done(
      hi
        ? 'Main apni internal settings share nahi kar sakta, lekin aapke sawaalon mein khushi se madad karunga.'
        : "I can't share my internal instructions, but I'm happy to help with your questions about us.",
    );
  }

  const handoffText = voice ? (hi ? HANDOFF_VOICE_HI : HANDOFF_VOICE_EN) : hi ? HANDOFF_HI : HANDOFF_EN;
  if (has('handoff') && wantsHuman(text, agent.handoff.keywords)) {
    await t.handoff('Customer asked for a human');
    return done(leadNote + handoffText);
  }

  // The last reply offered to connect them with the team (it could not answer): a yes is taken up.
  const lastReply = input.history.findLast((turn) => turn.role === 'agent')?.text ?? '';
  if (/connect you with our team\?|team se connect karun\?/.test(lastReply)) {
    if (has('handoff') && confirms(text)) {
      await t.handoff('Customer accepted the offer to talk to the team');
      return done(leadNote + (hi ? `Ji, zaroor. ${handoffText}` : `Sure. ${handoffText}`));
    }
    if (declines(text) && !isQuestion(text))
      return done(
        leadNote +
          (hi
            ? 'Theek hai. Aur kisi cheez mein madad chahiye?'
            : 'No problem. What else can I help you with?'),
      );
  }

  const task = has('booking') ? taskOf(input.history) : null;
  const policy = asksPolicy(text) && isQuestion(text);

  if (task?.awaits === 'confirmation' && declines(text)) {
    // "nahi" alone is not enough to tell the language: the question it answers is.
    const hiNo = hi || isHinglish(task.prompt);
    return done(
      leadNote +
        (task.kind === 'reschedule'
          ? hiNo
            ? 'Theek hai, aapki booking jaisi thi waisi hi hai. Aur kuch madad chahiye to batayein.'
            : 'No problem, your booking stays as it is. Anything else I can help with?'
          : hiNo
            ? 'Theek hai, maine booking nahi ki. Aur kuch madad chahiye to batayein.'
            : "No problem, I haven't booked anything. Anything else I can help with?"),
    );
  }

  // "What if I need to cancel?": the policy, then the action offered; "yes" to that offer cancels.
  if (has('booking') && CANCEL_OFFER.test(lastReply) && confirms(text) && !isQuestion(text))
    return done(leadNote + (await cancelReply(input, t, hi)));
  const topic = policyQuestion(text);
  if (topic) {
    const words = contentTokens(agent.name);
    const answer = has('knowledge')
      ? ((await knowledgeAnswers(t, policyQuery[topic], words)) ??
        (await knowledgeAnswers(t, `${policyQuery[topic]} ${text.replace(/[?!.]+/g, ' ')}`, words)))
      : null;
    const booking = has('booking') ? await t.findBooking() : null;
    const offer = offerAfterPolicy(topic, booking ? localLabel(booking.start_at, agent) : null, hi);
    if (answer) return done(`${leadNote}${answer.reply}${offer}`, { sources: answer.sources });
    // A question about a rule the agent does not know is not a request: nothing is cancelled.
    return done(`${leadNote}${hi ? UNKNOWN_HI : UNKNOWN_EN}${offer}`, { answered: false });
  }

  // The price or length of the service being booked, asked in the middle of it ("how much is it?").
  const priced = task ? taskServiceFact(input, text, task, sayOf(input, hi)) : null;
  if (task && priced)
    return done(`${leadNote}${priced} ${task.prompt.replace(/^(Yes|Haan),\s*/, '')}`.trim());

  // A question in the middle of a booking or a move is answered, and the task's question asked again.
  if (task && !policy && isSideQuestion(input, text, task)) {
    const answer = await factsOrKnowledge(input, t, text, hi);
    if (answer) {
      const again = task.prompt.replace(/^(Yes|Haan),\s*/, '');
      return done(`${leadNote}${answer.reply} ${again}`.trim(), { sources: answer.sources });
    }
  }

  if (has('booking') && !policy) {
    const moving =
      wantsReschedule(text) ||
      (task?.kind === 'reschedule' && (whenIn(input, text) !== null || confirms(text)));
    const current = moving || mentionsOwnBooking(text) ? await t.findBooking() : null;
    if (moving || (current && mentionsOwnBooking(text) && whenIn(input, text) && !wantsCancel(text)))
      return done(leadNote + (await rescheduleReply(input, t, hi, text, task, current)));
  }

  if (has('booking') && wantsCancel(text)) return done(leadNote + (await cancelReply(input, t, hi)));

  const service = serviceIn(agent, text);
  const when = whenIn(input, text);
  const factual = asksPrice(text) || asksDuration(text) || asksFree(text);
  const bookingAsked =
    !policy &&
    !asksAboutWalkInOrHomeVisit(text) &&
    !(asksAddress(text) && when === null) &&
    (wantsBooking(text) ||
      task?.kind === 'booking' ||
      (mentionsBooking(text) && (when !== null || (service !== undefined && !factual))) ||
      // "kal 3 baje haircut": a service and a day or time is a booking request, unless it asks the price.
      (service !== undefined && when !== null && !factual) ||
      (service !== undefined && visitRe.test(text) && !factual));
  const lacking =
    bookingAsked && service ? await unknownCompound(agent, t.searchKnowledge, text, [service]) : null;
  if (lacking)
    return done(leadNote + notOfferedReply(agent, text, lacking.asked, sayOf(input, hi)), {
      answered: false,
    });
  if (has('booking') && agent.business.services.length > 0 && bookingAsked) {
    return done(leadNote + (await bookingReply(input, t, actions, hi, text)));
  }

  const answer = await factsOrKnowledge(input, t, text, hi);
  if (answer && answer.answered !== false) return done(leadNote + answer.reply, { sources: answer.sources });
  // Not offered: an honest no, counted toward the handoff like any unanswered question.
  if (answer) {
    const streak = unansweredStreak(input.history) + 1;
    if (!has('handoff') || agent.handoff.max_unanswered <= 0 || streak < agent.handoff.max_unanswered)
      return done(leadNote + answer.reply, { answered: false });
    await t.handoff(`Could not answer ${streak} questions in a row`);
    const said = answer.reply.replace(/\s*(Would you like one of these|Kya inme se kuch).*$/, '');
    return done(`${leadNote}${said} ${handoffText}`, { answered: false });
  }

  if (isGreeting(text)) return done(leadNote + greeting(input, hi));
  if (isThanks(text))
    return done(
      leadNote +
        (hi
          ? 'Aapka swagat hai! Aur kuch madad chahiye to batayein.'
          : "You're welcome! Anything else I can help with?"),
    );
  if (isGoodbye(text))
    return done(
      leadNote +
        (hi
          ? `${agent.name} se baat karne ke liye shukriya. Alvida!`
          : `Thank you for contacting ${agent.name}. Goodbye!`),
    );
  if (asksWhoItIs(text))
    return done(
      leadNote +
        (hi
          ? `Main ${agent.name} hoon. Aapki kya madad kar sakta hoon?`
          : `This is ${agent.name}. How can I help you today?`),
    );
  // "Yes", "hmm", "no" with no question of ours pending: invite the question rather than apologise.
  if (isBareAck(text) && !task)
    return done(
      leadNote + (hi ? 'Ji, bataiye, main aapki kya madad kar sakta hoon?' : 'How can I help you today?'),
    );
  if (
    leadNote &&
    contentTokens(text.replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/, '')).length <= 4
  ) {
    return done(leadNote + (hi ? 'Main aapki aur kya madad kar sakta hoon?' : 'How else can I help you?'));
  }

  // Could not answer: honest, and a handoff once the streak reaches the agent's limit.
  const streak = unansweredStreak(input.history) + 1;
  if (has('handoff') && agent.handoff.max_unanswered > 0 && streak >= agent.handoff.max_unanswered) {
    await t.handoff(`Could not answer ${streak} questions in a row`);
    return done(leadNote + (hi ? `${UNKNOWN_HI} ${handoffText}` : `${UNKNOWN_EN} ${handoffText}`), {
      answered: false,
    });
  }
  return done(
    leadNote +
      (hi
        ? `${UNKNOWN_HI} Kya aap apna sawaal doosre shabdon mein puch sakte hain, ya main aapko team se connect karun?`
        : `${UNKNOWN_EN} Could you rephrase, or would you like me to connect you with our team?`),
    { answered: false },
  );
}

/** "I want to see the flat", "can I visit", "aana hai": coming over, which a named service turns into a booking. */
const visitRe =
  /\b(visit|see the|come (in|over|by)|drop (in|by)|attend|join|aana|aa sakt\w*|aa jaun|aaun\w*)\b/i;
const asksFree = (text: string) =>
  /\b(is|are|will) (it|the|your|a|this)\b.{0,30}\bfree\b|\bfree (hai|h)\b|\bfree of (charge|cost)\b/i.test(
    text,
  );

/**
 * What the agent can say without a booking step: its own configuration first (services with
 * price and duration, opening hours, address), then its knowledge. A question about a service
 * that the knowledge details further ("gold facial" when the service is "Facial") is answered
 * from the knowledge.
 */
async function factsOrKnowledge(
  input: EngineInput,
  t: AgentTools,
  text: string,
  hi: boolean,
): Promise<{ reply: string; sources: Source[]; answered?: boolean } | null> {
  const agent = input.agent;
  const say = sayOf(input, hi);
  const knowledge = () =>
    agent.tools.includes('knowledge')
      ? knowledgeAnswers(t, text, contentTokens(agent.name))
      : Promise.resolve(null);
  if (asksServices(text) && agent.business.services.length) {
    // "My hair is frizzy, what can you do?": the problem is the question, when the knowledge answers it.
    const described = contentTokens(text.replace(servicesQuestionRe, ' ')).filter(
      (w) => !questionWords.has(w),
    );
    if (described.length >= 2) {
      const k = await knowledge();
      if (k) return k;
    }
    return { reply: servicesReply(agent, say), sources: [] };
  }
  const named = servicesIn(agent, text);
  // "Do you do dog boarding?", "how much is a Swedish massage?": nothing the business has. An honest no.
  if ((asksOffer(text) || asksPrice(text)) && !asksHours(text) && !asksAddress(text) && !rulesRe.test(text)) {
    const unknown = await unknownAsked(agent, t.searchKnowledge, text, named);
    // Unless the knowledge answers it in other words ("pay in parts" is instalments).
    const k = unknown ? await knowledge() : null;
    if (unknown && (!k || (k.coverage < 0.99 && !unknown.unknown.some((w) => k.covered.includes(w)))))
      return { reply: notOfferedReply(agent, text, unknown.asked, say), sources: [], answered: false };
  }
  if (named.length && (asksPrice(text) || asksDuration(text) || asksFree(text))) {
    // Words the service's name does not explain ("gold" in "gold facial price") ask for the knowledge.
    const nameStems = new Set(named.flatMap((s) => tokens(s.name)).map(stem));
    const extra = contentTokens(text).filter(
      (w) => !questionWords.has(w) && !expand(w).some((x) => nameStems.has(stem(x))) && !priceWords.has(w),
    );
    if (extra.length) {
      const k = await knowledge();
      if (k && k.coverage >= 0.99 && extra.every((w) => k.covered.includes(w))) return k;
    }
    return { reply: named.map((s) => serviceFact(s, text, say)).join(' '), sources: [] };
  }
  // "Do you do hair spa?", "can you remove my wisdom tooth?": a service the agent offers, named in
  // the customer's words. The knowledge answers when it covers the question better.
  if (named.length && asksOffer(text) && !asksHours(text) && !asksAddress(text) && !asksPolicy(text)) {
    const k = await knowledge();
    const nameStems = new Set(named.flatMap((s) => tokens(s.name)).map(stem));
    const naming = contentTokens(text).filter((w) => expand(w).some((x) => nameStems.has(stem(x))));
    if (k && naming.every((w) => k.covered.includes(w))) return k;
    const facts = named.map((s) => serviceFact(s, text, say)).join(' ');
    return {
      reply: hi
        ? `Haan, ${facts} Kya main aapke liye book karun?`
        : `Yes. ${facts} Would you like me to book one for you?`,
      sources: [],
    };
  }
  // Hours the business never gave (a new agent's defaults, kept for bookings) are not told as
  // facts: the question goes on to the knowledge, and past it, to what the agent does not know.
  if (asksHours(text) && !asksAddress(text) && !asksPolicy(text) && !agent.business.hours_default)
    return { reply: hoursReply(input, text, hi), sources: [] };
  if (asksAddress(text) && agent.business.address) {
    return {
      reply: hi ? `Hamara address hai: ${agent.business.address}` : `We're at ${agent.business.address}.`,
      sources: [],
    };
  }
  if (isGreeting(text) || isThanks(text) || isGoodbye(text) || asksWhoItIs(text) || isBareAck(text))
    return null;
  return knowledge();
}

/** Words of a question about the rules, which the catalogue does not answer. */
const rulesRe =
  /\b(cancel\w*|refund\w*|reschedul\w*|late|deposit|advance|penalty|policy|rules?|insurance)\b/i;

const sayOf = (input: EngineInput, hi: boolean): Say => ({
  hi,
  channel: input.channel ?? 'chat',
  country: input.defaultCountry,
});

/** The part of a message that asks for the list of services. */
const servicesQuestionRe =
  /\b(what|which) (all )?(services|treatments|courses|programmes|programs|packages)\b|\bwhat (do|can) (you|i) (do|offer|book)\b/gi;

const priceWords = new Set([
  'price',
  'prices',
  'cost',
  'costs',
  'charge',
  'charges',
  'fee',
  'fees',
  'rate',
  'rates',
  'kitna',
  'kitne',
  'kitni',
  'daam',
  'much',
  'long',
  'time',
  'minutes',
  'free',
  'duration',
  'samay',
  'der',
  'lagta',
  'lagega',
]);

function greeting(input: EngineInput, hi: boolean): string {
  const g = input.agent.greeting?.trim();
  if (g) return fillVariables(g, input.variables);
  const name = input.variables.name ? ` ${input.variables.name}` : '';
  return hi
    ? `Namaste${name}! Main ${input.agent.name} hoon. Aapki kya madad kar sakta hoon?`
    : `Hi${name}! I'm ${input.agent.name}. How can I help you today?`;
}

/** Consecutive earlier agent replies that admitted not knowing. */
function unansweredStreak(history: Turn[]): number {
  let n = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const turn = history[i];
    if (turn.role === 'customer') continue;
    if (
      turn.text.startsWith(UNKNOWN_EN) ||
      turn.text.startsWith(UNKNOWN_HI) ||
      turn.text.includes(UNKNOWN_EN) ||
      turn.text.includes(UNKNOWN_HI)
    )
      n++;
    else break;
  }
  return n;
}

const expand = expandWord;

interface KnowledgeAnswer {
  reply: string;
  sources: Source[];
  /** Share of the question's topical words the best passage holds, and which. */
  coverage: number;
  covered: string[];
}

/**
 * A burst or a long message may ask several things ("hello / parking? / my car is big"): each
 * sentence is tried on its own and every answerable one answered; when none is, the whole text.
 * In a long message the questions come first.
 */
async function knowledgeAnswers(
  t: AgentTools,
  text: string,
  businessWords: string[],
): Promise<KnowledgeAnswer | null> {
  const clean = text
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, ' ')
    .replace(/\+?\d[\d\s-]{7,}\d/g, ' ');
  const all = [
    ...new Set(
      clean
        .split(/\n+|(?<=[?!.])\s+/)
        .map((x) => x.trim())
        .filter((x) => contentTokens(x).length > 0),
    ),
  ];
  const segments = [
    ...all.filter((x) => x.endsWith('?')),
    ...all.filter((x) => !x.endsWith('?')).slice(-3),
  ].slice(0, 6);
  const replies: string[] = [];
  const sources: Source[] = [];
  let best: KnowledgeAnswer | null = null;
  if (segments.length > 1) {
    for (const seg of segments) {
      const a = await knowledgeAnswer(t, seg, businessWords);
      if (!a || sources.some((x) => x.chunk_id === a.sources[0].chunk_id)) continue;
      replies.push(a.reply);
      sources.push(...a.sources);
      best ??= a;
      if (replies.length === 3) break;
    }
  }
  if (best) return { ...best, reply: replies.join('\n\n'), sources };
  const whole = await knowledgeAnswer(t, all.length > 6 ? segments.join(' ') : clean, businessWords);
  if (whole) return whole;
  // "My daughter is coming from Patna, where will she stay?": the story first, the question last.
  const clauses = clean.split(/[,;:]\s+|\s+(?:but|so|and|lekin|par|toh|to)\s+/i).map((x) => x.trim());
  const last = clauses[clauses.length - 1];
  if (clauses.length > 1 && questionClauseRe.test(last) && contentTokens(last).length > 0)
    return knowledgeAnswer(t, last, businessWords);
  return null;
}

/** A clause that asks: a question mark, or a question word first. */
const questionClauseRe =
  /\?\s*$|^(what|which|where|when|how|who|is|are|do|does|can|could|will|would|kya|kahan|kab|kaise|kitna|kitne|kitni)\b/i;

/**
 * Words that say who or when, not what: a customer mentions them ("my daughter", "another day",
 * "the treatment") but a passage need not hold them to answer. They are still searched, and a
 * passage that holds them ranks higher; only the share of what was asked ignores them.
 */
const contextWords = new Set([
  // who it is for
  'son',
  'daughter',
  'wife',
  'husband',
  'mom',
  'mum',
  'mother',
  'father',
  'dad',
  'mummy',
  'papa',
  'sister',
  'brother',
  'friend',
  'friends',
  'family',
  'parents',
  'parent',
  'grandmother',
  'grandfather',
  'grandma',
  'grandpa',
  'beta',
  'beti',
  'behen',
  'bhai',
  // generic nouns and verbs of a visit
  'another',
  'first',
  'back',
  'later',
  'needed',
  'wants',
  'wanted',
  'become',
  'birthday',
  'khana',
  'khaana',
  'anniversary',
  'other',
  'one',
  'day',
  'days',
  'week',
  'weeks',
  'month',
  'months',
  'year',
  'years',
  'thing',
  'things',
  'place',
  'bit',
  'lot',
  'little',
  'coming',
  'going',
  'make',
  'take',
  'keep',
  'use',
  'using',
  'attend',
  'join',
  'sit',
  'appointment',
  'appointments',
  'booking',
  'bookings',
  'book',
  'reservation',
  'session',
  'treatment',
  'treatments',
  'ilaaj',
  'ilaj',
  'procedure',
]);

/** Searches, then keeps the best passage only if it covers enough of what was asked. */
async function knowledgeAnswer(
  t: AgentTools,
  text: string,
  businessWords: string[],
): Promise<KnowledgeAnswer | null> {
  // The business's own name says nothing about which passage answers ("is parking near the salon").
  const words = contentTokens(text).filter((w) => !businessWords.includes(w));
  if (words.length === 0) return null;
  const implied = impliedWords(text);
  const impliedFlat = implied.flat();
  const query = [...new Set([...words, ...impliedFlat].flatMap(expand))].join(' ');
  const hits = await t.searchKnowledge(query, 8);
  if (hits.length === 0) return null;
  const topical = words.filter((w) => !questionWords.has(w));
  const telling = topical.filter((w) => !contextWords.has(w) && !/^\d+$/.test(w));
  const asked = telling.length ? telling : topical.length ? topical : words;
  const stemsOf = hits.map(chunkStems);
  const holds = (have: Set<string>, w: string) => expand(w).some((s) => have.has(stem(s)));
  const scored = hits
    .map((h, i) => {
      const have = stemsOf[i];
      const covered = asked.filter((w) => holds(have, w));
      // A phrase ("at once" → instalments) found in the passage stands for one word of the question.
      const bonus = implied.some((ws) => ws.every((w) => holds(have, w))) ? 1 : 0;
      return {
        hit: h,
        covered,
        bonus,
        coverage: Math.min(1, (covered.length + bonus) / asked.length),
        full: coverage(topical.length ? topical : words, h),
      };
    })
    .sort(
      (a, b) => b.coverage - a.coverage || b.bonus - a.bonus || b.full - a.full || b.hit.score - a.hit.score,
    );
  const best = scored[0];
  if (best.coverage < 0.5) return null;
  const reply = passageAnswer(best.hit, [...words, ...impliedFlat]);
  if (!reply) return null;
  return { reply, sources: [source(best.hit)], coverage: best.coverage, covered: best.covered };
}

const source = (h: SearchHit): Source => ({
  doc_id: h.doc_id,
  chunk_id: h.chunk_id,
  title: h.title,
  score: h.score,
});

function chunkStems(h: SearchHit): Set<string> {
  return new Set(contentTokens(`${h.title} ${h.text}`).map(stem));
}

function coverage(words: string[], h: SearchHit): number {
  const have = chunkStems(h);
  const covered = words.filter((w) => expand(w).some((s) => have.has(stem(s))));
  return covered.length / words.length;
}

/** Longest passage quoted whole; longer ones are cut down to their most relevant sentences. */
const WHOLE_PASSAGE_CHARS = 240;
const ANSWER_CHARS = 360;

/** Text in a document that speaks to the assistant rather than to customers: never quoted. */
const instructionRe =
  /\b(system (note|prompt|message)|note to (the )?(ai|assistant|bot|model)|(ai|assistant|bot|chatbot)s?\s*:|you are now|as an ai)\b|^\s*(system|assistant)\s*:/i;
const speaksToAssistant = (sentence: string) => isInjection(sentence) || instructionRe.test(sentence);

/**
 * The answer of a FAQ pair, or the passage's most relevant sentences: each sentence (or line,
 * list item) is scored by how many of the query's words it holds, and the best one or two are
 * quoted in the passage's order, so "Do you do keratin?" gets the keratin sentence of an
 * "About us" page, not the page. A heading that carries facts ("Thali: 450 rupees") is part of
 * the passage; a sentence that only makes sense with the one before it ("After that ...",
 * "Later cancellations ...") brings that one along, so a policy is never cut in half.
 * Sentences addressed to an assistant (an injected instruction) are left out.
 */
export function passageAnswer(h: { text: string; title?: string }, words: string[]): string {
  const faq = /^Q:[\s\S]*?\nA:\s*([\s\S]*)$/.exec(h.text);
  if (faq)
    return splitSentences(faq[1])
      .filter((x) => !speaksToAssistant(x))
      .join(' ');
  const levels = (h.title ?? '').split(TITLE_SEPARATOR);
  const heading = levels.length > 1 ? levels[levels.length - 1].trim() : '';
  const body = splitSentences(h.text).filter((x) => !speaksToAssistant(x));
  // A heading with a figure in it ("Root canal treatment: 6000 rupees per tooth") is a fact.
  const sentences = heading && /\d/.test(heading) ? [`${heading.replace(/[.:]$/, '')}.`, ...body] : body;
  if (sentences.length === 0) return '';
  const whole = sentences.join(' ');
  if (sentences.length <= 2 || whole.length <= WHOLE_PASSAGE_CHARS) return whole;
  const stems = new Set(words.flatMap(expand).map(stem));
  const scores = sentences.map(
    (x) =>
      new Set(
        contentTokens(x)
          .map(stem)
          .filter((w) => stems.has(w)),
      ).size,
  );
  const best = Math.max(...scores);
  if (best === 0) return fitting(sentences, [0, 1]);
  // The best sentences, then the one after the best when it goes on about the same thing.
  const order = scores
    .map((score, i) => ({ score, i }))
    .filter((x) => x.score === best)
    .map((x) => x.i);
  const first = order[0];
  const picked = order.length > 1 ? order.slice(0, 2) : scores[first + 1] > 0 ? [first, first + 1] : [first];
  // A sentence that leans on the one before it brings it along; so does a heading's figure.
  const withContext = picked.flatMap((i) => (i > 0 && continuesRe.test(sentences[i]) ? [i - 1, i] : [i]));
  if (heading && /\d/.test(heading) && !withContext.includes(0) && scores[0] > 0) withContext.unshift(0);
  return fitting(sentences, [...new Set(withContext)]);
}

/** Openings of a sentence that continues the one before it. */
const continuesRe =
  /^(after (that|this)|afterwards|later|then|otherwise|beyond (that|this)|between|however|but|also|this|that|these|those|it|they|such|in that case|if not|else|within|cancellations within|from then)\b/i;

function splitSentences(text: string): string[] {
  return text
    .split(/\n+/)
    .filter((line) => !/^\s{0,3}#{1,6}\s/.test(line))
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .flatMap((line) => line.split(/(?<=[.!?।])\s+(?=[\p{Lu}\p{N}"'(])/u))
    .map((x) => x.trim())
    .filter(Boolean);
}

/** The picked sentences in passage order, as many as fit in an answer (always the first). */
function fitting(sentences: string[], picked: number[]): string {
  const out: string[] = [];
  let length = 0;
  for (const i of [...picked].sort((a, b) => a - b)) {
    const x = sentences[i];
    if (!x || (out.length > 0 && length + x.length > ANSWER_CHARS)) continue;
    out.push(x);
    length += x.length + 1;
  }
  return out.join(' ');
}

function hoursReply(input: EngineInput, text: string, hi: boolean): string {
  const b = input.agent.business;
  const day = weekdayMentioned(text, input.now, b.timezone);
  const fmt = (iv: Array<{ open: string; close: string }>) =>
    iv.map((x) => `${x.open}–${x.close}`).join(', ');
  if (day) {
    const intervals = b.hours[day.key as (typeof weekdayKeys)[number]] ?? [];
    const label =
      day.label === 'today'
        ? hi
          ? 'Aaj'
          : 'Today'
        : day.label === 'tomorrow'
          ? hi
            ? 'Kal'
            : 'Tomorrow'
          : day.label;
    const holiday = holidayFor(input, day);
    if (holiday || intervals.length === 0) {
      const why = holiday ? (hi ? ' (chhutti)' : ' (a holiday)') : '';
      return hi
        ? `${label} ko hum band hain${why}.${openDaysHint(input, hi)}`
        : `We're closed on ${label === 'Today' || label === 'Tomorrow' ? label.toLowerCase() : label}${why}.${openDaysHint(input, hi)}`;
    }
    return hi
      ? `${label} ko hum ${fmt(intervals)} tak khule hain.`
      : `${label === 'Today' || label === 'Tomorrow' ? label : `On ${label}`} we're open ${fmt(intervals)}.`;
  }
  // A date ("25 December", "on the 31st", "Christmas"): its holiday, else that weekday's hours.
  const when = whenIn(input, text);
  if (when?.dateGiven) {
    const date = DateTime.fromISO(when.date, { zone: b.timezone });
    const key = weekdayKeys[date.weekday - 1];
    const intervals = b.hours[key] ?? [];
    const label = date.setLocale('en').toFormat('cccc d LLLL');
    if (b.holidays.includes(when.date))
      return hi
        ? `${label} ko chhutti hai, hum band hain.${openDaysHint(input, hi)}`
        : `We're closed on ${label} (a holiday).${openDaysHint(input, hi)}`;
    if (intervals.length === 0)
      return hi
        ? `${label} ko hum band hain.${openDaysHint(input, hi)}`
        : `We're closed on ${label}.${openDaysHint(input, hi)}`;
    return hi
      ? `${label} ko hum ${fmt(intervals)} tak khule hain.`
      : `On ${label} we're open ${fmt(intervals)}.`;
  }
  return (hi ? 'Hamare timings: ' : 'Our opening hours: ') + weekSummary(input, hi);
}

/** Whether the day asked about (today, tomorrow, or the next such weekday) is one of the business's holidays. */
function holidayFor(input: EngineInput, day: { key: string; label: string }): boolean {
  const tz = input.agent.business.timezone;
  const now = DateTime.fromJSDate(input.now).setZone(tz);
  const wanted = weekdayKeys.indexOf(day.key as (typeof weekdayKeys)[number]) + 1;
  const date =
    day.label === 'today'
      ? now
      : day.label === 'tomorrow'
        ? now.plus({ days: 1 })
        : now.plus({ days: (wanted - now.weekday + 7) % 7 });
  return input.agent.business.holidays.includes(date.toISODate()!);
}

function openDaysHint(input: EngineInput, hi: boolean): string {
  return hi ? ` Hamare timings: ${weekSummary(input, hi)}` : ` Our hours: ${weekSummary(input, hi)}`;
}

function weekSummary(input: EngineInput, hi: boolean): string {
  const h = input.agent.business.hours;
  return (
    weekdayKeys
      .map((k, i) => {
        const iv = h[k] ?? [];
        return `${weekdayLabels[i].slice(0, 3)} ${iv.length ? iv.map((x) => `${x.open}–${x.close}`).join(', ') : hi ? 'band' : 'closed'}`;
      })
      .join('; ') + '.'
  );
}

async function cancelReply(input: EngineInput, t: AgentTools, hi: boolean): Promise<string> {
  const cancelled = await t.cancelBooking();
  if (!cancelled)
    return hi
      ? 'Mujhe aapki koi upcoming booking nahi mili.'
      : "I couldn't find an upcoming booking for you.";
  const when = localLabel(cancelled.start_at, input.agent);
  return hi ? `Aapki ${when} ki booking cancel kar di gayi hai.` : `Your booking on ${when} is cancelled.`;
}

/** The fact asked about the service of an open booking ("how much is it?", "iska kitna?"), or null. */
function taskServiceFact(input: EngineInput, text: string, task: Task, say: Say): string | null {
  if (task.kind !== 'booking' || !(asksPrice(text) || asksDuration(text)) || whenIn(input, text)) return null;
  if (/\b(cancel\w*|refund\w*|reschedul\w*|deposit|advance|policy)\b/i.test(text)) return null;
  const service =
    servicesIn(input.agent, text, false)[0] ??
    servicesNamedIn(input.agent, lastAgentTurn(input.history)?.text ?? '')[0];
  return service ? serviceFact(service, text, say) : null;
}

const lastAgentTurn = (history: Turn[]) => [...history].reverse().find((t) => t.role === 'agent');

/**
 * The conversation's open task, read from the agent's last question: a booking waiting for its
 * service or time, or for a yes; a move of a booking waiting for the new time, or for a yes.
 * The agent's own words are the state, so the same state is read in the live loop, the
 * playground's `history` and a replay.
 */
interface Task {
  kind: 'booking' | 'reschedule';
  awaits: 'details' | 'confirmation';
  /** The agent's question, asked again after answering a side question. */
  prompt: string;
}
const CONFIRM_PROMPT = /(Shall I book (it|the [^?]+)\?|book kar doon\?)/;
const BOOKING_PROMPT =
  /(to book\?|should I book\?|kaunsi service|kis din|kaunsa time|book karun\?|Shall I book (it|the [^?]+)\?|book kar doon\?|What day and time would you like|Which time should I book)/;
const MOVE_CONFIRM_PROMPT = /(Shall I move it\?|shift kar doon\?)/;
const MOVE_PROMPT =
  /(What new day and time would suit you|What day and time would suit you instead|Which time should I move it to\?|kis din aur kis time shift karun\?|kis time pe shift karun\?|Shall I move it\?|shift kar doon\?)/;

function taskOf(history: Turn[]): Task | null {
  const last = lastAgentTurn(history);
  if (!last) return null;
  const question = lastQuestion(last.text);
  if (MOVE_PROMPT.test(last.text))
    return {
      kind: 'reschedule',
      awaits: MOVE_CONFIRM_PROMPT.test(last.text) ? 'confirmation' : 'details',
      prompt: question,
    };
  if (BOOKING_PROMPT.test(last.text))
    return {
      kind: 'booking',
      awaits: CONFIRM_PROMPT.test(last.text) ? 'confirmation' : 'details',
      prompt: question,
    };
  return null;
}

/** The agent's question with the sentence that sets it up ("17:00 on Monday is free. Shall I book it?"). */
function lastQuestion(text: string): string {
  const sentences = text.split(/(?<=[.?!])\s+/);
  const q = sentences.findLastIndex((x) => x.endsWith('?'));
  if (q < 0) return text;
  const from = q > 0 && sentences[q].length < 30 ? q - 1 : q;
  return sentences.slice(from, q + 1).join(' ');
}

/**
 * A message in the middle of a task that asks something else ("how much is it?", "is there
 * parking?"), rather than giving the task what it waits for (a time, a service, a yes or no).
 */
function isSideQuestion(input: EngineInput, text: string, task: Task): boolean {
  if (!isQuestion(text) && !asksPrice(text) && !asksDuration(text)) return false;
  if (confirms(text) || declines(text) || whenIn(input, text)) return false;
  if (
    task.awaits === 'details' &&
    task.kind === 'booking' &&
    serviceIn(input.agent, text) &&
    !asksPrice(text) &&
    !asksDuration(text)
  )
    return false;
  return true;
}

const whenIn = (input: EngineInput, text: string) =>
  parseWhen(text, { now: input.now, timezone: input.agent.business.timezone });

const slug = (name: string) => tokens(name).join('_') || name.toLowerCase();

/**
 * What the customer is after, for the lead: `booking:<service>`, `pricing[:<service>]` or
 * `service:<service>`, read from this message and then their earlier ones (newest first).
 */
function intentOf(input: EngineInput, text: string): string | undefined {
  const earlier = input.history.filter((h) => h.role === 'customer').map((h) => h.text);
  for (const m of [text, ...earlier.reverse()]) {
    const service = serviceIn(input.agent, m);
    const suffix = service ? `:${slug(service.name)}` : '';
    if (wantsBooking(m) || wantsBookingNow(m) || (service && whenIn(input, m) && !asksPrice(m)))
      return `booking${suffix}`;
    if (asksPrice(m)) return `pricing${suffix}`;
    if (service) return `service${suffix}`;
  }
  return undefined;
}

/** The day's label ("Sunday 10 May") when the business is closed on it (no hours, or a holiday). */
function closedOn(input: EngineInput, date: string): string | null {
  const b = input.agent.business;
  const d = DateTime.fromISO(date, { zone: b.timezone });
  const open = (b.hours[weekdayKeys[d.weekday - 1]] ?? []).length > 0 && !b.holidays.includes(date);
  return open ? null : d.toFormat('cccc d LLLL');
}

function localLabel(iso: string, agent: AgentConfig): string {
  return DateTime.fromISO(iso).setZone(agent.business.timezone).toFormat('ccc d LLL, HH:mm');
}

async function bookingReply(
  input: EngineInput,
  t: ReturnType<typeof recording>,
  actions: Action[],
  hiText: boolean,
  text: string,
): Promise<string> {
  const agent = input.agent;
  const tz = agent.business.timezone;
  const context = taskContext(input, text, BOOKING_PROMPT);
  // A bare "haan" carries no language of its own: the booking conversation's does.
  const hi = hiText || isHinglish(context.join('\n'));
  // A question is answered with availability; an explicit request, a confirmation or an answer
  // to the agent's own booking question books (see the policy at the top of this file).
  const task = taskOf(input.history);
  const confirmed = task?.awaits === 'confirmation' && confirms(text);
  const askFirst = !confirmed && isQuestion(text) && !context.some(wantsBookingNow);
  const services = agent.business.services;
  // The service the agent's own question is about ("for your Site Visit"), when it names one.
  const prompted = task ? servicesNamedIn(agent, lastAgentTurn(input.history)?.text ?? '') : [];
  const service =
    context.map((m) => serviceIn(agent, m)).find((s) => s !== undefined) ??
    (prompted.length === 1 ? prompted[0] : undefined) ??
    (services.length === 1 ? services[0] : undefined);
  if (!service) {
    const asked = context.map((m) => whenIn(input, m)).find((w) => w?.dateGiven);
    const closed = asked && closedOn(input, asked.date);
    const list = services
      .map((s) => `${s.name} (${s.duration_minutes} min${s.price !== null ? `, ${s.price}` : ''})`)
      .join(', ');
    // "aaj shaam 6 baje slot hai?" on a closed day: say so before asking which service.
    const closedNote = closed
      ? hi
        ? `${closed} ko hum band hain. Hamare timings: ${weekSummary(input, hi)} `
        : `We're closed on ${closed}. Our hours: ${weekSummary(input, hi)} `
      : '';
    return hi
      ? `${closedNote}Aap kaunsi service lena chahenge? ${list}. Kaunsi service book karun?`
      : `${closedNote}Which service would you like to book? We offer: ${list}. Which one should I book?`;
  }
  // Newest words win; a date said earlier beats one implied by a bare time ("12:30 works").
  const whens = whensIn(input, context);
  const date = (whens.find((w) => w.dateGiven) ?? whens[0])?.date ?? null;
  const time = whens.find((w) => w.time)?.time ?? null;
  if (!date) {
    return hi
      ? `${service.name} ke liye aap kis din aur kaunsa time aana chahenge? Kis din book karun?`
      : `What day and time would you like for your ${service.name}? When should I book?`;
  }
  const slots = await t.checkAvailability(date, service.id);
  const localTime = (s: Slot) => localTimeOf(s, tz);
  const dayLabel = dayLabelOf(date, tz);
  if (time) {
    const exact = slots.find((s) => localTime(s) === time);
    const unsure = unsureBooking(context, whens, confirmed || task !== null);
    if (exact && (askFirst || unsure)) {
      t.note({
        type: 'booking_proposed',
        data: {
          service_id: service.id,
          requested: { date, time },
          slots: [exact],
          awaiting_confirmation: true,
        },
      });
      return confirmBookingText(hi, service.name, date, time, tz, unsure);
    }
    if (exact) {
      try {
        await t.book({ serviceId: service.id, startAt: exact.start_at, notes: 'Booked by the AI agent' });
        const intent = `booking:${slug(service.name)}`;
        // A booking customer is a lead; captured once per turn, with what they booked.
        if (
          input.agent.tools.includes('lead_capture') &&
          !actions.some((a) => a.type === 'lead_captured' && a.data.intent === intent)
        )
          await t.captureLead({ intent });
        return hi
          ? `Ho gaya! Aapki ${service.name} ki booking ${dayLabel} ko ${localTime(exact)} baje confirm hai.`
          : `Done! Your ${service.name} is booked for ${dayLabel} at ${localTime(exact)}.`;
      } catch {
        // The slot was taken between the check and the booking: offer the others.
      }
    }
  }
  if (slots.length === 0) {
    const closed = closedOn(input, date);
    const next = await nextFreeDay(t, date, service.id, tz);
    const why = closed
      ? hi
        ? `${closed} ko hum band hain.`
        : `We're closed on ${closed}.`
      : hi
        ? `${dayLabel} ko koi slot free nahi hai.`
        : `We have no free slots on ${dayLabel}.`;
    if (next) {
      const nextLabel = dayLabelOf(next.date, tz);
      const times = next.slots.slice(0, 3).map(localTime).join(', ');
      t.note({
        type: 'booking_proposed',
        data: { service_id: service.id, requested: { date, time }, slots: next.slots.slice(0, 3) },
      });
      return hi
        ? `${why} Sabse pehle free: ${nextLabel} ko ${times}. Kaunsa time book karun?`
        : `${why} The next free times are on ${nextLabel}: ${times}. Which time should I book?`;
    }
    return hi ? `${why} Kis din book karun?` : `${why} Which other day should I book?`;
  }
  const offered = nearestSlots(slotsInPartOfDay(slots, context, tz), time, tz);
  const times = offered.map(localTime).join(', ');
  t.note({
    type: 'booking_proposed',
    data: { service_id: service.id, requested: { date, time }, slots: offered },
  });
  if (time) {
    return hi
      ? `${dayLabel} ko ${time} free nahi hai. Sabse paas ke free slots: ${times}. Kaunsa time book karun?`
      : `${time} on ${dayLabel} isn't available. The nearest free times are ${times}. Which time should I book?`;
  }
  return hi
    ? `${dayLabel} ko free slots: ${times}. Kaunsa time book karun?`
    : `On ${dayLabel} we have ${times} free. Which time should I book?`;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const localTimeOf = (s: Slot, tz: string) => DateTime.fromISO(s.start_at).setZone(tz).toFormat('HH:mm');
const dayLabelOf = (date: string, tz: string) => DateTime.fromISO(date, { zone: tz }).toFormat('cccc d LLLL');

/**
 * This message, then the customer's earlier messages of the same task (booking or moving one):
 * back through the agent's own questions about it (`prompt`), at most three of them and four
 * messages in all.
 */
function taskContext(input: EngineInput, text: string, prompt: RegExp): string[] {
  const context = [text];
  for (let i = input.history.length - 1, asked = 0; i >= 0 && context.length < 4; i--) {
    const turn = input.history[i];
    if (turn.role === 'agent') {
      if (!prompt.test(turn.text) || ++asked > 3) break;
    } else context.push(turn.text);
  }
  return context;
}

/** The days and times the messages name, newest message first. */
function whensIn(input: EngineInput, messages: string[]): When[] {
  return messages
    .map((m) => parseWhen(m, { now: input.now, timezone: input.agent.business.timezone }))
    .filter((w): w is When => w !== null);
}

/** Up to three free slots, the nearest to the time asked for (any, without one), in time order. */
function nearestSlots(slots: Slot[], time: string | null, tz: string): Slot[] {
  const target = time ? minutes(time) : null;
  const at = (s: Slot) => minutes(localTimeOf(s, tz));
  return (
    target === null ? slots : [...slots].sort((a, b) => Math.abs(at(a) - target) - Math.abs(at(b) - target))
  )
    .slice(0, 3)
    .sort((a, b) => a.start_at.localeCompare(b.start_at));
}

async function nextFreeDay(t: AgentTools, date: string, serviceId: string, tz: string) {
  let d = DateTime.fromISO(date, { zone: tz });
  for (let i = 0; i < 7; i++) {
    d = d.plus({ days: 1 });
    const slots = await t.checkAvailability(d.toISODate()!, serviceId);
    if (slots.length) return { date: d.toISODate()!, slots };
  }
  return null;
}

/**
 * Moving the customer's booking: without a new day, the booking is named and a day asked for;
 * with one, a free time is moved to at once when the customer asks for it plainly ("move my
 * appointment to Tuesday 10am", or answers the agent's question), or offered first when they
 * ask whether they can ("can I shift it to 6pm?"), the move made on their yes. A time alone
 * keeps the booking's day ("can we make it 9pm instead?").
 */
async function rescheduleReply(
  input: EngineInput,
  t: ReturnType<typeof recording>,
  hiText: boolean,
  text: string,
  task: Task | null,
  found: UpcomingBooking | null,
): Promise<string> {
  const agent = input.agent;
  const tz = agent.business.timezone;
  const context = taskContext(input, text, MOVE_PROMPT);
  const hi = hiText || isHinglish(context.join('\n'));
  const current = found ?? (await t.findBooking());
  if (!current) {
    return hi
      ? 'Mujhe aapki koi upcoming booking nahi mili jise badla ja sake. Kya main nayi booking kar doon?'
      : "I couldn't find an upcoming booking of yours to move. Would you like me to make a new booking?";
  }
  const service = agent.business.services.find((s) => s.id === current.service_id);
  const name = service?.name ?? (hi ? 'appointment' : 'appointment');
  const was = localLabel(current.start_at, agent);
  const whens = whensIn(input, context);
  const time = whens.find((w) => w.time)?.time ?? null;
  const date =
    whens.find((w) => w.dateGiven)?.date ??
    (time ? DateTime.fromISO(current.start_at).setZone(tz).toISODate() : null);
  if (!date) {
    return hi
      ? `Aapki ${name} ki booking ${was} ki hai. Kis din aur kis time shift karun?`
      : `Your ${name} is booked for ${was}. What day and time would suit you instead?`;
  }
  const confirmed = task?.kind === 'reschedule' && task.awaits === 'confirmation' && confirms(text);
  const askFirst = !confirmed && task?.kind !== 'reschedule' && isQuestion(text);
  const slots = await t.checkAvailability(date, current.service_id);
  const localTime = (s: Slot) => localTimeOf(s, tz);
  const dayLabel = dayLabelOf(date, tz);
  if (time) {
    const exact = slots.find((s) => localTime(s) === time);
    if (exact && askFirst) {
      t.note({
        type: 'reschedule_proposed',
        data: {
          booking_id: current.id,
          from: current.start_at,
          to: exact.start_at,
          awaiting_confirmation: true,
        },
      });
      return hi
        ? `Aapki ${name} (${was}) ${dayLabel} ko ${time} baje shift ho sakti hai. Shift kar doon?`
        : `Your ${name} on ${was} can move to ${time} on ${dayLabel}. Shall I move it?`;
    }
    if (exact) {
      try {
        await t.rescheduleBooking(current.id, exact.start_at);
        return hi
          ? `Ho gaya! Aapki ${name} ab ${dayLabel} ko ${time} baje hai.`
          : `Done! Your ${name} is moved to ${dayLabel} at ${time}.`;
      } catch {
        // Taken between the check and the move: offer the others.
      }
    }
  }
  if (slots.length === 0) {
    const closed = closedOn(input, date);
    const next = current.service_id ? await nextFreeDay(t, date, current.service_id, tz) : null;
    const why = closed
      ? hi
        ? `${closed} ko hum band hain.`
        : `We're closed on ${closed}.`
      : hi
        ? `${dayLabel} ko koi slot free nahi hai.`
        : `We have no free times on ${dayLabel}.`;
    if (next) {
      const nextLabel = dayLabelOf(next.date, tz);
      const times = next.slots.slice(0, 3).map(localTime).join(', ');
      return hi
        ? `${why} Sabse pehle free: ${nextLabel} ko ${times}. Kis time pe shift karun?`
        : `${why} The next free times are on ${nextLabel}: ${times}. Which time should I move it to?`;
    }
    return hi
      ? `${why} Kis din aur kis time shift karun?`
      : `${why} What day and time would suit you instead?`;
  }
  const offered = nearestSlots(slotsInPartOfDay(slots, context, tz), time, tz);
  const times = offered.map(localTime).join(', ');
  if (time) {
    return hi
      ? `${dayLabel} ko ${time} free nahi hai. Sabse paas ke free slots: ${times}. Kis time pe shift karun?`
      : `${time} on ${dayLabel} isn't available. The nearest free times are ${times}. Which time should I move it to?`;
  }
  return hi
    ? `${dayLabel} ko free slots: ${times}. Kis time pe shift karun?`
    : `On ${dayLabel} we have ${times} free. Which time should I move it to?`;
}
