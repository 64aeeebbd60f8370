import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const ORIGIN = 'https://www.glowsalon.in';
// A Monday morning in Kolkata: "tomorrow at 15:00" is a Tuesday afternoon, inside the hours below.
const NOW = new Date('2026-03-02T04:00:00Z');
const open = [{ open: '10:00', close: '19:00' }];
const business = {
  timezone: 'Asia/Kolkata',
  hours: { mon: open, tue: open, wed: open, thu: open, fri: open, sat: open, sun: [] },
  services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
};

/**
 * A website visitor is asked for a name and a phone or email before anything is booked for them
 * (`booking.require_contact`, on by default): the built-in agent holds the slot, reads the answer,
 * stores it on the contact and books; an LLM agent's booking is refused until the contact has them.
 * Off, a visitor is booked at once, as before.
 */
forEachStorage('booking.require_contact', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let fake: FakeLlm;
  let channelId: string;
  let seq = 0;
  const started = Date.now();

  before(async () => {
    fake = await startFakeLlm();
    t = await startTestApp(storage, {
      // The app's clock runs at real speed from NOW (the reply's debounce window closes).
      testing: { now: () => new Date(NOW.getTime() + (Date.now() - started)) },
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 20, llm: { timeoutMs: 10_000 } }) : m,
      ),
    });
    ws = await t.workspace({ default_country: 'IN' });
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.test,
      body: {
        type: 'web',
        provider: 'widget',
        address: 'glowsalon.in',
        settings: { allowed_domains: ['www.glowsalon.in'] },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
  });
  after(async () => {
    await t?.close();
    await fake?.close();
  });

  const useAgent = async (body: Record<string, unknown>) => {
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { business, ...body } });
    assert.equal(agent.status, 201, agent.text);
    const bound = await t.call('PATCH', `/v1/channels/${channelId}`, {
      key: ws.test,
      body: { agent_id: agent.body.id },
    });
    assert.equal(bound.status, 200, bound.text);
    return agent.body;
  };

  /** A new visitor: a function that sends their message and waits for the agent's next reply. */
  const visitor = async () => {
    const s = await t.call('POST', `/widget/${channelId}/session`, { body: {}, headers: { origin: ORIGIN } });
    assert.equal(s.status, 201, s.text);
    const { token, visitor_id } = s.body as { token: string; visitor_id: string };
    const row = () =>
      t.ctx.db
        .selectFrom('widget_visitors')
        .select('contact_id')
        .where('id', '=', visitor_id)
        .executeTakeFirstOrThrow();
    let replies = 0;
    const send = async (text: string) => {
      const sent = await t.call('POST', `/widget/${channelId}/messages`, {
        body: { text },
        headers: { origin: ORIGIN, authorization: `Bearer ${token}`, 'idempotency-key': `rc-${++seq}-key` },
      });
      assert.equal(sent.status, 201, sent.text);
      const contactId = (await row()).contact_id;
      const conv = await eventually(async () => {
        const list = await t.call('GET', `/v1/conversations?contact_id=${contactId}`, { key: ws.test });
        return list.body.data[0]?.id as string | undefined;
      });
      const ai = await eventually(async () => {
        const msgs = await t.call('GET', `/v1/conversations/${conv}/messages?per_page=100`, { key: ws.test });
        const mine = (msgs.body.data as any[]).filter((m) => m.sender.type === 'ai');
        return mine.length > replies ? mine : null;
      });
      replies = ai.length;
      return { reply: ai[ai.length - 1].text as string, conv, contactId };
    };
    return { send };
  };
  const bookingsOf = async (conv: string) =>
    (await t.call('GET', `/v1/bookings?conversation_id=${conv}`, { key: ws.test })).body.data as any[];
  const contactOf = async (id: string) => (await t.call('GET', `/v1/contacts/${id}`, { key: ws.test })).body;

  describe('the built-in agent', () => {
    it('asks a visitor for a name and a phone or email, stores them, then books the slot it held', async () => {
      const agent = await useAgent({ name: 'Glow Salon' });
      assert.deepEqual(agent.booking, { require_contact: true }, 'on by default');
      const v = await visitor();
      const first = await v.send('Book a haircut tomorrow at 15:00');
      assert.match(first.reply, /15:00/);
      assert.match(first.reply, /name and a phone number or email/);
      assert.equal((await bookingsOf(first.conv)).length, 0, 'nothing booked before the details');

      const second = await v.send('Priya Sharma');
      assert.match(second.reply, /phone number or email/);
      assert.equal((await bookingsOf(first.conv)).length, 0, 'a name alone is not enough');

      const third = await v.send('98765 43210');
      assert.match(third.reply, /booked for Tuesday 3 March at 15:00/);
      const booked = await bookingsOf(first.conv);
      assert.equal(booked.length, 1);
      assert.match(booked[0].start_at, /2026-03-03T09:30:00/);
      assert.match(booked[0].notes, /Priya Sharma, \+919876543210/, 'the details given stay on the booking');
      const contact = await contactOf(first.contactId);
      assert.equal(contact.name, 'Priya Sharma');
      assert.equal(contact.phone, '+919876543210');
    });

    it('a visitor who gives their details with the request is booked at once', async () => {
      await useAgent({ name: 'Glow Salon' });
      const v = await visitor();
      const r = await v.send('My name is Ravi, ravi@example.com. Book a haircut tomorrow at 16:00');
      assert.match(r.reply, /booked for Tuesday 3 March at 16:00/);
      assert.equal((await bookingsOf(r.conv)).length, 1);
      const contact = await contactOf(r.contactId);
      assert.equal(contact.email, 'ravi@example.com');
      assert.equal(contact.name, 'Ravi');
    });

    it('off: a visitor is booked as soon as the slot is settled', async () => {
      await useAgent({ name: 'Glow Salon', booking: { require_contact: false } });
      const v = await visitor();
      const r = await v.send('Book a haircut tomorrow at 17:00');
      assert.match(r.reply, /booked for Tuesday 3 March at 17:00/);
      assert.equal((await bookingsOf(r.conv)).length, 1);
    });

    it('the setting is validated and saved by PATCH', async () => {
      const agent = await useAgent({ name: 'Glow Salon' });
      const bad = await t.call('PATCH', `/v1/agents/${agent.id}`, {
        key: ws.test,
        body: { booking: { require_contact: 'yes' } },
      });
      assert.equal(bad.status, 400, bad.text);
      const same = await t.call('GET', `/v1/agents/${agent.id}`, { key: ws.test });
      assert.deepEqual(same.body.booking, { require_contact: true });
      const off = await t.call('PATCH', `/v1/agents/${agent.id}`, {
        key: ws.test,
        body: { booking: { require_contact: false } },
      });
      assert.equal(off.status, 200, off.text);
      assert.deepEqual(off.body.booking, { require_contact: false });
    });
  });

  describe('an LLM agent', () => {
    it("the booking is refused with a question until the visitor's contact has a name and a phone or email", async () => {
      await useAgent({
        name: 'Glow Salon LLM',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: fake.url, api_key: 'sk-test' },
      });
      const v = await visitor();
      const start_at = '2026-03-03T09:30:00.000Z';
      fake.script.push(say('Booked for tomorrow at 15:00!', { type: 'book', start_at }));
      const first = await v.send('Book a haircut tomorrow at 3 pm');
      assert.match(first.reply, /may I have your name and a phone number or email/);
      assert.doesNotMatch(first.reply, /Booked/);
      assert.equal((await bookingsOf(first.conv)).length, 0);
      const prompt = JSON.stringify(fake.requests.at(-1));
      assert.match(prompt, /ask for the customer's name and a phone number or email/);

      fake.script.push(
        say(
          'Thanks Asha, you are booked for tomorrow at 15:00.',
          { type: 'book', start_at },
          {
            name: 'Asha',
            email: 'asha@example.com',
          },
        ),
      );
      const second = await v.send('Asha, asha@example.com');
      assert.match(second.reply, /you are booked/);
      assert.equal((await bookingsOf(first.conv)).length, 1);
      const contact = await contactOf(first.contactId);
      assert.equal(contact.name, 'Asha');
      assert.equal(contact.email, 'asha@example.com');
    });
  });
});
