import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Issue 33: a date confirmed in words before it is booked, through the playground (the agent's
 * route, its history and its dry-run actions). The other date cases (next month's days, a time
 * with no day, parts of the day) are units: src/modules/ai/booking-dates.test.ts.
 */
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
  });
});
