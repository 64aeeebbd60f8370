import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { holdingJob } from '../../src/modules/ai/ai.jobs.ts';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { HOLDING_EN, sendHoldingMessage } from '../../src/modules/ai/holding.ts';
import { modules } from '../../src/modules/index.ts';
import type { Trx } from '../../src/platform/db/database.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const allDay = [{ open: '00:00', close: '23:59' }];

forEachStorage('handoff holding message', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  // The app's clock: the test moves it; the holding message follows it.
  let now = new Date('2026-05-11T06:00:00Z');
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000);
  };

  before(async () => {
    t = await startTestApp(storage, {
      testing: { now: () => now },
      modules: modules.map((m) =>
        m.name === 'ai' ? createAiModule({ replyDebounceMs: 50, holdingRecheckMs: 50 }) : m,
      ),
    });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        business: { timezone: 'Asia/Kolkata', hours: { mon: allDay } },
        handoff: { keywords: ['manager'], holding_message_after_minutes: 5 },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    assert.equal(agent.body.handoff.holding_message_after_minutes, 5);
    assert.equal(agent.body.handoff.holding_message, null);
  });
  after(() => t.close());

  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    // A minute passes: the debounced reply is due.
    advance(1);
    return r.body.conversation_id as string;
  };
  const outbound = async (conv: string) =>
    (
      await t.call('GET', `/v1/conversations/${conv}/messages?per_page=100`, { key: ws.test })
    ).body.data.filter((m: { direction: string }) => m.direction === 'outbound') as Array<{
      text: string;
      sender: { type: string };
    }>;
  const waitOutbound = (conv: string, n: number) =>
    eventually(async () => {
      const out = await outbound(conv);
      return out.length >= n ? out : null;
    }, 30_000);

  it('a customer left waiting after a handoff gets one holding message, and another only after a person has replied', async () => {
    const from = '+919812340001';
    const conv = await inbound(from, 'I want to talk to the manager');
    const [handoff] = await waitOutbound(conv, 1);
    assert.match(handoff.text, /team/);
    assert.equal((await t.call('GET', `/v1/conversations/${conv}`, { key: ws.test })).body.ai_paused, true);

    await inbound(from, 'hello? is anyone there?');
    advance(6);
    const [, holding] = await waitOutbound(conv, 2);
    assert.equal(holding.text, HOLDING_EN);
    assert.equal(holding.sender.type, 'ai');

    // Still no person: the customer writes again, and the next message they get is a person's, not a second holding message.
    await inbound(from, 'please reply');
    advance(10);
    const person = await t.call('POST', `/v1/conversations/${conv}/reply`, {
      key: ws.test,
      body: { text: 'Hi, this is Ravi from Glow Salon. How can I help?' },
    });
    assert.equal(person.status < 300, true, person.text);
    const afterPerson = await waitOutbound(conv, 3);
    assert.equal(afterPerson[2].text, 'Hi, this is Ravi from Glow Salon. How can I help?');

    // A new wait after the person's reply earns a new holding message.
    await inbound(from, 'can I come at 5?');
    advance(6);
    const all = await waitOutbound(conv, 4);
    assert.equal(all[3].text, HOLDING_EN);
    assert.equal(all.filter((m) => m.text === HOLDING_EN).length, 2);
  });

  it('uses the agent’s own holding message; the setting merges with the others and is validated', async () => {
    const agents = await t.call('GET', '/v1/agents', { key: ws.test });
    const id = agents.body.data[0].id;
    const patched = await t.call('PATCH', `/v1/agents/${id}`, {
      key: ws.test,
      body: { handoff: { holding_message: 'A stylist will be with you in a moment.' } },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.handoff.keywords[0], 'manager', 'handoff settings merge');
    const bad = await t.call('PATCH', `/v1/agents/${id}`, {
      key: ws.test,
      body: { handoff: { holding_message_after_minutes: 0 } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.errors[0].field, 'handoff.holding_message_after_minutes');

    const from = '+919812340002';
    const conv = await inbound(from, 'manager please');
    await waitOutbound(conv, 1);
    await inbound(from, 'hello?');
    advance(6);
    const out = await waitOutbound(conv, 2);
    assert.equal(out[1].text, 'A stylist will be with you in a moment.');
  });

  it('a customer message stored while a holding job runs, its own look swallowed by that job, still gets a holding message', async () => {
    const from = '+919812340003';
    const conv = await inbound(from, 'manager please');
    await waitOutbound(conv, 1);
    const person = await t.call('POST', `/v1/conversations/${conv}/reply`, {
      key: ws.test,
      body: { text: 'Hi, Ravi here. Anything else?' },
    });
    assert.equal(person.status < 300, true, person.text);
    await waitOutbound(conv, 2);

    // A holding job for this conversation, live (not due for an hour): it stands for one that is running.
    const payload = { workspaceId: ws.id, livemode: false, conversationId: conv };
    const running = await t.ctx.queue.enqueue(t.ctx.db, holdingJob, payload, {
      singletonKey: `ai-holding:${conv}`,
      delayMs: 3_600_000,
    });
    assert.ok(running);
    let completed = false;
    const complete = async (db: Trx) => {
      completed = true;
      if (storage === 'sqlite') {
        await db.updateTable('jobs').set({ state: 'completed' }).where('id', '=', running).execute();
      } else {
        await sql`update pgboss.job set state = 'completed' where id = ${running}::uuid`.execute(db);
      }
    };
    // The customer writes after the job has read the conversation (nothing waiting: a person
    // answered last) and before the job is over: the message's own holding job is not enqueued.
    let stored = false;
    const customerWrites = async () => {
      if (stored) return;
      stored = true;
      await inbound(from, 'can I come at 5?');
      const live = await t.ctx.queue.enqueue(t.ctx.db, holdingJob, payload, {
        singletonKey: `ai-holding:${conv}`,
      });
      assert.equal(live, null, 'the running job holds the singleton');
    };
    const ctx = {
      ...t.ctx,
      transaction: (async (fn: Parameters<typeof t.ctx.transaction>[0]) => {
        await customerWrites();
        return t.ctx.transaction(fn);
      }) as typeof t.ctx.transaction,
    };
    await sendHoldingMessage(
      ctx,
      payload,
      { replyDebounceMs: 50, holdingRecheckMs: 50, llm: {} },
      {
        id: running,
        attempt: 1,
        maxAttempts: 3,
        completeWith: complete,
      },
    );
    // As the worker does after a handler returns: the message arrives, then the job completes.
    await customerWrites();
    if (!completed) await t.ctx.transaction((tx) => complete(tx.db));

    advance(6);
    const out = await waitOutbound(conv, 3);
    assert.equal(out[2].text, 'A stylist will be with you in a moment.');
  });
});
