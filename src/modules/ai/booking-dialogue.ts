import { DateTime } from 'luxon';
import { tokens } from '../../platform/text.ts';
import type { AgentConfig } from '../agents/index.ts';
import {
  type ContactDetails,
  ContactNeeded,
  contactAnswer,
  type MissingContact,
  mergeDetails,
  missingContact,
} from './booking-contact.ts';
import { acceptsInAnySentence, laterOrEarlier, suggestsSlot, takesAnyTime } from './booking-words.ts';
import { type Say, serviceFact, serviceIn, servicesIn } from './catalogue.ts';
import { confirmBookingText, slotsInPartOfDay, unsureBooking } from './date-words.ts';
import { bareClockAnswer, parseWhen, type When } from './datetime.ts';
import { type DialogueState, type Step, type Transition, taskWords } from './dialogue.ts';
import type { Action, AgentTools, EngineInput, recording, Slot } from './engine.ts';
import { weekdayKeys, weekSummary, whenIn } from './facts.ts';
import { asksDuration, asksPrice, declines, isQuestion, wantsBooking, wantsBookingNow } from './intents.ts';
import { dateIn, type LocaleCode, say, stickyLocale } from './locale.ts';

/**
 * The booking dialogue of the built-in agent: booking a service, moving a booking, cancelling
 * one. Each reply is a transition of the conversation's state: it declares (on `turn`) the task
 * it asks about and what it waits for, so the next turn knows where the booking stands from the
 * state, not from the reply's words.
 *
 * Booking policy: an explicit request ("book karna hai", "book me", "I want to book") or a plain
 * statement naming a service and a time ("kal 3 baje haircut") books the slot at once when it is
 * free. A question ("kal 3 baje aa sakta hoon haircut ke liye?", "can I come tomorrow at 5 for a
 * facial?") only checks it: the reply says the slot is free and asks "book kar doon? / Shall I
 * book it?" (a `booking_proposed` action), and the booking is made when the next message confirms
 * ("haan", "yes", "ok book it", "confirm"); a "no" books nothing. A customer who answers the
 * agent's own booking question (which service, which time) is booked without another question.
 */

/** The open task as the booking steps read it: a booking or a move, waiting for details or a yes. */
export interface Task {
  kind: 'booking' | 'reschedule';
  awaits: 'details' | 'confirmation';
  /** The agent's question, asked again after answering a side question. */
  prompt: string;
}

/** The booking or move the state holds; a question the caller never heard waits for nothing but details. */
export function taskIn(state: DialogueState): Task | null {
  if (state.task !== 'booking' && state.task !== 'reschedule') return null;
  const confirming = state.awaiting === 'confirm' && !state.unheard;
  return { kind: state.task, awaits: confirming ? 'confirmation' : 'details', prompt: state.prompt };
}

/** What a booking step works with: this turn, the tools, the state it starts from and the transition it declares. */
export interface BookingTurn {
  input: EngineInput;
  t: ReturnType<typeof recording>;
  actions: Action[];
  /** The customer's words of this turn (a burst joined). */
  text: string;
  /** The locale of the reply (locales/<code>/): its catalogue says the dialogue's questions and read-backs. */
  locale: LocaleCode;
  state: DialogueState;
  task: Task | null;
  turn: Transition;
}

export const ask = (b: BookingTurn, step: Omit<Step, 'locale'>, locale: LocaleCode) => {
  b.turn.step = { ...step, locale };
};

export async function cancelReply(input: EngineInput, t: AgentTools, locale: LocaleCode): Promise<string> {
  const cancelled = await t.cancelBooking();
  if (!cancelled) return say(locale, 'cancel_none');
  return say(locale, 'cancel_done', { when: localLabel(cancelled.start_at, input.agent, locale) });
}

