import { DateTime } from 'luxon';
import type { AgentConfig } from '../agents/agents.service.ts';
import type { SearchHit } from '../knowledge/search.ts';
import { contentTokens, stem, tokens } from '../knowledge/text.ts';
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
} from './engine.ts';
import {
  asksAddress,
  asksHours,
  asksPrice,
  confirms,
  declines,
  extractLeadFields,
  isGreeting,
  isHinglish,
  isInjection,
  isQuestion,
  isSymbolsOnly,
  isThanks,
  mentionsBooking,
  wantsBooking,
  wantsBookingNow,
  wantsCancel,
  wantsHuman,
} from './intents.ts';

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

/** Words a customer uses for the same thing as the knowledge base. */
const synonyms: string[][] = [
  [
    'price',
    'prices',
    'cost',
    'costs',
    'rate',
    'rates',
    'charge',
    'charges',
    'fee',
    'fees',
    'kitna',
    'kitne',
    'daam',
    'paisa',
    'paise',
    'pricing',
    'rupees',
    'rs',
  ],
  ['timing', 'timings', 'hours', 'time', 'schedule'],
  ['haircut', 'hair', 'cut', 'baal'],
  ['parking', 'park'],
  ['payment', 'pay', 'upi', 'card', 'cash'],
  ['refund', 'refunds', 'return', 'returns', 'money back'],
  ['delivery', 'deliver', 'shipping', 'ship'],
];
const synonymOf = new Map<string, string[]>();
for (const group of synonyms) for (const w of group) synonymOf.set(w, group);

/** Words that say what kind of question it is, not what it is about. */
const questionWords = new Set([
  'price',
  'prices',
  'cost',
  'kitna',
  'kitne',
  'offer',
  'provide',
  'available',
  'much',
  'many',
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
]);

export const UNKNOWN_EN = "I'm sorry, I don't have that information.";
export const UNKNOWN_HI = 'Maaf kijiye, iski jaankari mere paas nahi hai.';
const HANDOFF_EN = "I'm connecting you with a member of our team; they will reply here shortly.";
const HANDOFF_HI =
  'Main aapko hamari team ke ek member se connect kar raha hoon; woh yahin jaldi reply karenge.';

const weekdayKeys = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const weekdayLabels = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

