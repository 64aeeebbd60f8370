import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const allDay = [{ open: '00:00', close: '23:59' }];
const agentBody = {
  name: 'Glow Salon',
  business: {
    timezone: 'Asia/Kolkata',
    hours: { mon: allDay, tue: allDay, wed: allDay, thu: allDay, fri: allDay, sat: allDay, sun: allDay },
    services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }],
  },
  handoff: { keywords: ['manager'], max_unanswered: 2 },
};

let phoneSeq = 0;
const nextPhone = () => `+9197${String(20_000_000 + ++phoneSeq * 7919).padStart(8, '0')}`;

forEachStorage('agent replay', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let convA: string;
  let convB: string;

  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  /**
   * Sends a customer message and waits for the conversation's n-th AI reply and its record: the
   * reply job sends the message, then records its actions (`ai_replies`) in a transaction of
   * its own. Waiting for the message alone let the replay below read a handoff reply without its
   * actions when the machine was busy (then "changed"; seen on PostgreSQL in full runs).
   */
  const ask = async (from: string, text: string, replies: number) => {
    const conv = await inbound(from, text);
    await eventually(async () => {
      const r = await t.call('GET', `/v1/conversations/${conv}/messages?per_page=100`, { key: ws.test });
      const sent = r.body.data.filter((m: { direction: string }) => m.direction === 'outbound').length;
      const recorded = await t.ctx.db
        .selectFrom('ai_replies')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('conversation_id', '=', conv)
        .executeTakeFirstOrThrow();
      return sent >= replies && Number(recorded.n) >= replies ? true : null;
    }, 15_000);
    return conv;
  };
  const counts = async () => {
    const n = async (table: 'messages' | 'bookings' | 'leads') =>
      Number(
        (
          await t.ctx.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return { messages: await n('messages'), bookings: await n('bookings'), leads: await n('leads') };
  };
  const replay = (body: unknown, id = agentId, key = ws.test) =>
    t.call('POST', `/v1/agents/${id}/replay`, { key, body });

  before(async () => {
    t = await startTestApp(storage, {
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
    });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: agentBody });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    const doc = await t.call('POST', `/v1/agents/${agentId}/knowledge`, {
      key: ws.test,
      body: {
        doc_type: 'faq',
        faqs: [{ question: 'Do you have parking?', answer: 'Yes, free parking in the basement.' }],
      },
    });
    assert.equal(doc.status, 201, doc.text);
    const a = nextPhone();
    convA = await ask(a, 'How much is a haircut?', 1);
    await ask(a, 'Do you have parking?', 2);
    convB = await ask(nextPhone(), 'I want to talk to the manager', 1);
  });
  after(() => t.close());

  it('replays the last week of customer messages as the agent is: same replies and actions, nothing written', async () => {
    const before = await counts();
    const res = await replay({});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.object, 'agent_replay');
    assert.equal(res.body.draft, false);
    assert.deepEqual(
      res.body.results.map((r: { text: string }) => r.text),
      ['How much is a haircut?', 'Do you have parking?', 'I want to talk to the manager'],
      'oldest first',
    );
    for (const r of res.body.results) {
      assert.equal(r.changed, false, `${r.text}: ${r.reply_then} / ${r.reply_now}`);
      assert.equal(r.reply_now, r.reply_then);
    }
    const handoff = res.body.results[2];
    assert.equal(handoff.conversation_id, convB);
    assert.ok(handoff.actions_then.some((a: { type: string }) => a.type === 'handoff'));
    assert.ok(handoff.actions_now.some((a: { type: string }) => a.type === 'would_handoff'));
    assert.equal(res.body.results[1].sources_now[0]?.title, 'Do you have parking?');
    assert.deepEqual(res.body.summary, { total: 3, changed: 0 });
    assert.deepEqual(await counts(), before, 'a replay sends and writes nothing');
    const conv = await t.call('GET', `/v1/conversations/${convB}`, { key: ws.test });
    assert.equal(conv.body.ai_paused, true, 'the handoff it replays is not undone or repeated');
  });

  it('a draft price list changes the price answer and nothing else, and is not saved', async () => {
    const res = await replay({
      draft: { business: { services: [{ name: 'Haircut', duration_minutes: 45, price: 650 }] } },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.draft, true);
    const [price, parking] = res.body.results;
    assert.equal(price.changed, true);
    assert.match(price.reply_then, /500/);
    assert.match(price.reply_now, /650/);
    assert.equal(parking.changed, false);
    assert.deepEqual(res.body.summary, { total: 3, changed: 1 });
    const agent = await t.call('GET', `/v1/agents/${agentId}`, { key: ws.test });
    assert.equal(agent.body.business.services[0].price, 500, 'the draft is not saved');
    // A draft instruction to hand off on another word changes what the agent does, not only what it says.
    const keywords = await replay({
      conversation_ids: [convA],
      draft: { handoff: { keywords: ['parking'] } },
    });
    assert.equal(keywords.status, 200, keywords.text);
    assert.equal(keywords.body.results[1].changed, true);
    assert.ok(keywords.body.results[1].actions_now.some((a: { type: string }) => a.type === 'would_handoff'));
  });

  it('chooses messages by conversation, start and limit', async () => {
    const chosen = await replay({ conversation_ids: [convB] });
    assert.equal(chosen.status, 200, chosen.text);
    assert.deepEqual(
      chosen.body.results.map((r: { conversation_id: string }) => r.conversation_id),
      [convB],
    );
    const newest = await replay({ limit: 1 });
    assert.deepEqual(
      newest.body.results.map((r: { text: string }) => r.text),
      ['I want to talk to the manager'],
      'the newest messages',
    );
    const later = await replay({ since: new Date(Date.now() + 3_600_000).toISOString() });
    assert.deepEqual(later.body.summary, { total: 0, changed: 0 });
  });

  it('refuses bad input with the field named, and other workspaces and unknown ids with 404', async () => {
    const cases: Array<[unknown, string]> = [
      [{ limit: 0 }, 'limit'],
      [{ limit: 5000 }, 'limit'],
      [{ since: 'last tuesday' }, 'since'],
      [{ conversation_ids: [] }, 'conversation_ids'],
      [{ conversation_ids: ['not-an-id'] }, 'conversation_ids.0'],
      [{ draft: { phone_number: '+919876543210' } }, 'draft.phone_number'],
      [
        { draft: { business: { services: [{ name: 'Haircut', duration_minutes: 45, price: -5 }] } } },
        'draft.business.services.0.price',
      ],
      [{ everything: true }, ''],
    ];
    for (const [body, field] of cases) {
      const res = await replay(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.error.code, 'validation_failed');
      if (field)
        assert.ok(
          res.body.error.errors.some((e: { field: string }) => e.field === field),
          `${JSON.stringify(body)} names ${field}: ${res.text}`,
        );
    }
    const other = await t.workspace();
    const foreign = await replay({ conversation_ids: [convA] }, agentId, other.test);
    assert.equal(foreign.status, 404, 'another workspace does not see the agent');
    const otherAgent = await t.call('POST', '/v1/agents', { key: other.test, body: { name: 'Other' } });
    const crossConv = await replay({ conversation_ids: [convA] }, otherAgent.body.id, other.test);
    assert.equal(crossConv.status, 404, crossConv.text);
    assert.match(crossConv.body.error.message, new RegExp(convA));
    const live = await replay({ conversation_ids: [convA] }, agentId, ws.live);
    assert.equal(live.status, 404, 'live mode does not see a test agent');
    const unknown = await replay({}, 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D');
    assert.equal(unknown.status, 404);
  });

  it("checks availability against a draft's services, not the saved ones", async () => {
    const conv = await ask(nextPhone(), 'Do you have a free slot for a beard trim tomorrow?', 1);
    // The draft's service is new (no id yet): its availability is the draft's to answer.
    const res = await replay({
      conversation_ids: [conv],
      draft: {
        business: {
          services: [
            { name: 'Haircut', duration_minutes: 45, price: 500 },
            { name: 'Beard trim', duration_minutes: 20, price: 200 },
          ],
        },
      },
    });
    assert.equal(res.status, 200, res.text);
    const [result] = res.body.results;
    assert.match(result.reply_now, /\d{1,2}[:.]\d{2}|\d{1,2}\s?(am|pm)/i, result.reply_now);
  });
});
