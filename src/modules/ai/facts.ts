import { DateTime, Info } from 'luxon';
import { contentTokens, stem, tokens } from '../../platform/text.ts';
import {
  asksOffer,
  notOfferedReply,
  type Say,
  serviceFact,
  servicesIn,
  servicesReply,
  unknownAsked,
} from './catalogue.ts';
import { parseWhen, weekdayMentioned } from './datetime.ts';
import { type AgentTools, type EngineInput, fillVariables, type Source } from './engine.ts';
import {
  asksAddress,
  asksDuration,
  asksHours,
  asksPolicy,
  asksPrice,
  asksServices,
  asksWhoItIs,
  isBareAck,
  isGoodbye,
  isGreeting,
  isThanks,
} from './intents.ts';
import { costWords, type KnowledgeAnswer, knowledgeAnswers, questionWords } from './knowledge-answer.ts';
import { expandWord } from './lexicon.ts';
import { dateIn, type LocaleCode, locales, say } from './locale.ts';

/*
 * What the agent says from its own configuration (services with price and duration, opening
 * hours, address) and its knowledge, without a booking step.
 */

export const weekdayKeys = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const expand = expandWord;

export const whenIn = (input: EngineInput, text: string) =>
  parseWhen(text, { now: input.now, timezone: input.agent.business.timezone });

export interface FactsAnswer {
  reply: string;
  sources: Source[];
  answered?: boolean;
  /** The reply offers to book (the service it is about, when one): a yes goes on with the booking. */
  offersBooking?: { serviceId?: string };
}

/** "I want to see the flat", "can I visit", "aana hai": coming over, which a named service turns into a booking. */
export const visitRe =
  /\b(visit|see the|come (in|over|by)|drop (in|by)|attend|join|aana|aa sakt\w*|aa jaun|aaun\w*)\b/i;
export const asksFree = (text: string) =>
  /\b(is|are|will) (it|the|your|a|this)\b.{0,30}\bfree\b|\bfree (hai|h)\b|\bfree of (charge|cost)\b/i.test(
    text,
  );

/**
 * What the agent can say without a booking step: its own configuration first (services with
 * price and duration, opening hours, address), then its knowledge. A question about a service
 * that the knowledge details further ("gold facial" when the service is "Facial") is answered
 * from the knowledge.
 */
export async function factsOrKnowledge(
  input: EngineInput,
  t: AgentTools,
  text: string,
  locale: LocaleCode,
): Promise<FactsAnswer | null> {
  const agent = input.agent;
  const q: FactsQuestion = {
    input,
    t,
    text,
    locale,
    say: sayOf(input, locale),
    named: servicesIn(agent, text),
    knowledge: () =>
      agent.tools.includes('knowledge')
        ? knowledgeAnswers(t, text, contentTokens(agent.name))
        : Promise.resolve(null),
  };
  for (const step of factSteps) {
    const r = await step(q);
    if (r !== undefined) return r;
  }
  if (isGreeting(text) || isThanks(text) || isGoodbye(text) || asksWhoItIs(text) || isBareAck(text))
    return null;
  return q.knowledge();
}

interface FactsQuestion {
  input: EngineInput;
  t: AgentTools;
  text: string;
  locale: LocaleCode;
  say: Say;
  /** The services the question names. */
  named: ReturnType<typeof servicesIn>;
  knowledge: () => Promise<KnowledgeAnswer | null>;
}

/** A step answers (or says there is nothing to say: null), or leaves the question to the next (undefined). */
type FactStep = (
  q: FactsQuestion,
) => Promise<FactsAnswer | null | undefined> | FactsAnswer | null | undefined;

