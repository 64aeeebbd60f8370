import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { DateTime } from 'luxon';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Issue 64: a customer writing in Tamil or Bengali through the API (the sandbox's inbound, as a
 * channel's webhook stores it) is answered in the language by the built-in agent: a price, a
 * booking read back (on WhatsApp with the free times as a list, its button in the language within
 * WhatsApp's 20 characters: a longer one lost Tamil's reply) and made on the yes, and a request for a
 * person that hands the conversation over. On both storages: the booking and the handoff are the
 * database's.
 */
const allDay = [{ open: '00:00', close: '23:59' }];
const TZ = 'Asia/Kolkata';
const cases = [
  {
    code: 'ta',
    script: /\p{Script=Tamil}/u,
    price: 'Haircut விலை என்ன?',
    ask: 'நாளை மாலை 5 மணிக்கு Haircut கிடைக்குமா?',
    at: '17:00',
    yes: 'ஆம்',
    human: 'ஒரு மனிதரிடம் பேச வேண்டும்',
  },
  {
    code: 'bn',
    script: /\p{Script=Bengali}/u,
    price: 'Haircut-এর দাম কত?',
    // An hour of its own: the Tamil customer has tomorrow's 17:00.
    ask: 'আগামীকাল সন্ধ্যা ৬টায় Haircut পাওয়া যাবে?',
    at: '18:00',
    yes: 'হ্যাঁ',
    human: 'একজন মানুষের সঙ্গে কথা বলতে চাই',
  },
];

forEachStorage('Tamil and Bengali customers through the API', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let seq = 0;
  before(async () => {
    t = await startTestApp(storage, {
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
    });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        languages: ['en', 'ta', 'bn'],
        business: {
          timezone: TZ,
          hours: {
            mon: allDay,
            tue: allDay,
            wed: allDay,
            thu: allDay,
            fri: allDay,
            sat: allDay,
            sun: allDay,
          },
          services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
        },
        handoff: { max_unanswered: 2 },
      },
    });
    assert.equal(agent.status, 201, agent.text);
  });
  after(async () => {
    await t?.close();
  });

  /** Writes as a new customer, or as `from`; answers the conversation and the AI's replies so far. */
  const say = async (text: string, from: string, replies: number) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    const conv = r.body.conversation_id as string;
    const got = await eventually(async () => {
      const m = await t.call('GET', `/v1/conversations/${conv}/messages?per_page=100`, { key: ws.test });
      const ai = m.body.data.filter((x: { sender: { type: string } }) => x.sender.type === 'ai');
      return ai.length >= replies ? ai.map((x: { text: string }) => x.text) : null;
    }, 8_000);
    return { conv, replies: got as string[] };
  };
  const phone = () => `+9198${String(20_000_000 + ++seq * 7919).padStart(8, '0')}`;

  for (const c of cases) {
    it(`${c.code}: the price is answered in the language`, async () => {
      const { replies } = await say(c.price, phone(), 1);
      assert.ok(replies[0]!.includes('₹500'), replies[0]);
      assert.match(replies[0]!, c.script);
    });

    it(`${c.code}: a booking is read back in the language and made on the yes`, async () => {
      const from = phone();
      const first = await say(c.ask, from, 1);
      assert.match(first.replies[0]!, c.script);
      assert.ok(first.replies[0]!.includes(c.at), first.replies[0]);
      const second = await say(c.yes, from, 2);
      const bookings = await eventually(async () => {
        const b = await t.call('GET', `/v1/bookings?conversation_id=${first.conv}`, { key: ws.test });
        return b.status === 200 && b.body.data.length ? b.body.data : null;
      });
      assert.match(second.replies[1]!, c.script);
      const tomorrow = DateTime.now().setZone(TZ).plus({ days: 1 }).toFormat('yyyy-MM-dd');
      assert.equal(
        DateTime.fromISO(bookings[0].start_at).setZone(TZ).toFormat('yyyy-MM-dd HH:mm'),
        `${tomorrow} ${c.at}`,
      );
    });

    it(`${c.code}: asking for a person hands the conversation over, said in the language`, async () => {
      const { conv, replies } = await say(c.human, phone(), 1);
      assert.match(replies[0]!, c.script);
      const got = await t.call('GET', `/v1/conversations/${conv}`, { key: ws.test });
      assert.equal(got.body.ai_paused, true);
    });
  }
});