/** The fact asked about the service of an open booking ("how much is it?", "iska kitna?"), or null. */
export function taskServiceFact(
  input: EngineInput,
  text: string,
  task: Task,
  state: DialogueState,
  say: Say,
): string | null {
  if (task.kind !== 'booking' || !(asksPrice(text) || asksDuration(text)) || whenIn(input, text)) return null;
  if (task.awaits === 'confirmation' && acceptsInAnySentence(text)) return null;
  if (/\b(cancel\w*|refund\w*|reschedul\w*|deposit|advance|policy)\b/i.test(text)) return null;
  const service =
    servicesIn(input.agent, text, false)[0] ??
    input.agent.business.services.find((s) => s.id === state.slots.serviceId);
  return service ? serviceFact(service, text, say) : null;
}

/**
 * A message in the middle of a task that asks something else ("how much is it?", "is there
 * parking?"), rather than giving the task what it waits for (a time, a service, a yes or no).
 */
export function isSideQuestion(input: EngineInput, text: string, task: Task): boolean {
  if (!isQuestion(text) && !asksPrice(text) && !asksDuration(text)) return false;
  if (acceptsInAnySentence(text) || declines(text) || whenIn(input, text)) return false;
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

const slug = (name: string) => tokens(name).join('_') || name.toLowerCase();

/**
 * What the customer is after, for the lead: `booking:<service>`, `pricing[:<service>]` or
 * `service:<service>`, read from this message and then their earlier ones (newest first).
 */
export function intentOf(input: EngineInput, text: string): string | undefined {
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
function closedOn(input: EngineInput, date: string, locale: LocaleCode): string | null {
  const b = input.agent.business;
  const d = DateTime.fromISO(date, { zone: b.timezone });
  const open = (b.hours[weekdayKeys[d.weekday - 1]] ?? []).length > 0 && !b.holidays.includes(date);
  return open ? null : dateIn(locale, d, 'cccc d LLLL');
}

export function localLabel(iso: string, agent: AgentConfig, locale: LocaleCode = 'en'): string {
  return dateIn(locale, DateTime.fromISO(iso).setZone(agent.business.timezone), 'ccc d LLL, HH:mm');
}

/** This message, then the customer's earlier messages of the same task (the state keeps them). */
export const contextOf = (b: BookingTurn, kind: Task['kind']) =>
  b.state.task === kind ? [b.text, ...taskWords(b.state)] : [b.text];

export async function bookingReply(b: BookingTurn): Promise<string> {
  const { input } = b;
  const agent = input.agent;
  const context = contextOf(b, 'booking');
  // A bare "haan" carries no language of its own: the booking conversation's does.
  const locale = stickyLocale(b.locale, context);
  const services = agent.business.services;
  // The service the task is about (the agent's own question named it), when it holds one.
  const held = b.task ? services.find((s) => s.id === b.state.slots.serviceId) : undefined;
  const service =
    context.map((m) => serviceIn(agent, m)).find((s) => s !== undefined) ??
    held ??
    (services.length === 1 ? services[0] : undefined);
  if (!service) {
    ask(b, { task: 'booking', awaiting: 'slot' }, locale);
    return whichService(input, context, locale);
  }
  const whens = whensIn(input, context);
  const { date, time, halfDay } = wantedSlot(b, whens);
  if (!date) {
    ask(
      b,
      { task: 'booking', awaiting: 'slot', slots: { serviceId: service.id, time: time ?? undefined } },
      locale,
    );
    // A time without a day is not booked for its next occurrence: the day is asked for.
    if (time) return say(locale, 'booking_ask_day_for_time', { service: service.name, time });
    return say(locale, 'booking_ask_when', { service: service.name });
  }
  const want: Wanted = { service, date, time, context, whens, locale, halfDay };
  const tz = agent.business.timezone;
  const slots = await b.t.checkAvailability(date, service.id);
  // "ok, that works, but make it later": the free times after (or before) the one read back.
  const direction = shiftAsked(b, time);
  if (direction) return shiftedSlots(b, want, slots, direction);
  if (time) {
    const made = await bookExact(b, want, slots);
    if (made) return made;
  }
  ask(b, { task: 'booking', awaiting: 'slot', slots: { serviceId: service.id, date } }, locale);
  // "any time is fine", "the earliest you have": the first of the times that would be offered.
  if (!time && b.task && takesAnyTime(b.text) && slots.length) {
    const first = nearestSlots(slotsInPartOfDay(slots, context, tz), null, tz)[0];
    const made = await bookExact(b, { ...want, time: localTimeOf(first, tz) }, slots);
    if (made) return made;
  }
  return slots.length === 0 ? noFreeSlots(b, want) : offerSlots(b, want, slots);
}

/**
 * The day and time the customer wants, from the state first: "yes" to a read-back is exactly
 * the slot read back; otherwise this message's day, else the day the task holds (the one the
 * agent offered or asked about), else one said earlier in the task; this message's time (a bare
 * "12" answering "which time?" too), else one said earlier. A time alone gives no day.
 */
function wantedSlot(
  b: BookingTurn,
  whens: When[],
): { date: string | null; time: string | null; halfDay: boolean } {
  const held = b.task?.kind === 'booking' ? b.state.slots : {};
  const now = whensIn(b.input, [b.text]);
  const accepted = b.task?.awaits === 'confirmation' && acceptsInAnySentence(b.text);
  if (accepted && now.length === 0 && held.date && held.time)
    return { date: held.date, time: held.time, halfDay: false };
  const earlier = whens.find((w) => w.time)?.time ?? held.time ?? null;
  const bare = b.task && held.date ? nearHour(bareClockAnswer(b.text), earlier) : null;
  const date =
    now.find((w) => w.dateGiven)?.date ?? held.date ?? whens.find((w) => w.dateGiven)?.date ?? null;
  const said = now.find((w) => w.time);
  const time = said?.time ?? bare ?? earlier;
  return { date, time, halfDay: said?.halfDay === true };
}

/**
 * A bare hour said without am/pm ("at 8") when the business is open at both readings (08:00
 * and 20:00) that day: it is read back before anything is booked (a question is read back anyway).
 */
function twelveHoursApart(input: EngineInput, w: Wanted): boolean {
  // "12 baje" is noon: midnight is said as such ("raat 12").
  if (!w.halfDay || !w.time || w.time.startsWith('12:')) return false;
  const b = input.agent.business;
  const other = (minutes(w.time) + 12 * 60) % (24 * 60);
  const d = DateTime.fromISO(w.date, { zone: b.timezone });
  return (b.hours[weekdayKeys[d.weekday - 1]] ?? []).some(
    (iv) => minutes(iv.open) <= other && other + w.service.duration_minutes <= minutes(iv.close),
  );
}

/** "…but make it later" in a booking with a time and no new time said: which way to look. */
function shiftAsked(b: BookingTurn, time: string | null): 'later' | 'earlier' | null {
  if (b.task?.kind !== 'booking' || !time || whensIn(b.input, [b.text]).some((w) => w.time)) return null;
  return laterOrEarlier(b.text);
}

/** The free times after (or before) the one talked about, nearest first: "…but make it later". */
function shiftedSlots(b: BookingTurn, w: Wanted, slots: Slot[], direction: 'later' | 'earlier'): string {
  const tz = b.input.agent.business.timezone;
  const from = minutes(w.time!);
  const side = slots.filter((s) =>
    direction === 'later' ? minutes(localTimeOf(s, tz)) > from : minutes(localTimeOf(s, tz)) < from,
  );
  const offered = (direction === 'later' ? side : [...side].reverse()).slice(0, 3);
  offered.sort((x, y) => x.start_at.localeCompare(y.start_at));
  const dayLabel = dayLabelOf(w.date, tz, w.locale);
  ask(b, { task: 'booking', awaiting: 'slot', slots: { serviceId: w.service.id, date: w.date } }, w.locale);
  if (offered.length === 0) return noneThatDay(b, w.date, dayLabel, w.locale, 'slots');
  b.t.note({
    type: 'booking_proposed',
    data: { service_id: w.service.id, requested: { date: w.date, time: null }, slots: offered },
  });
  const times = offered.map((s) => localTimeOf(s, tz)).join(', ');
  return say(w.locale, `booking_shifted_${direction}`, { day: dayLabel, time: w.time ?? '', times });
}

/** A bare hour ("8 would be great") in the half of the day nearest the time talked about (19:00 → 20:00). */
function nearHour(bare: string | null, near: string | null): string | null {
  if (!bare || !near) return bare;
  const h = Number(bare.slice(0, 2)) % 12;
  const options = [h, h + 12].map((x) => `${String(x).padStart(2, '0')}${bare.slice(2)}`);
  return options.sort(
    (a, b) => Math.abs(minutes(a) - minutes(near)) - Math.abs(minutes(b) - minutes(near)),
  )[0];
}

interface Wanted {
  service: AgentConfig['business']['services'][number];
  date: string;
  time: string | null;
  context: string[];
  whens: When[];
  locale: LocaleCode;
  /** The time is a bare hour said without am/pm (see `twelveHoursApart`). */
  halfDay?: boolean;
}

function whichService(input: EngineInput, context: string[], locale: LocaleCode): string {
  const asked = context.map((m) => whenIn(input, m)).find((w) => w?.dateGiven);
  const closed = asked && closedOn(input, asked.date, locale);
  const list = input.agent.business.services
    .map((s) => `${s.name} (${s.duration_minutes} min${s.price !== null ? `, ${s.price}` : ''})`)
    .join(', ');
  // "aaj shaam 6 baje slot hai?" on a closed day: say so before asking which service.
  const closedNote = closed
    ? say(locale, 'booking_closed_note', { day: closed, week: weekSummary(input, locale) })
    : '';
  return say(locale, 'booking_which_service', { closed: closedNote, list });
}

/** The time asked for is free: booked, or proposed first when the customer only asked or is unsure. */
async function bookExact(b: BookingTurn, w: Wanted, slots: Slot[]): Promise<string | null> {
  const { t, input } = b;
  const tz = input.agent.business.timezone;
  const exact = slots.find((s) => localTimeOf(s, tz) === w.time);
  if (!exact || !w.time) return null;
  // A question is answered with availability; an explicit request, a confirmation or an answer
  // to the agent's own booking question books (see the policy at the top of this file).
  const confirmed = b.task?.awaits === 'confirmation' && acceptsInAnySentence(b.text);
  // A suggestion answering the agent's own question ("how about 5 pm?") is an answer, not a question.
  const answering = b.task?.kind === 'booking' && b.task.awaits === 'details' && suggestsSlot(b.text);
  const askFirst = !confirmed && !answering && isQuestion(b.text) && !w.context.some(wantsBookingNow);
  // A bare hour the business is open at 12 hours apart too ("at 8") is read back, never booked as guessed.
  const twelve = !confirmed && twelveHoursApart(input, w);
  const unsure = unsureBooking(w.context, w.whens, confirmed || b.task !== null) || (twelve && !askFirst);
  if (askFirst || unsure) {
    t.note({
      type: 'booking_proposed',
      data: {
        service_id: w.service.id,
        requested: { date: w.date, time: w.time },
        slots: [exact],
        awaiting_confirmation: true,
      },
    });
    const slotsHeld = { serviceId: w.service.id, date: w.date, time: w.time };
    ask(b, { task: 'booking', awaiting: 'confirm', slots: slotsHeld }, w.locale);
    return confirmBookingText(w.locale, w.service.name, w.date, w.time, tz, unsure);
  }
  return bookSlot(b, { service: w.service, date: w.date, time: w.time, locale: w.locale }, exact);
}

/** The slot a booking holds while it waits for the customer's details. */
export interface HeldSlot {
  service: AgentConfig['business']['services'][number];
  date: string;
  time: string;
  locale: LocaleCode;
}

/**
 * Books the slot settled on, or first asks a website visitor for their name and a phone or email
 * (`booking.require_contact`): the slot is held in the state, booked when they have given them.
 * Null when the slot was taken meanwhile (the others are offered).
 */
export async function bookSlot(b: BookingTurn, w: HeldSlot, exact: Slot): Promise<string | null> {
  const { t, input } = b;
  const tz = input.agent.business.timezone;
  const given = detailsGiven(b);
  const missing = input.bookingNeedsContact ? missingContact(given) : [];
  if (missing.length) return askContact(b, w, given, missing);
  try {
    const made = await t.book({
      serviceId: w.service.id,
      startAt: exact.start_at,
      notes: 'Booked by the AI agent',
      ...(input.bookingNeedsContact ? { contact: given } : {}),
    });
    b.turn.step = null;
    b.turn.booked = { bookingId: made.id ?? '', serviceId: w.service.id, date: w.date, time: w.time };
  } catch (err) {
    if (err instanceof ContactNeeded) return askContact(b, w, given, err.missing);
    // The slot was taken between the check and the booking: offer the others.
    return null;
  }
  const intent = `booking:${slug(w.service.name)}`;
  // A booking customer is a lead; captured once per turn, with what they booked.
  if (
    input.agent.tools.includes('lead_capture') &&
    !b.actions.some((a) => a.type === 'lead_captured' && a.data.intent === intent)
  )
    await t.captureLead({ intent });
  const dayLabel = dayLabelOf(w.date, tz, w.locale);
  const at = localTimeOf(exact, tz);
  return say(w.locale, 'booking_done', { service: w.service.name, day: dayLabel, time: at });
}

/**
 * The booking waits for the visitor's name and a phone or email: an answer that gives some is
 * read, and the slot held is booked once nothing is missing (asked again for what still is). A
 * message that gives none of them is left to the other steps (a side question, a new time).
 */
export async function contactForBooking(b: BookingTurn): Promise<{ reply: string } | null> {
  const { state, input } = b;
  if (!input.agent.tools.includes('booking') || state.task !== 'booking' || state.awaiting !== 'contact')
    return null;
  const answer = contactAnswer(b.text, input.defaultCountry);
  if (!answer.name && !answer.phone && !answer.email) return null;
  const service = input.agent.business.services.find((s) => s.id === state.slots.serviceId);
  const { date, time } = state.slots;
  if (!service || !date || !time) return null;
  // "Priya, 98765 43210" tells no language: the booking's does.
  const locale = b.locale !== 'en' ? b.locale : state.locale;
  const tz = input.agent.business.timezone;
  const exact = (await b.t.checkAvailability(date, service.id)).find((s) => localTimeOf(s, tz) === time);
  const made = exact ? await bookSlot(b, { service, date, time, locale }, exact) : null;
  // Taken meanwhile: the day's other times are offered.
  return { reply: made ?? (await bookingReply(b)) };
}

/** The customer's name, phone and email as known: the contact's, those given in this task, this message's. */
export function detailsGiven(b: BookingTurn): ContactDetails {
  const v = b.input.variables;
  const held = b.state.slots;
  return mergeDetails(
    { name: v.name, email: v.email, phone: v.phone },
    { name: held.name, email: held.email, phone: held.phone },
    b.turn.lead ?? undefined,
    contactAnswer(b.text, b.input.defaultCountry),
  );
}

/** "To book your Haircut on Friday at 18:00, may I have your name and a phone number or email?" */
function askContact(b: BookingTurn, w: HeldSlot, given: ContactDetails, missing: MissingContact[]): string {
  const slots = { serviceId: w.service.id, date: w.date, time: w.time, ...given };
  ask(b, { task: 'booking', awaiting: 'contact', slots }, w.locale);
  const tz = b.input.agent.business.timezone;
  const key = missing.length === 2 ? 'booking_ask_contact' : `booking_ask_${missing[0]}`;
  return say(w.locale, key, {
    service: w.service.name,
    day: dayLabelOf(w.date, tz, w.locale),
    time: w.time,
    name: given.name ? ` ${given.name}` : '',
  });
}

/** Why nothing can be booked on the day asked for: the business is closed, or every slot is taken. */
export function noneThatDay(
  b: BookingTurn,
  date: string,
  dayLabel: string,
  locale: LocaleCode,
  noun: 'slots' | 'times',
): string {
  const closed = closedOn(b.input, date, locale);
  if (closed) return say(locale, 'none_closed', { day: closed });
  return say(locale, `none_free_${noun}`, { day: dayLabel });
}

async function noFreeSlots(b: BookingTurn, w: Wanted): Promise<string> {
  const tz = b.input.agent.business.timezone;
  const { locale, date } = w;
  const dayLabel = dayLabelOf(date, tz, locale);
  const next = await nextFreeDay(b.t, date, w.service.id, tz);
  const why = noneThatDay(b, date, dayLabel, locale, 'slots');
  if (!next) return say(locale, 'booking_no_day', { why });
  const nextLabel = dayLabelOf(next.date, tz, locale);
  const times = next.slots
    .slice(0, 3)
    .map((s) => localTimeOf(s, tz))
    .join(', ');
  b.t.note({
    type: 'booking_proposed',
    data: { service_id: w.service.id, requested: { date, time: w.time }, slots: next.slots.slice(0, 3) },
  });
  b.turn.step!.slots = { serviceId: w.service.id, date: next.date };
  return say(locale, 'booking_next_free', { why, day: nextLabel, times });
}

function offerSlots(b: BookingTurn, w: Wanted, slots: Slot[]): string {
  const tz = b.input.agent.business.timezone;
  const { locale, date, time } = w;
  const dayLabel = dayLabelOf(date, tz, locale);
  const offered = nearestSlots(slotsInPartOfDay(slots, w.context, tz), time, tz);
  const times = offered.map((s) => localTimeOf(s, tz)).join(', ');
  b.t.note({
    type: 'booking_proposed',
    data: { service_id: w.service.id, requested: { date, time }, slots: offered },
  });
  if (time) return say(locale, 'booking_nearest', { day: dayLabel, time, times });
  return say(locale, 'booking_offer', { day: dayLabel, times });
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
export const localTimeOf = (s: Slot, tz: string) =>
  DateTime.fromISO(s.start_at).setZone(tz).toFormat('HH:mm');
export const dayLabelOf = (date: string, tz: string, locale: LocaleCode = 'en') =>
  dateIn(locale, DateTime.fromISO(date, { zone: tz }), 'cccc d LLLL');

/** The days and times the messages name, newest message first. */
export function whensIn(input: EngineInput, messages: string[]): When[] {
  return messages
    .map((m) => parseWhen(m, { now: input.now, timezone: input.agent.business.timezone }))
    .filter((w): w is When => w !== null);
}

/** Up to three free slots, the nearest to the time asked for (any, without one), in time order. */
export function nearestSlots(slots: Slot[], time: string | null, tz: string): Slot[] {
  const target = time ? minutes(time) : null;
  const at = (s: Slot) => minutes(localTimeOf(s, tz));
  return (
    target === null ? slots : [...slots].sort((a, b) => Math.abs(at(a) - target) - Math.abs(at(b) - target))
  )
    .slice(0, 3)
    .sort((a, b) => a.start_at.localeCompare(b.start_at));
}

export async function nextFreeDay(t: AgentTools, date: string, serviceId: string, tz: string) {
  let d = DateTime.fromISO(date, { zone: tz });
  for (let i = 0; i < 7; i++) {
    d = d.plus({ days: 1 });
    const slots = await t.checkAvailability(d.toISODate()!, serviceId);
    if (slots.length) return { date: d.toISODate()!, slots };
  }
  return null;
}