async function servicesAsked(q: FactsQuestion): Promise<FactsAnswer | undefined> {
  const { text, input } = q;
  if (!asksServices(text) || !input.agent.business.services.length) return undefined;
  // "My hair is frizzy, what can you do?": the problem is the question, when the knowledge answers it.
  const described = contentTokens(text.replace(servicesQuestionRe, ' ')).filter((w) => !questionWords.has(w));
  if (described.length >= 2) {
    const k = await q.knowledge();
    if (k) return k;
  }
  return { reply: servicesReply(input.agent, q.say), sources: [], offersBooking: {} };
}

/** "Do you do dog boarding?", "how much is a Swedish massage?": nothing the business has. An honest no. */
async function notOffered(q: FactsQuestion): Promise<FactsAnswer | undefined> {
  const { text, input } = q;
  if (!(asksOffer(text) || asksPrice(text)) || asksHours(text) || asksAddress(text) || rulesRe.test(text))
    return undefined;
  const unknown = await unknownAsked(input.agent, q.t.searchKnowledge, text, q.named);
  if (!unknown) return undefined;
  // Unless the knowledge answers it in other words ("pay in parts" is instalments).
  const k = await q.knowledge();
  if (k && (k.coverage >= 0.99 || unknown.unknown.some((w) => k.covered.includes(w)))) return undefined;
  return { reply: notOfferedReply(input.agent, text, unknown.asked, q.say), sources: [], answered: false };
}

const nameStemsOf = (named: FactsQuestion['named']) =>
  new Set(named.flatMap((s) => tokens(s.name)).map(stem));

/** The price or length of a named service. */
async function serviceFacts(q: FactsQuestion): Promise<FactsAnswer | undefined> {
  const { text, named } = q;
  if (!named.length || !(asksPrice(text) || asksDuration(text) || asksFree(text))) return undefined;
  // Words the service's name does not explain ("gold" in "gold facial price") ask for the knowledge.
  const nameStems = nameStemsOf(named);
  const extra = contentTokens(text).filter(
    (w) => !questionWords.has(w) && !expand(w).some((x) => nameStems.has(stem(x))) && !priceWords.has(w),
  );
  if (extra.length) {
    const k = await q.knowledge();
    if (k && k.coverage >= 0.99 && extra.every((w) => k.covered.includes(w))) return k;
  }
  return { reply: named.map((s) => serviceFact(s, text, q.say)).join(' '), sources: [] };
}

/**
 * "Do you do hair spa?", "can you remove my wisdom tooth?": a service the agent offers, named in
 * the customer's words. The knowledge answers when it covers the question better.
 */
async function offeredService(q: FactsQuestion): Promise<FactsAnswer | undefined> {
  const { text, named } = q;
  if (!named.length || !asksOffer(text) || asksHours(text) || asksAddress(text) || asksPolicy(text))
    return undefined;
  const k = await q.knowledge();
  const nameStems = nameStemsOf(named);
  const naming = contentTokens(text).filter((w) => expand(w).some((x) => nameStems.has(stem(x))));
  if (k && naming.every((w) => k.covered.includes(w))) return k;
  const facts = named.map((s) => serviceFact(s, text, q.say)).join(' ');
  return {
    reply: sayIn(q.say, 'offered_service', { facts }),
    sources: [],
    offersBooking: named.length === 1 ? { serviceId: named[0].id } : {},
  };
}

function hoursOrAddress(q: FactsQuestion): FactsAnswer | undefined {
  const { text, input, locale } = q;
  const b = input.agent.business;
  // Hours the business never gave (a new agent's defaults, kept for bookings) are not told as
  // facts: the question goes on to the knowledge, and past it, to what the agent does not know.
  if (asksHours(text) && !asksAddress(text) && !asksPolicy(text) && !b.hours_default)
    return { reply: hoursReply(input, text, locale), sources: [] };
  if (asksAddress(text) && b.address)
    return { reply: sayIn(q.say, 'address', { address: b.address }), sources: [] };
  return undefined;
}

const factSteps: FactStep[] = [servicesAsked, notOffered, serviceFacts, offeredService, hoursOrAddress];