export async function builtinReply(input: EngineInput, tools: AgentTools): Promise<EngineResult> {
  const actions: Action[] = [];
  const t = recording(tools, actions);
  const agent = input.agent;
  const text = input.messages.join('\n').trim();
  const hi = isHinglish(text);
  const has = (tool: AgentConfig['tools'][number]) => agent.tools.includes(tool);
  const done = (reply: string, o: { sources?: Source[]; answered?: boolean } = {}): EngineResult => ({
    reply,
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
    leadNote = lead.name
      ? hi
        ? `Shukriya, ${lead.name}! `
        : `Thanks, ${lead.name}! `
      : hi
        ? 'Shukriya, maine note kar liya. '
        : "Thanks, I've noted your details. ";
  }

  if (isInjection(text)) {
    return done(
      hi
        ? 'Main apni internal settings share nahi kar sakta, lekin aapke sawaalon mein khushi se madad karunga.'
        : "I can't share my internal instructions, but I'm happy to help with your questions about us.",
    );
  }

  if (has('handoff') && wantsHuman(text, agent.handoff.keywords)) {
    await t.handoff('Customer asked for a human');
    return done(leadNote + (hi ? HANDOFF_HI : HANDOFF_EN));
  }

  if (has('booking') && wantsCancel(text)) {
    const cancelled = await t.cancelBooking();
    if (cancelled) {
      return done(
        leadNote +
          (hi
            ? `Aapki ${localLabel(cancelled.start_at, agent)} ki booking cancel kar di gayi hai.`
            : `Your booking on ${localLabel(cancelled.start_at, agent)} is cancelled.`),
      );
    }
    return done(
      leadNote +
        (hi ? 'Mujhe aapki koi upcoming booking nahi mili.' : "I couldn't find an upcoming booking for you."),
    );
  }

  if (has('booking') && awaitsConfirmation(input.history) && declines(text)) {
    // "nahi" alone is not enough to tell the language: the question it answers is.
    const hiNo = hi || isHinglish(lastAgentTurn(input.history)?.text ?? '');
    return done(
      leadNote +
        (hiNo
          ? 'Theek hai, maine booking nahi ki. Aur kuch madad chahiye to batayein.'
          : "No problem, I haven't booked anything. Anything else I can help with?"),
    );
  }
  const bookingAsked =
    wantsBooking(text) ||
    continuesBooking(input.history) ||
    (mentionsBooking(text) && (whenIn(input, text) !== null || serviceIn(agent, text) !== undefined)) ||
    // "kal 3 baje haircut": a service and a day or time is a booking request, unless it asks the price.
    (serviceIn(agent, text) !== undefined && whenIn(input, text) !== null && !asksPrice(text));
  if (has('booking') && agent.business.services.length > 0 && bookingAsked) {
    return done(leadNote + (await bookingReply(input, t, actions, hi, text)));
  }

  if (asksHours(text) && !asksAddress(text)) return done(leadNote + hoursReply(input, text, hi));
  if (asksAddress(text) && agent.business.address) {
    return done(
      leadNote +
        (hi ? `Hamara address hai: ${agent.business.address}` : `We're at ${agent.business.address}.`),
    );
  }
  if (isGreeting(text)) return done(leadNote + greeting(input, hi));
  if (isThanks(text))
    return done(
      leadNote +
        (hi
          ? 'Aapka swagat hai! Aur kuch madad chahiye to batayein.'
          : "You're welcome! Anything else I can help with?"),
    );

  if (has('knowledge')) {
    const answer = await knowledgeAnswers(t, text, contentTokens(agent.name));
    if (answer) return done(leadNote + answer.reply, { sources: answer.sources });
  }
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
    return done(leadNote + (hi ? `${UNKNOWN_HI} ${HANDOFF_HI}` : `${UNKNOWN_EN} ${HANDOFF_EN}`), {
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

const expand = (w: string) => synonymOf.get(w) ?? [w];

/**
 * A burst or a long message may ask several things ("hello / parking? / my car is big"): each
 * sentence is tried on its own and every answerable one answered; when none is, the whole text.
 */
async function knowledgeAnswers(
  t: AgentTools,
  text: string,
  businessWords: string[],
): Promise<{ reply: string; sources: Source[] } | null> {
  const clean = text
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, ' ')
    .replace(/\+?\d[\d\s-]{7,}\d/g, ' ');
  const segments = clean
    .split(/\n+|(?<=[?!.])\s+/)
    .map((x) => x.trim())
    .filter((x) => contentTokens(x).length > 0)
    .slice(0, 6);
  const replies: string[] = [];
  const sources: Source[] = [];
  if (segments.length > 1) {
    for (const seg of segments) {
      const a = await knowledgeAnswer(t, seg, businessWords);
      if (!a || sources.some((x) => x.chunk_id === a.sources[0].chunk_id)) continue;
      replies.push(a.reply);
      sources.push(...a.sources);
    }
  }
  if (replies.length) return { reply: replies.join('\n\n'), sources };
  return knowledgeAnswer(t, clean, businessWords);
}

/** Searches, then keeps the best passage only if it covers enough of what was asked. */
async function knowledgeAnswer(
  t: AgentTools,
  text: string,
  businessWords: string[],
): Promise<{ reply: string; sources: Source[] } | null> {
  // The business's own name says nothing about which passage answers ("is parking near the salon").
  const words = contentTokens(text).filter((w) => !businessWords.includes(w));
  if (words.length === 0) return null;
  const query = [...new Set(words.flatMap(expand))].join(' ');
  const hits = await t.searchKnowledge(query, 8);
  if (hits.length === 0) return null;
  const topical = words.filter((w) => !questionWords.has(w));
  const scored = hits
    .map((h) => ({
      hit: h,
      coverage: coverage(topical.length ? topical : words, h),
      full: coverage(words, h),
    }))
    .sort((a, b) => b.coverage - a.coverage || b.full - a.full || b.hit.score - a.hit.score);
  const best = scored[0];
  if (best.coverage < 0.5) return null;
  const reply = passageAnswer(best.hit, words);
  return { reply, sources: [source(best.hit)] };
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

/**
 * The answer of a FAQ pair, or the passage's most relevant sentences: each sentence (or line,
 * list item) is scored by how many of the query's words it holds, and the best one or two are
 * quoted in the passage's order, so "Do you do keratin?" gets the keratin sentence of an
 * "About us" page, not the page.
 */
export function passageAnswer(h: { text: string }, words: string[]): string {
  const faq = /^Q:[\s\S]*?\nA:\s*([\s\S]*)$/.exec(h.text);
  if (faq) return faq[1].trim();
  const sentences = h.text
    .split(/\n+/)
    .filter((line) => !/^\s{0,3}#{1,6}\s/.test(line))
    .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .flatMap((line) => line.split(/(?<=[.!?।])\s+(?=[\p{Lu}\p{N}"'(])/u))
    .map((x) => x.trim())
    .filter(Boolean);
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
  return fitting(sentences, picked);
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
      return hi
        ? `${label} ko hum band hain.${openDaysHint(input, hi)}`
        : `We're closed on ${label === 'Today' || label === 'Tomorrow' ? label.toLowerCase() : label}.${openDaysHint(input, hi)}`;
    }
    return hi
      ? `${label} ko hum ${fmt(intervals)} tak khule hain.`
      : `${label === 'Today' || label === 'Tomorrow' ? label : `On ${label}`} we're open ${fmt(intervals)}.`;
  }
  return (hi ? 'Hamare timings: ' : 'Our opening hours: ') + weekSummary(input, hi);
}

function holidayFor(input: EngineInput, day: { label: string }): boolean {
  const tz = input.agent.business.timezone;
  const now = DateTime.fromJSDate(input.now).setZone(tz);
  const date = day.label === 'today' ? now : day.label === 'tomorrow' ? now.plus({ days: 1 }) : null;
  return date ? input.agent.business.holidays.includes(date.toISODate()!) : false;
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

const lastAgentTurn = (history: Turn[]) => [...history].reverse().find((t) => t.role === 'agent');

/** The last agent reply asked a booking question, so this message may only carry the missing part. */
function continuesBooking(history: Turn[]): boolean {
  const last = lastAgentTurn(history);
  return !!last && BOOKING_PROMPT.test(last.text);
}
const CONFIRM_PROMPT = /(Shall I book it\?|book kar doon\?)/;
const BOOKING_PROMPT =
  /(to book\?|should I book\?|kaunsi service|kis din|kaunsa time|book karun\?|Shall I book it\?|book kar doon\?)/;

/** The last agent reply offered one free slot and asked whether to book it. */
function awaitsConfirmation(history: Turn[]): boolean {
  const last = lastAgentTurn(history);
  return !!last && CONFIRM_PROMPT.test(last.text);
}

const whenIn = (input: EngineInput, text: string) =>
  parseWhen(text, { now: input.now, timezone: input.agent.business.timezone });

/**
 * The service a message names: its full name ("hair spa"), or for a one-word name the word in
 * another form ("haircuts"). Longer names win so "hair spa" is not read as "haircut".
 */
function serviceIn(agent: AgentConfig, text: string) {
  const lower = ` ${tokens(text).join(' ')} `;
  const stems = new Set(tokens(text).map(stem));
  const byLength = [...agent.business.services].sort((a, b) => b.name.length - a.name.length);
  return (
    byLength.find((s) => lower.includes(` ${tokens(s.name).join(' ')} `)) ??
    byLength.find((s) => {
      const words = tokens(s.name);
      return words.length === 1 && words[0].length > 3 && stems.has(stem(words[0]));
    })
  );
}

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
  // This message, then the customer's earlier messages of the same booking conversation.
  const context = [text];
  for (let i = input.history.length - 1, asked = 0; i >= 0 && context.length < 4; i--) {
    const turn = input.history[i];
    if (turn.role === 'agent') {
      if (!BOOKING_PROMPT.test(turn.text) || ++asked > 3) break;
    } else context.push(turn.text);
  }
  // A bare "haan" carries no language of its own: the booking conversation's does.
  const hi = hiText || isHinglish(context.join('\n'));
  // A question is answered with availability; an explicit request, a confirmation or an answer
  // to the agent's own booking question books (see the policy at the top of this file).
  const confirmed = awaitsConfirmation(input.history) && confirms(text);
  const askFirst = !confirmed && isQuestion(text) && !context.some(wantsBookingNow);
  const services = agent.business.services;
  const service =
    context.map((m) => serviceIn(agent, m)).find((s) => s !== undefined) ??
    services.find((s) =>
      contentTokens(s.name).some(
        (w) => w.length > 3 && contentTokens(context.join(' ')).map(stem).includes(stem(w)),
      ),
    ) ??
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
  const whens = context
    .map((m) => parseWhen(m, { now: input.now, timezone: tz }))
    .filter((w): w is When => w !== null);
  const date = (whens.find((w) => w.dateGiven) ?? whens[0])?.date ?? null;
  const time = whens.find((w) => w.time)?.time ?? null;
  if (!date) {
    return hi
      ? `${service.name} ke liye aap kis din aur kaunsa time aana chahenge? Kis din book karun?`
      : `What day and time would you like for your ${service.name}? When should I book?`;
  }
  const slots = await t.checkAvailability(date, service.id);
  const localTime = (s: Slot) => DateTime.fromISO(s.start_at).setZone(tz).toFormat('HH:mm');
  const dayLabel = DateTime.fromISO(date, { zone: tz }).toFormat('cccc d LLLL');
  if (time) {
    const exact = slots.find((s) => localTime(s) === time);
    if (exact && askFirst) {
      t.note({
        type: 'booking_proposed',
        data: {
          service_id: service.id,
          requested: { date, time },
          slots: [exact],
          awaiting_confirmation: true,
        },
      });
      return hi
        ? `Haan, ${dayLabel} ko ${time} baje ${service.name} ka slot khaali hai — book kar doon?`
        : `Yes, ${time} on ${dayLabel} is free for a ${service.name}. Shall I book it?`;
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
    const next = await nextFreeDay(t, date, service.id, tz);
    if (next) {
      const nextLabel = DateTime.fromISO(next.date, { zone: tz }).toFormat('cccc d LLLL');
      const times = next.slots.slice(0, 3).map(localTime).join(', ');
      t.note({
        type: 'booking_proposed',
        data: { service_id: service.id, requested: { date, time }, slots: next.slots.slice(0, 3) },
      });
      return hi
        ? `${dayLabel} ko koi slot free nahi hai. Sabse pehle free: ${nextLabel} ko ${times}. Kaunsa time book karun?`
        : `We have no free slots on ${dayLabel}. The next free times are on ${nextLabel}: ${times}. Which time should I book?`;
    }
    return hi
      ? `${dayLabel} ko koi slot free nahi hai. Kis din book karun?`
      : `We have no free slots on ${dayLabel}. Which other day should I book?`;
  }
  const target = time ? minutes(time) : null;
  const offered = (
    target === null
      ? slots
      : [...slots].sort(
          (a, b) => Math.abs(minutes(localTime(a)) - target) - Math.abs(minutes(localTime(b)) - target),
        )
  )
    .slice(0, 3)
    .sort((a, b) => a.start_at.localeCompare(b.start_at));
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

async function nextFreeDay(t: AgentTools, date: string, serviceId: string, tz: string) {
  let d = DateTime.fromISO(date, { zone: tz });
  for (let i = 0; i < 7; i++) {
    d = d.plus({ days: 1 });
    const slots = await t.checkAvailability(d.toISODate()!, serviceId);
    if (slots.length) return { date: d.toISODate()!, slots };
  }
  return null;
}
