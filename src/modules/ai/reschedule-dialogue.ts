import { DateTime } from 'luxon';
import {
  ask,
  type BookingTurn,
  contextOf,
  dayLabelOf,
  localLabel,
  localTimeOf,
  nearestSlots,
  nextFreeDay,
  noneThatDay,
  whensIn,
} from './booking-dialogue.ts';
import { takesAnyTime } from './booking-words.ts';
import { slotsInPartOfDay } from './date-words.ts';
import type { Slot, UpcomingBooking } from './engine.ts';
import { confirms, isQuestion } from './intents.ts';
import { type LocaleCode, say, stickyLocale } from './locale.ts';

/** Moving a booking the customer has: the move half of the booking dialogue (booking-dialogue.ts). */

/**
 * Moving the customer's booking: without a new day, the booking is named and a day asked for;
 * with one, a free time is moved to at once when the customer asks for it plainly ("move my
 * appointment to Tuesday 10am", or answers the agent's question), or offered first when they
 * ask whether they can ("can I shift it to 6pm?"), the move made on their yes. A time alone
 * keeps the booking's day ("can we make it 9pm instead?").
 */
export async function rescheduleReply(
  b: BookingTurn,
  found: UpcomingBooking | null,
  correction?: { time: string },
): Promise<string> {
  const { input, t } = b;
  const agent = input.agent;
  const tz = agent.business.timezone;
  const context = contextOf(b, 'reschedule');
  const locale = stickyLocale(b.locale, context);
  const current = found ?? (await t.findBooking());
  if (!current) return say(locale, 'move_none');
  const service = agent.business.services.find((s) => s.id === current.service_id);
  const name = service?.name ?? 'appointment';
  const was = localLabel(current.start_at, agent, locale);
  const { date, time } = moveTarget(b, context, current, correction);
  const held = {
    bookingId: current.id,
    ...(current.service_id ? { serviceId: current.service_id } : {}),
    ...(date ? { date } : {}),
  };
  ask(b, { task: 'reschedule', awaiting: 'slot', slots: held }, locale);
  if (!date) return say(locale, 'move_ask', { service: name, was });
  const move: Move = { current, name, was, date, time, locale, context, direct: correction !== undefined };
  const start = DateTime.fromISO(current.start_at).setZone(tz);
  if (date === start.toISODate() && time === start.toFormat('HH:mm')) {
    // "today (tuesday) ASAP" about a booking already then: nothing to move.
    b.turn.step = null;
    return say(locale, 'move_same', { service: name, was });
  }
  const slots = await t.checkAvailability(date, current.service_id);
  const moved = (time ? await moveExact(b, move, slots) : null) ?? (await moveAnyTime(b, move, slots));
  if (moved) return moved;
  return slots.length === 0 ? noFreeTimes(b, move) : offerTimes(b, move, slots);
}

/**
 * The day and time a move is to: this message's day, else the one the move holds, else one said
 * earlier; a time said, else the booking's own time when only a new day was said ("sorry, I meant
 * April 2nd", "Thursday works"); a time alone keeps the booking's day.
 */
function moveTarget(
  b: BookingTurn,
  context: string[],
  current: UpcomingBooking,
  correction?: { time: string },
): { date: string | null; time: string | null } {
  const tz = b.input.agent.business.timezone;
  const start = DateTime.fromISO(current.start_at).setZone(tz);
  const whens = whensIn(b.input, context);
  const heldDate = b.task?.kind === 'reschedule' ? b.state.slots.date : undefined;
  const newDate =
    shiftedFrom(b.text, start) ??
    nextWeekOf(b.text, whensIn(b.input, [b.text]).find((w) => w.dateGiven)?.date, start) ??
    heldDate ??
    whens.find((w) => w.dateGiven)?.date;
  const said = whens.find((w) => w.time)?.time ?? null;
  const time = said ?? (newDate ? (correction?.time ?? start.toFormat('HH:mm')) : null);
  return { date: newDate ?? (time ? start.toISODate() : null), time };
}

/**
 * A move counted from the booking's own day: "a day later", "the day after", "push it back by a
 * week", "same time next week", "agle din", "ek hafte baad".
 */
