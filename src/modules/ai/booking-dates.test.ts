/**
 * The built-in agent's booking steps for dates as units (issue 33): a day of the month, a date
 * confirmed in words before it is booked, a time with no day, parts of the day. No server, no
 * storage: `builtinReply` with availability from the agent's opening hours in memory, and a fixed
 * clock. test/ai/ai-dates.test.ts keeps one conversation through the playground over HTTP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DateTime } from 'luxon';
import type { AgentConfig } from '../agents/index.ts';
import { builtinReply } from './builtin.ts';
import type { AgentTools, EngineResult, Slot, Turn } from './engine.ts';

const hours = [{ open: '10:00', close: '21:00' }];
const agent: AgentConfig = {
  id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  workspaceId: 'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  livemode: false,
  name: 'Glow Salon',
  status: 'active',
  phoneNumber: null,
  instructions: '',
  greeting: null,
  languages: ['en', 'hi'],
  model: { provider: 'builtin', name: 'builtin', baseUrl: null, apiKey: null },
  tools: ['knowledge', 'lead_capture', 'booking', 'handoff'],
  handoff: {
    keywords: ['human', 'agent', 'manager'],
    max_unanswered: 2,
    holding_message_after_minutes: 5,
    holding_message: null,
  },
  business: {
    timezone: 'Asia/Kolkata',
    hours: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: hours, sun: hours },
    address: null,
    services: [
      {
        id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E61',
        name: 'Haircut',
        duration_minutes: 30,
        price: 500,
        capacity: 1,
      },
    ],
    holidays: [],
    buffer_minutes: 0,
  },
  leadFields: [],
};
// Monday 23 November 2026, 10:00 in Kolkata.
const NOW = new Date('2026-11-23T04:30:00Z');
const tz = agent.business.timezone;

/** Free slots every 30 minutes within the opening hours, from now on; nothing is booked. */
const tools: AgentTools = {
  searchKnowledge: async () => [],
  captureLead: async () => ({ id: null }),
  checkAvailability: async (date) => {
    const day = DateTime.fromISO(date, { zone: tz });
    const slots: Slot[] = [];
    let start = day.set({ hour: 10 });
    const close = day.set({ hour: 21 });
    for (; start.plus({ minutes: 30 }) <= close; start = start.plus({ minutes: 30 }))
      if (start.toMillis() > NOW.getTime())
        slots.push({
          start_at: start.toUTC().toISO({ suppressMilliseconds: true })!,
          end_at: start.plus({ minutes: 30 }).toUTC().toISO({ suppressMilliseconds: true })!,
        });
    return slots;
  },
  book: async ({ startAt }) => ({
    id: null,
    start_at: startAt,
    end_at: DateTime.fromISO(startAt).plus({ minutes: 30 }).toUTC().toISO()!,
  }),
  cancelBooking: async () => null,
  findBooking: async () => null,
  rescheduleBooking: async () => {
    throw new Error('no booking to move here');
  },
  handoff: async () => undefined,
  customTools: async () => [],
  runTool: async () => {
    throw new Error('no workspace tools here');
  },
};

/** One message as the playground sends it: the history's words only, no dialogue state. */
const say = (message: string, history: Turn[] = []): Promise<EngineResult> =>
  builtinReply({ agent, messages: [message], history, variables: {}, now: NOW, defaultCountry: 'IN' }, tools);
const booked = (r: EngineResult) => r.actions.find((a) => a.type === 'booking_created');
const local = (iso: string) => new Date(iso).toLocaleString('sv-SE', { timeZone: tz }).slice(0, 16);

describe('a day of the month', () => {
  it('"on 28th after 5pm" is Saturday 28 November, confirmed in words before it is booked', async () => {
    const first = await say('I want haircut on 28th after 5pm');
    assert.equal(booked(first), undefined, `nothing is booked before the customer confirms: ${first.reply}`);
    assert.match(first.reply, /Saturday 28 November at 5 PM\?/, first.reply);
    const proposed = first.actions.find((a) => a.type === 'booking_proposed');
    assert.equal((proposed?.data.requested as { date: string } | undefined)?.date, '2026-11-28');
    const yes = await say('yes', [
      { role: 'customer', text: 'I want haircut on 28th after 5pm' },
      { role: 'agent', text: first.reply },
    ]);
    const made = booked(yes);
    assert.ok(made, yes.reply);
    assert.equal(local(made.data.start_at as string), '2026-11-28 17:00');
  });

  it('a day that has passed this month is next month\'s ("on the 3rd"); "28 tarikh" is the 28th', async () => {
    const third = await say('haircut on the 3rd at 11am please');
    assert.match(third.reply, /Thursday 3 December at 11 AM\?/, third.reply);
    assert.equal(booked(third), undefined);
    const tarikh = await say('28 tarikh ko 5 baje haircut book karna hai');
    assert.match(tarikh.reply, /Saturday 28 November at 5 PM\?/, tarikh.reply);
    assert.equal(booked(tarikh), undefined);
  });

  it('a time with no day asks for the day (issue 46); a day and time said plainly still books at once', async () => {
    const bare = await say('book a haircut at 6pm');
    assert.equal(booked(bare), undefined, bare.reply);
    assert.match(bare.reply, /Which day would you like 18:00 for your Haircut\?/, bare.reply);
    const plain = await say('kal 3 baje haircut book karna hai');
    const made = booked(plain);
    assert.ok(made, plain.reply);
    assert.equal(local(made.data.start_at as string), '2026-11-24 15:00');
  });
});

describe('parts of the day', () => {
  const cases: Array<[string, string, number, number]> = [
    ['haircut saturday evening', '2026-11-28', 17, 21],
    ['kal shaam haircut book karna hai', '2026-11-24', 17, 21],
    ['haircut on saturday morning', '2026-11-28', 10, 12],
    ['parso dopahar haircut', '2026-11-25', 12, 17],
    ['haircut on friday night', '2026-11-27', 19, 24],
    ['kal subah haircut', '2026-11-24', 10, 12],
    ['kal raat haircut', '2026-11-24', 19, 24],
  ];
  for (const [message, date, from, to] of cases) {
    it(`"${message}" offers ${date} between ${from}:00 and ${to}:00`, async () => {
      const r = await say(message);
      const proposed = r.actions.find((a) => a.type === 'booking_proposed');
      assert.equal((proposed?.data.requested as { date: string } | undefined)?.date, date, r.reply);
      const offered = ((proposed?.data.slots ?? []) as Array<{ start_at: string }>).map((s) =>
        Number(local(s.start_at).slice(11, 13)),
      );
      assert.ok(offered.length > 0, r.reply);
      for (const h of offered) assert.ok(h >= from && h < to, `${h}:00 is outside ${from}-${to}: ${r.reply}`);
      assert.equal(booked(r), undefined);
    });
  }
});