/** Words of a question about the rules, which the catalogue does not answer. */
const rulesRe =
  /\b(cancel\w*|refund\w*|reschedul\w*|late|deposit|advance|penalty|policy|rules?|insurance)\b/i;

export const sayOf = (input: EngineInput, locale: LocaleCode): Say => ({
  locale,
  channel: input.channel ?? 'chat',
  country: input.defaultCountry,
});

/** The part of a message that asks for the list of services. */
const servicesQuestionRe =
  /\b(what|which) (all )?(services|treatments|courses|programmes|programs|packages)\b|\bwhat (do|can) (you|i) (do|offer|book)\b/gi;

const priceWords = new Set([
  ...costWords,
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

export function greeting(input: EngineInput, locale: LocaleCode): string {
  const g = input.agent.greeting?.trim();
  if (g) return fillVariables(g, input.variables);
  const name = input.variables.name ? ` ${input.variables.name}` : '';
  return say(locale, 'greeting_default', { name, agent: input.agent.name });
}

const fmt = (iv: Array<{ open: string; close: string }>) => iv.map((x) => `${x.open}–${x.close}`).join(', ');

function hoursReply(input: EngineInput, text: string, locale: LocaleCode): string {
  const b = input.agent.business;
  const day = weekdayMentioned(text, input.now, b.timezone);
  if (day) return dayHours(input, day, locale);
  // A date ("25 December", "on the 31st", "Christmas"): its holiday, else that weekday's hours.
  const when = whenIn(input, text);
  if (when?.dateGiven) return dateHours(input, when.date, locale);
  return say(locale, 'hours_week', { week: weekSummary(input, locale) });
}

function dayHours(input: EngineInput, day: { key: string; label: string }, locale: LocaleCode): string {
  const intervals = input.agent.business.hours[day.key as (typeof weekdayKeys)[number]] ?? [];
  const relative = day.label === 'today' || day.label === 'tomorrow';
  const label = relative ? say(locale, `day_${day.label}`) : day.label;
  const holiday = holidayFor(input, day);
  if (holiday || intervals.length === 0) {
    const why = holiday ? say(locale, 'holiday_why') : '';
    const vars = { day: label, day_lower: label.toLowerCase(), why, hint: openDaysHint(input, locale) };
    return say(locale, relative ? 'closed_day' : 'closed_weekday', vars);
  }
  return say(locale, relative ? 'open_day' : 'open_weekday', { day: label, hours: fmt(intervals) });
}

function dateHours(input: EngineInput, iso: string, locale: LocaleCode): string {
  const b = input.agent.business;
  const date = DateTime.fromISO(iso, { zone: b.timezone });
  const intervals = b.hours[weekdayKeys[date.weekday - 1]] ?? [];
  const label = dateIn(locale, date, 'cccc d LLLL');
  const hint = openDaysHint(input, locale);
  if (b.holidays.includes(iso)) return say(locale, 'holiday_date', { day: label, hint });
  if (intervals.length === 0) return say(locale, 'closed_date', { day: label, hint });
  return say(locale, 'open_date', { day: label, hours: fmt(intervals) });
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

function openDaysHint(input: EngineInput, locale: LocaleCode): string {
  return say(locale, 'hours_hint', { week: weekSummary(input, locale) });
}

/** A reply of the catalogue in the locale of `s`. */
const sayIn = (s: Say, key: string, vars: Record<string, string> = {}) => say(s.locale, key, vars);

export function weekSummary(input: EngineInput, locale: LocaleCode): string {
  const names = Info.weekdays('short', { locale: locales.get(locale)?.intl ?? 'en' });
  const h = input.agent.business.hours;
  return (
    weekdayKeys
      .map((k, i) => {
        const iv = h[k] ?? [];
        return `${names[i]} ${iv.length ? iv.map((x) => `${x.open}–${x.close}`).join(', ') : say(locale, 'closed_word')}`;
      })
      .join('; ') + '.'
  );
}