function shiftedFrom(text: string, start: DateTime): string | null {
  const t = text.toLowerCase();
  const n = (w: string) => ({ a: 1, an: 1, one: 1, ek: 1, two: 2, do: 2, three: 3, teen: 3 })[w] ?? Number(w);
  const days = /\b(a|one|ek|two|do|three|teen|\d)\s+(days?|din)\s+(later|after|baad|aage)\b/.exec(t);
  if (days) return start.plus({ days: n(days[1]) }).toISODate();
  const back = /\b(a|one|ek|two|do|\d)\s+(days?|din)\s+(earlier|before|pehle|peeche)\b/.exec(t);
  if (back) return start.minus({ days: n(back[1]) }).toISODate();
  if (/\b(the day after|the next day|next day|agle din)\b(?!\s+tomorrow)/.test(t))
    return start.plus({ days: 1 }).toISODate();
  if (/\b(the day before|ek din pehle)\b/.test(t)) return start.minus({ days: 1 }).toISODate();
  if (
    /\b((a|one|ek) (week|hafte|hafta) (later|after|baad)|by a week|same (time|day) next week|next week same (time|day)|(agle|agla) (hafte|hafta) (same|isi) (time|din|samay))\b/.test(
      t,
    )
  )
    return start.plus({ weeks: 1 }).toISODate();
  return null;
}

/** "Move it to next Monday" said of a booking on the coming Monday: the Monday after it. */
function nextWeekOf(text: string, date: string | undefined, start: DateTime): string | undefined {
  if (!date || date !== start.toISODate() || !/\b(next|agle|agla)\s+\w+/i.test(text)) return date;
  return start.plus({ weeks: 1 }).toISODate()!;
}

/** "Is there any time at all on Wednesday? If so, please book it": the first time that would be offered. */
async function moveAnyTime(b: BookingTurn, move: Move, slots: Slot[]): Promise<string | null> {
  if (!takesAnyTime(b.text) || slots.length === 0) return null;
  const tz = b.input.agent.business.timezone;
  const first = nearestSlots(slotsInPartOfDay(slots, move.context, tz), move.time, tz)[0];
  return moveExact(b, { ...move, time: localTimeOf(first, tz), direct: true }, slots);
}

interface Move {
  /** A correction of the booking just made ("no, rather at 10 am"): moved without asking again. */
  direct?: boolean;
  current: UpcomingBooking;
  name: string;
  was: string;
  date: string;
  time: string | null;
  locale: LocaleCode;
  context: string[];
}

async function moveExact(b: BookingTurn, m: Move, slots: Slot[]): Promise<string | null> {
  const tz = b.input.agent.business.timezone;
  const exact = slots.find((s) => localTimeOf(s, tz) === m.time);
  if (!exact) return null;
  const { task, text, t } = b;
  const dayLabel = dayLabelOf(m.date, tz, m.locale);
  const confirmed = task?.kind === 'reschedule' && task.awaits === 'confirmation' && confirms(text);
  const askFirst = !confirmed && !m.direct && task?.kind !== 'reschedule' && isQuestion(text);
  if (askFirst) {
    t.note({
      type: 'reschedule_proposed',
      data: {
        booking_id: m.current.id,
        from: m.current.start_at,
        to: exact.start_at,
        awaiting_confirmation: true,
      },
    });
    b.turn.step = {
      task: 'reschedule',
      awaiting: 'confirm',
      slots: { ...b.turn.step?.slots, date: m.date, time: m.time ?? undefined },
      locale: m.locale,
    };
    return say(m.locale, 'move_confirm', { service: m.name, was: m.was, day: dayLabel, time: m.time ?? '' });
  }
  try {
    await t.rescheduleBooking(m.current.id, exact.start_at);
  } catch {
    // Taken between the check and the move: offer the others.
    return null;
  }
  b.turn.step = null;
  b.turn.booked = {
    bookingId: m.current.id,
    serviceId: m.current.service_id,
    date: m.date,
    time: localTimeOf(exact, tz),
  };
  return say(m.locale, 'move_done', { service: m.name, day: dayLabel, time: m.time ?? '' });
}

async function noFreeTimes(b: BookingTurn, m: Move): Promise<string> {
  const tz = b.input.agent.business.timezone;
  const { locale, date } = m;
  const dayLabel = dayLabelOf(date, tz, locale);
  const next = m.current.service_id ? await nextFreeDay(b.t, date, m.current.service_id, tz) : null;
  const why = noneThatDay(b, date, dayLabel, locale, 'times');
  if (next) {
    const nextLabel = dayLabelOf(next.date, tz, locale);
    const times = next.slots
      .slice(0, 3)
      .map((s) => localTimeOf(s, tz))
      .join(', ');
    return say(locale, 'move_next_free', { why, day: nextLabel, times });
  }
  return say(locale, 'move_no_day', { why });
}

function offerTimes(b: BookingTurn, m: Move, slots: Slot[]): string {
  const tz = b.input.agent.business.timezone;
  const { locale, date, time } = m;
  const dayLabel = dayLabelOf(date, tz, locale);
  const offered = nearestSlots(slotsInPartOfDay(slots, m.context, tz), time, tz);
  const times = offered.map((s) => localTimeOf(s, tz)).join(', ');
  if (time) return say(locale, 'move_nearest', { day: dayLabel, time, times });
  return say(locale, 'move_offer', { day: dayLabel, times });
}
