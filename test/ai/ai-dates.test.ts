import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/** Issue 33: days of the month, uncertain dates confirmed in words, parts of the day. */
const hours = [{ open: '10:00', close: '21:00' }];
const agentBody = {
  name: 'Glow Salon',
  business: {
    timezone: 'Asia/Kolkata',
    hours: { mon: hours, tue: hours, wed: hours, thu: hours, fri: hours, sat: hours, sun: hours },
    services: [{ name: 'Haircut', duration_minutes: 30, price: 500 }],
  },
};
// Monday 23 November 2026, 10:00 in Kolkata.
const NOW = new Date('2026-11-23T04:30:00Z');

interface Action {
  type: string;
  data: Record<string, any>;
}
interface Turn {
  role: 'customer' | 'agent';
  text: string;
}

forEachStorage('ai dates', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  before(async () => {
    t = await startTestApp(storage, { testing: { now: () => NOW } });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: agentBody });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(() => t.close());

  const say = async (message: string, history: Turn[] = []) => {
    const r = await t.call('POST', `/v1/agents/${agentId}/test`, {
      key: ws.test,
      body: { message, history },
    });
    assert.equal(r.status, 200, r.text);
    return r.body as { reply: string; actions: Action[] };
  };
  const booked = (actions: Action[]) => actions.find((a) => a.type === 'would_book');
  const localStart = (a: Action | undefined) =>
    a ? new Date(a.data.start_at).toLocaleString('sv-SE', { timeZone: 'Asia/Kolkata' }).slice(0, 16) : null;

  describe('a day of the month', () => {
    it('"on 28th after 5pm" is Saturday 28 November, confirmed in words before it is booked', async () => {
      const first = await say('I want haircut on 28th after 5pm');
      assert.equal(
        booked(first.actions),
        undefined,
        `nothing is booked before the customer confirms: ${first.reply}`,
      );
      assert.match(first.reply, /Saturday 28 November at 5 PM\?/, first.reply);
      const proposed = first.actions.find((a) => a.type === 'booking_proposed');
      assert.equal(proposed?.data.requested.date, '2026-11-28');
      const yes = await say('yes', [
        { role: 'customer', text: 'I want haircut on 28th after 5pm' },
        { role: 'agent', text: first.reply },
      ]);
      assert.equal(localStart(booked(yes.actions)), '2026-11-28 17:00', yes.reply);
    });

    it('a day that has passed this month is next month\'s ("on the 3rd"); "28 tarikh" is the 28th', async () => {
      const third = await say('haircut on the 3rd at 11am please');
      assert.match(third.reply, /Thursday 3 December at 11 AM\?/, third.reply);
      assert.equal(booked(third.actions), undefined);
      const tarikh = await say('28 tarikh ko 5 baje haircut book karna hai');
      assert.match(tarikh.reply, /Saturday 28 November at 5 PM\?/, tarikh.reply);
      assert.equal(booked(tarikh.actions), undefined);
    });

    it('a time with no day asks for the day (issue 46); a day and time said plainly still books at once', async () => {
      const bare = await say('book a haircut at 6pm');
      assert.equal(booked(bare.actions), undefined, bare.reply);
      assert.match(bare.reply, /Which day would you like 18:00 for your Haircut\?/, bare.reply);
      const plain = await say('kal 3 baje haircut book karna hai');
      assert.equal(localStart(booked(plain.actions)), '2026-11-24 15:00', plain.reply);
    });
  });

  describe('parts of the day', () => {
    const offeredHours = (actions: Action[]) =>
      (actions.find((a) => a.type === 'booking_proposed')?.data.slots ?? []).map((s: { start_at: string }) =>
        new Date(s.start_at).toLocaleString('sv-SE', { timeZone: 'Asia/Kolkata' }).slice(11, 16),
      );
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
        assert.equal(proposed?.data.requested.date, date, r.reply);
        const hoursOffered = offeredHours(r.actions);
        assert.ok(hoursOffered.length > 0, r.reply);
        for (const hhmm of hoursOffered) {
          const h = Number(hhmm.slice(0, 2));
          assert.ok(h >= from && h < to, `${hhmm} is outside ${from}-${to}: ${r.reply}`);
        }
        assert.equal(booked(r.actions), undefined);
      });
    }
  });
});
