import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { replyJob } from '../../src/modules/ai/ai.jobs.ts';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { answerConversation } from '../../src/modules/ai/ai.service.ts';
import { modules } from '../../src/modules/index.ts';
import {
  eventually,
  forEachStorage,
  signal,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const allDay = [{ open: '00:00', close: '24:00' }];
const everyDay = {
  mon: allDay,
  tue: allDay,
  wed: allDay,
  thu: allDay,
  fri: allDay,
  sat: allDay,
  sun: allDay,
};

interface Msg {
  id: string;
  text: string | null;
  direction: string;
  type: string;
  created_at: string;
}

/**
 * The customer never waits in silence (issue 45, items 1-3): a handoff, whoever makes it, tells the
 * customer at once what happens next; out of hours the AI still answers from its knowledge;
 * resolving ends the handoff; handing back (by a person or a timed-out policy) answers the
 * customer's unanswered messages.
 */
forEachStorage('handoffs tell the customer what happens next', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  // Monday 11 May 2026, 11:30 in India; the app's clock runs from there, and jumps when told.
  const base = Date.parse('2026-05-11T06:00:00Z');
  const started = Date.now();
  let jumped = 0;
  const advance = (minutes: number) => {
    jumped += minutes * 60_000;
  };

  before(async () => {
    t = await startTestApp(storage, {
      testing: { now: () => new Date(base + (Date.now() - started) + jumped) },
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 600 }) : m)),
    });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      // Two misses before the AI hands off by itself: these tests hand off by the API and by words.
      body: {
        name: 'Smile Dental',
        business: { timezone: 'Asia/Kolkata', hours: everyDay },
        handoff: { max_unanswered: 2 },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    const kb = await t.call('POST', `/v1/agents/${agentId}/knowledge`, {
      key: ws.test,
      body: {
        title: 'Clinic policies',
        doc_type: 'markdown',
        content:
          '## Emergencies\nFor a dental emergency after hours, call our emergency line +91 98200 00000.',
      },
    });
    assert.equal(kb.status, 201, kb.text);
    const faq = await t.call('POST', `/v1/agents/${agentId}/knowledge`, {
      key: ws.test,
      body: {
        doc_type: 'faq',
        faqs: [{ question: 'Do you have parking?', answer: 'Yes, free parking in the basement.' }],
      },
    });
    assert.equal(faq.status, 201, faq.text);
    const pain = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: {
        name: 'Pain is urgent',
        event: 'message.received',
        conditions: [{ field: 'text', op: 'contains', value: 'pain' }],
        actions: [{ type: 'handoff', reason: 'pain' }],
      },
    });
    assert.equal(pain.status, 201, pain.text);
  });
  after(() => t.close());

  let phone = 0;
  const inbound = async (text: string, from?: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: from ?? `+91981240${String(++phone).padStart(4, '0')}`, text },
    });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  const messages = async (id: string) =>
    (
      (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: ws.test })).body
        .data as Msg[]
    ).sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
  const sent = async (id: string) =>
    (await messages(id)).filter((m) => m.direction === 'outbound' && m.type === 'text');
  /** Waits until the conversation has at least `n` outbound messages; returns them, oldest first. */
  const sentAtLeast = (id: string, n: number) =>
    eventually(async () => {
      const out = await sent(id);
      return out.length >= n ? out : null;
    }, 20_000);
  /** Waits for an outbound message matching `re`. */
  const sentMatching = (id: string, re: RegExp) =>
    eventually(async () => (await sent(id)).find((m) => re.test(m.text ?? '')), 20_000);
  const get = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;
  const setHolidays = async (holidays: string[]) => {
    const r = await t.call('PATCH', `/v1/agents/${agentId}`, {
      key: ws.test,
      body: { business: { holidays } },
    });
    assert.equal(r.status, 200, r.text);
  };
  const today = () => new Date(base + (Date.now() - started) + jumped).toISOString().slice(0, 10);

  it('an automation handing off tells the customer at once that a person will reply', async () => {
    const id = await inbound('I have severe tooth pain since last night');
    await sentMatching(id, /connecting you with a member of our team; they will reply here shortly/);
    const c = await get(id);
    assert.equal(c.ai_paused, true, 'handed off');
  });

  it('a handoff by the API tells the customer too, in their language, once', async () => {
    const id = await inbound('mujhe appointment ke baare mein puchna hai');
    const [ai] = await sentAtLeast(id, 1);
    const h = await t.call('POST', `/v1/conversations/${id}/handoff`, {
      key: ws.test,
      body: { reason: 'vip' },
    });
    assert.equal(h.status, 200, h.text);
    const out = await sentAtLeast(id, 2);
    assert.equal(out[0]!.id, ai!.id);
    assert.match(out[1]!.text!, /hamari team ke ek member se connect/);
    // Handing off again changes nothing: no second notice (the next customer message is a signal).
    await t.call('POST', `/v1/conversations/${id}/handoff`, { key: ws.test, body: { reason: 'vip' } });
    assert.equal((await sent(id)).length, 2);
  });

  it('out of hours: one notice of when a person answers, and the AI answers from its knowledge', async () => {
    await setHolidays([today()]);
    try {
      const id = await inbound('I have severe tooth pain, is there an emergency number?');
      const out = await sentAtLeast(id, 2);
      const texts = out.map((m) => m.text ?? '');
      assert.ok(
        texts.some((x) => /closed right now; a person will answer from Tuesday 12 May/.test(x)),
        texts.join(' | '),
      );
      assert.ok(
        texts.some((x) => /98200 00000/.test(x)),
        `the AI answers from knowledge: ${texts.join(' | ')}`,
      );
      assert.ok(!texts.some((x) => /shortly/.test(x)), texts.join(' | '));
    } finally {
      await setHolidays([]);
    }
  });

  it('out of hours, the AI handing off itself says when a person answers, never "shortly"', async () => {
    await setHolidays([today()]);
    try {
      const id = await inbound('I want to talk to a human');
      const [reply] = await sentAtLeast(id, 1);
      assert.match(
        reply!.text!,
        /closed right now; a member of our team will answer here from Tuesday 12 May/,
      );
      assert.doesNotMatch(reply!.text!, /shortly/);
      // The AI keeps helping: its answer to the next message is the next message sent, no notice between.
      await inbound('is there an emergency number?', (await get(id)).contact.phone);
      const out = await sentAtLeast(id, 2);
      assert.match(out[1]!.text!, /98200 00000/);
      assert.equal(out.length, 2, out.map((m) => m.text).join(' | '));
    } finally {
      await setHolidays([]);
    }
  });

  it('wording: "closed today (a holiday)", and a yes or a no is answered as such', async () => {
    const ask = async (message: string) => {
      const r = await t.call('POST', `/v1/agents/${agentId}/test`, { key: ws.test, body: { message } });
      assert.equal(r.status, 200, r.text);
      return r.body.reply as string;
    };
    await setHolidays([today()]);
    try {
      const open = await ask('are you open today?');
      assert.match(open, /^We're closed today \(a holiday\)\./);
    } finally {
      await setHolidays([]);
    }
    assert.equal(await ask('yes'), 'Sure, what would you like to know?');
    assert.equal(await ask('no'), 'Alright. If anything else comes up, just write here.');
  });

  it('resolving ends the handoff: the customer writing after it is answered by the AI', async () => {
    const from = '+919812499001';
    const id = await inbound('my gums are in pain', from);
    await sentMatching(id, /connecting you/);
    assert.equal((await get(id)).ai_paused, true);
    const closed = await t.call('POST', `/v1/conversations/${id}/close`, { key: ws.test });
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.body.ai_paused, false, 'the handoff ended');
    const ended = await t.call('GET', `/v1/events?type=conversation.handoff_resolved&object_id=${id}`, {
      key: ws.test,
    });
    assert.equal(ended.body.data.length, 1);
    await inbound('also do you have parking?', from);
    await sentMatching(id, /free parking/);
  });

  it('a customer writing while a reply job runs on a handed-off conversation is answered once the handoff ends', async () => {
    const from = '+919812499004';
    const id = await inbound('pain near my molar', from);
    await sentMatching(id, /connecting you/);
    // A reply job that is live holds the conversation's key: the customer's next message enqueues
    // no reply of its own (the job stands for one that had just started when the person closed).
    const payload = { workspaceId: ws.id, livemode: false, conversationId: id };
    // (Once the first message's reply job has ended: until then the key is its.)
    await eventually(() =>
      t.ctx.queue.enqueue(t.ctx.db, replyJob, payload, {
        singletonKey: `ai-reply:${id}`,
        runAt: new Date(Date.now() + 3_600_000),
      }),
    );
    // That job reads the conversation handed off, then waits while the person closes it and the
    // customer writes again.
    const { promise: read, resolve: reading } = signal();
    const { promise: resumed, resolve: resume } = signal();
    // (A wrapper of the database that holds the first read of the conversation until told; the
    // connection is not held meanwhile, as SQLite's single connection must stay free.)
    type Builder = { executeTakeFirst(): Promise<unknown> };
    const gateAfterRead = (qb: Builder): Builder =>
      new Proxy(qb, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target);
          if (typeof v !== 'function') return v;
          if (prop === 'executeTakeFirst')
            return async () => {
              const row = await target.executeTakeFirst();
              reading();
              await resumed;
              return row;
            };
          return (...args: unknown[]) => {
            const out = v.apply(target, args);
            return out && typeof out === 'object' && 'executeTakeFirst' in out ? gateAfterRead(out) : out;
          };
        },
      });
    let held = false;
    const db = new Proxy(t.ctx.db, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop === 'selectFrom')
          return (table: string) => {
            const qb = target.selectFrom(table as 'conversations');
            if (table !== 'conversations' || held) return qb;
            held = true;
            return gateAfterRead(qb as unknown as Builder);
          };
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const running = answerConversation(
      { ...t.ctx, db },
      payload,
      { replyDebounceMs: 600, llm: { timeoutMs: 20_000, maxSteps: 5 } },
      {
        id: 'job_gated',
        attempt: 1,
        maxAttempts: 3,
        completeWith: async () => {},
      },
    );
    await Promise.race([
      read,
      running.then(() => {
        throw new Error('the reply job ended without reading the conversation');
      }),
    ]);
    const closed = await t.call('POST', `/v1/conversations/${id}/close`, { key: ws.test });
    assert.equal(closed.status, 200, closed.text);
    await inbound('is there parking at the clinic?', from);
    resume();
    await running;
    await sentMatching(id, /free parking/);
  });

  it('handing back to the AI answers the message the customer is waiting on', async () => {
    const from = '+919812499002';
    const id = await inbound('tooth pain again', from);
    await sentMatching(id, /connecting you/);
    await inbound('do you have parking?', from);
    const back = await t.call('POST', `/v1/conversations/${id}/handoff/resolve`, { key: ws.test });
    assert.equal(back.status, 200, back.text);
    await sentMatching(id, /free parking/);
  });

  it('a handoff timing out with ai_resume answers the waiting customer', async () => {
    const set = await t.call('PUT', '/v1/handoff-policy', {
      key: ws.test,
      body: { reply_within_minutes: 5, on_timeout: 'ai_resume' },
    });
    assert.equal(set.status, 200, set.text);
    try {
      const from = '+919812499003';
      const id = await inbound('pain in my tooth', from);
      await sentMatching(id, /connecting you/);
      await inbound('do you have parking?', from);
      advance(6);
      await sentMatching(id, /free parking/);
      const timeout = await t.call('GET', `/v1/events?type=conversation.handoff_timeout&object_id=${id}`, {
        key: ws.test,
      });
      assert.equal(timeout.body.data[0].data.handoff_timeout.action, 'ai_resume');
    } finally {
      await t.call('PUT', '/v1/handoff-policy', { key: ws.test, body: { on_timeout: 'notify' } });
    }
  });
});
