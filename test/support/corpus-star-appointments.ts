import { readFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import type { AgentConfig } from '../../src/modules/agents/agents.service.ts';
import { builtinReply } from '../../src/modules/ai/builtin.ts';
import type { DialogueState } from '../../src/modules/ai/dialogue.ts';
import type { AgentTools, Slot, Turn } from '../../src/modules/ai/engine.ts';
import { newId } from '../../src/platform/ids.ts';
import { salonAgent } from './ai-world.ts';

/**
 * The `star-appointments` corpus of `npm run eval -- --corpus`: appointment dialogues written by
 * crowd workers for STAR (Mosig, Mehri and Kober 2020, github.com/RasaHQ/STAR, MIT licence), a
 * doctor's appointment or an apartment viewing. The customer's turns are sent one at a time to
 * the built-in agent (its dialogue state carried from turn to turn, as the reply loop does), and
 * the dialogue passes when the customer ends with exactly one booking, on the weekday and at the
 * hour the dialogue booked. Hours the dialogue's own calendar answered as taken are taken here too.
 * The cases and how they were chosen: test/fixtures/corpora/star-appointments.json.
 */
export interface StarCase {
  id: string;
  business: 'clinic' | 'apartments';
  /** The weekday the scenario calls today, when it names one. */
  today: string | null;
  customer: string[];
  expect: { weekday: string; time: string };
  busy: Array<{ weekday: string; time: string }>;
}

interface StarFile {
  source: string;
  licence: string;
  selection: string;
  cases: StarCase[];
}

const fixture = new URL('../fixtures/corpora/star-appointments.json', import.meta.url);
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const ZONE = 'America/New_York';
/** The week the dialogues are replayed in: Monday 23 to Sunday 29 November 2026. */
const MONDAY = DateTime.fromObject({ year: 2026, month: 11, day: 23 }, { zone: ZONE });

export function loadStar(): StarFile {
  return JSON.parse(readFileSync(fixture, 'utf8')) as StarFile;
}

function agentFor(business: StarCase['business']): AgentConfig {
  const day = [{ open: '06:00', close: '23:00' }];
  const hours = { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day };
  const clinic = business === 'clinic';
  return salonAgent({
    name: clinic ? 'Riverside Clinic' : 'Center City Rentals',
    greeting: clinic ? 'Hello, Riverside Clinic here. How can I help?' : 'Hi! How can I help you today?',
    business: {
      timezone: ZONE,
      hours,
      address: clinic ? '1 River Road' : '400 Center Street',
      services: [
        {
          id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E71',
          name: clinic ? 'General check-up' : 'Apartment viewing',
          duration_minutes: 60,
          price: clinic ? 80 : null,
          capacity: 1,
        },
      ],
      holidays: [],
      buffer_minutes: 0,
    },
  });
}

/** The day the case's weekday falls on in the replay week, counted from today. */
function dayOf(weekday: string, today: DateTime): DateTime {
  const wd = WEEKDAYS.indexOf(weekday) + 1;
  return today.plus({ days: (wd - today.weekday + 7) % 7 });
}

export interface StarResult {
  id: string;
  ok: boolean;
  expected: string;
  booked: string[];
  transcript: string[];
}

/** Replays one dialogue; the customer's bookings at the end against the one expected. */
export async function replayStar(c: StarCase): Promise<StarResult> {
  const agent = agentFor(c.business);
  const today = c.today ? dayOf(c.today, MONDAY) : MONDAY;
  const now = today.set({ hour: 7 }).toJSDate();
  const iso = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;
  const at = (weekday: string, time: string) =>
    dayOf(weekday, today).set({ hour: Number(time.slice(0, 2)), minute: Number(time.slice(3)) });
  const busy = new Set(c.busy.map((b) => iso(at(b.weekday, b.time))));
  const mine = new Map<string, string>();
  const service = agent.business.services[0];
  const end = (start: string) => iso(DateTime.fromISO(start).plus({ minutes: service.duration_minutes }));
  const taken = (start: string) => busy.has(start) || [...mine.values()].includes(start);
  const tools: AgentTools = {
    searchKnowledge: async () => [],
    captureLead: async () => ({ id: newId('lead') }),
    checkAvailability: async (date) => {
      const d = DateTime.fromISO(date, { zone: ZONE });
      const out: Slot[] = [];
      for (let h = 6; h + service.duration_minutes / 60 <= 23; h++) {
        const start = iso(d.set({ hour: h }));
        if (!taken(start)) out.push({ start_at: start, end_at: end(start) });
      }
      return out.filter((s) => s.start_at > iso(DateTime.fromJSDate(now)));
    },
    book: async ({ startAt }) => {
      if (taken(startAt)) throw new Error('taken');
      const id = newId('bk');
      mine.set(id, startAt);
      return { id, start_at: startAt, end_at: end(startAt) };
    },
    cancelBooking: async () => {
      const first = [...mine.entries()].sort((a, b) => a[1].localeCompare(b[1]))[0];
      if (!first) return null;
      mine.delete(first[0]);
      return { id: first[0], start_at: first[1] };
    },
    findBooking: async () => {
      const first = [...mine.entries()].sort((a, b) => a[1].localeCompare(b[1]))[0];
      return first ? { id: first[0], service_id: service.id, start_at: first[1] } : null;
    },
    rescheduleBooking: async (id, startAt) => {
      if (!mine.has(id)) throw new Error('no such booking');
      if (taken(startAt)) throw new Error('taken');
      mine.set(id, startAt);
      return { id, start_at: startAt, end_at: end(startAt) };
    },
    handoff: async () => undefined,
    // The replayed businesses have no workspace tools.
    customTools: async () => [],
    runTool: async () => {
      throw new Error('the corpus replay has no workspace tools');
    },
  };
  const history: Turn[] = [];
  const transcript: string[] = [];
  let state: DialogueState | null = null;
  for (const message of c.customer) {
    const r = await builtinReply(
      { agent, messages: [message], history: [...history], variables: {}, now, defaultCountry: 'US', state },
      tools,
    );
    state = r.state ?? null;
    history.push({ role: 'customer', text: message }, { role: 'agent', text: r.reply });
    transcript.push(`C: ${message}`, `A: ${r.reply}`);
  }
  const local = (s: string) => DateTime.fromISO(s).setZone(ZONE).toFormat('cccc HH:mm');
  const booked = [...mine.values()].map(local);
  const expected = `${c.expect.weekday} ${c.expect.time}`;
  return { id: c.id, ok: booked.length === 1 && booked[0] === expected, expected, booked, transcript };
}

/** Every case, and the share booked right. */
export async function runStar(): Promise<{ results: StarResult[]; right: number; total: number }> {
  const results: StarResult[] = [];
  for (const c of loadStar().cases) results.push(await replayStar(c));
  return { results, right: results.filter((r) => r.ok).length, total: results.length };
}

/** What `npm run eval -- --corpus star-appointments` prints. */
export async function corpusReport(opts: { failures: boolean }): Promise<string> {
  const file = loadStar();
  const { results, right, total } = await runStar();
  const lines = [
    `Corpus: star-appointments (${file.source}; licence ${file.licence})`,
    `Bookings on the right day and time: ${right}/${total} (${((right / total) * 100).toFixed(1)}%)`,
  ];
  for (const kind of ['clinic', 'apartments'] as const) {
    const ids = new Set(file.cases.filter((c) => c.business === kind).map((c) => c.id));
    const mine = results.filter((r) => ids.has(r.id));
    lines.push(`  ${kind}: ${mine.filter((r) => r.ok).length}/${mine.length}`);
  }
  if (opts.failures)
    for (const r of results.filter((x) => !x.ok))
      lines.push(
        `\n- ${r.id}: expected ${r.expected}, booked [${r.booked.join(', ')}]`,
        ...r.transcript.map((t) => `    ${t}`),
      );
  return lines.join('\n');
}
