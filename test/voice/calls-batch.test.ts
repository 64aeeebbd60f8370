import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { newId } from '../../src/platform/ids.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * A `POST /v1/calls` batch writes its contacts, conversations, calls and events set-wise; these
 * check that it keeps what one-at-a-time writes did: one contact and one thread per number, each
 * item's context on its thread in item order, events in order per object, refusals that write
 * nothing, and a number another transaction takes meanwhile.
 */
const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };

forEachStorage('calls batch writes', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let n = 0;
  const nextNumber = () => `+1415556${String(1000 + ++n).slice(-3)}0`;
  // Phone items end at once (busy), so the background dialling stays small.
  const busy = { outcome: 'busy' };

  before(async () => {
    t = await startTestApp(storage, { env });
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Batch agent' } });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(() => t.close());

  const place = (calls: unknown[], key = ws.test) => t.call('POST', '/v1/calls', { key, body: { calls } });
  const contactsWith = (phone: string) =>
    t.ctx.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', ws.id)
      .where('phone', '=', phone)
      .execute();
  const conversationsOf = (contactId: string) =>
    t.ctx.db.selectFrom('conversations').selectAll().where('contact_id', '=', contactId).execute();
  const eventsOf = (objectId: string) =>
    t.ctx.db
      .selectFrom('events')
      .select(['id', 'type', 'data'])
      .where('object_id', '=', objectId)
      .orderBy('id')
      .execute();

  it('the same new number twice is one contact and one thread with both items’ context; events keep each object’s order', async () => {
    const a = nextNumber();
    const b = nextNumber();
    const res = await place([
      { agent_id: agentId, to: a, dynamic_variables: { first: 1 }, identifier: 'one', sandbox: busy },
      { agent_id: agentId, to: b, sandbox: busy },
      { agent_id: agentId, to: a, dynamic_variables: { second: 2 }, identifier: 'two', sandbox: busy },
      { agent_id: agentId, transport: 'web' },
    ]);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(
      res.body.results.map((r: { index: number }) => r.index),
      [0, 1, 2, 3],
    );
    const [first, other, second, web] = res.body.results.map(
      (r: { call: Record<string, unknown> }) => r.call,
    );

    const [contactA, ...moreA] = await contactsWith(a);
    assert.ok(contactA);
    assert.equal(moreA.length, 0, 'one contact for the number given twice');
    assert.equal(first.contact_id, contactA.id);
    assert.equal(second.contact_id, contactA.id);
    assert.equal(first.conversation_id, second.conversation_id, 'one thread for both items');
    assert.notEqual(other.conversation_id, first.conversation_id);
    assert.notEqual(web.conversation_id, first.conversation_id);

    const threads = await conversationsOf(contactA.id);
    assert.equal(threads.length, 1);
    const [thread] = threads;
    assert.equal(thread!.id, first.conversation_id);
    assert.deepEqual(JSON.parse(thread!.dynamic_variables), { first: 1, second: 2 });
    assert.equal(thread!.identifier, 'two');
    assert.equal(thread!.agent_id, agentId);
    // Each call keeps its own item's variables.
    assert.deepEqual(first.dynamic_variables, { first: 1 });
    assert.deepEqual(second.dynamic_variables, { second: 2 });

    // One contact.created, one conversation.created (as the thread was made, by the first item),
    // and each call's call.started after both.
    const contactEvents = await eventsOf(contactA.id);
    assert.deepEqual(
      contactEvents.map((e) => e.type),
      ['contact.created'],
    );
    const threadEvents = await eventsOf(thread!.id);
    assert.deepEqual(
      threadEvents.map((e) => e.type),
      ['conversation.created'],
    );
    const created = JSON.parse(threadEvents[0]!.data);
    assert.deepEqual(created.dynamic_variables, { first: 1 });
    assert.equal(created.identifier, 'one');
    assert.equal(created.contact.id, contactA.id);
    assert.equal(created.contact.phone, a);
    for (const call of [first, second]) {
      const [started] = await eventsOf(call.id as string);
      assert.equal(started!.type, 'call.started');
      assert.ok(contactEvents[0]!.id < threadEvents[0]!.id, 'contact before its conversation');
      assert.ok(threadEvents[0]!.id < started!.id, 'conversation before its call');
    }
    // The other number has its own contact, thread and events.
    const [contactB] = await contactsWith(b);
    assert.equal(other.contact_id, contactB!.id);
    assert.deepEqual(
      (await eventsOf(contactB!.id)).map((e) => e.type),
      ['contact.created'],
    );
    assert.deepEqual(
      (await eventsOf(other.conversation_id as string)).map((e) => e.type),
      ['conversation.created'],
    );
    // The web caller has a contact of its own, with no number.
    const webContact = await t.ctx.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', web.contact_id as string)
      .executeTakeFirstOrThrow();
    assert.equal(webContact.phone, null);
    assert.deepEqual(JSON.parse(webContact.attributes), { source: 'web_call' });
    await t.call('POST', `/v1/calls/${web.id}/hangup`, { key: ws.test });
  });

  it('a known contact’s stored thread takes the call’s context, and a closed one is active again', async () => {
    const phone = nextNumber();
    const contact = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone } });
    assert.equal(contact.status, 201, contact.text);
    const one = await place([{ agent_id: agentId, to: phone, dynamic_variables: { a: 1 }, sandbox: busy }]);
    assert.equal(one.status, 201, one.text);
    const conversationId = one.body.results[0].call.conversation_id;
    // Let that call end first, so nothing of it lands on the thread after the close.
    await eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${one.body.results[0].call.id}`, { key: ws.test });
      return r.body.status === 'busy';
    }, 40_000);
    const closed = await t.call('POST', `/v1/conversations/${conversationId}/close`, { key: ws.test });
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.body.status, 'closed');

    const two = await place([
      { agent_id: agentId, to: phone, dynamic_variables: { b: 2 }, sandbox: busy },
      { agent_id: agentId, to: phone, identifier: 'again', sandbox: busy },
    ]);
    assert.equal(two.status, 201, two.text);
    for (const r of two.body.results) assert.equal(r.call.conversation_id, conversationId);
    const threads = await conversationsOf(contact.body.id);
    assert.equal(threads.length, 1);
    assert.equal(threads[0]!.status, 'active');
    assert.equal(threads[0]!.closed_at, null);
    assert.deepEqual(JSON.parse(threads[0]!.dynamic_variables), { a: 1, b: 2 });
    assert.equal(threads[0]!.identifier, 'again');
    // Made once; the contact existed, so the batch made none.
    const events = await eventsOf(conversationId);
    const types = events.map((e) => e.type);
    assert.equal(types.filter((x) => x === 'conversation.created').length, 1);
    // Reopened once, with the event that reports, webhooks and routing listen for (issue 53).
    const reopened = events.filter((e) => e.type === 'conversation.reopened');
    assert.equal(reopened.length, 1, types.join(', '));
    assert.equal(JSON.parse(reopened[0]!.data).reason, 'call');
    assert.equal(JSON.parse(reopened[0]!.data).status, 'active');
    assert.deepEqual(
      (await eventsOf(contact.body.id)).map((e) => e.type),
      ['contact.created'],
    );
  });

  it('a refused item writes nothing, and takes no slot from the items after it', async () => {
    const starter = await t.workspace({ plan: 'starter', default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', { key: starter.test, body: { name: 'S' } });
    const optedOut = nextNumber();
    const dnd = nextNumber();
    for (const [phone, flags] of [
      [optedOut, { opted_out: true }],
      [dnd, { dnd: true }],
    ] as const) {
      const c = await t.call('POST', '/v1/contacts', { key: starter.test, body: { phone, ...flags } });
      assert.equal(c.status, 201, c.text);
    }
    // Five slots: the two refusals leave them to the five web calls after them; the sixth is limited.
    const items = [
      { agent_id: agent.body.id, to: optedOut, sandbox: busy },
      { agent_id: agent.body.id, to: dnd, sandbox: busy },
      ...Array.from({ length: 6 }, () => ({ agent_id: agent.body.id, transport: 'web' })),
    ];
    const res = await place(items, starter.test);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(
      res.body.results.map((r: { index: number }) => r.index),
      [2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      res.body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
      [
        [0, 'contact_opted_out'],
        [1, 'contact_dnd'],
        [7, 'concurrency_limited'],
      ],
    );
    assert.equal(res.headers['x-concurrency-remaining'], '0');
    for (const phone of [optedOut, dnd]) {
      const [c] = await t.ctx.db
        .selectFrom('contacts')
        .selectAll()
        .where('workspace_id', '=', starter.id)
        .where('phone', '=', phone)
        .execute();
      assert.equal((await conversationsOf(c!.id)).length, 0, `no thread for ${phone}`);
      const calls = await t.ctx.db.selectFrom('calls').select('id').where('contact_id', '=', c!.id).execute();
      assert.equal(calls.length, 0, `no call for ${phone}`);
    }
    // The limited item made no contact: five web contacts, one per placed call.
    const webContacts = await t.ctx.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', starter.id)
      .where('phone', 'is', null)
      .execute();
    assert.equal(webContacts.length, 5);
    for (const r of res.body.results)
      await t.call('POST', `/v1/calls/${r.call.id}/hangup`, { key: starter.test });
  });

  it('parallel requests for the same new numbers make one contact and one thread per number', async () => {
    const numbers = [nextNumber(), nextNumber(), nextNumber()];
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        place(
          [...numbers.slice(i % 3), ...numbers.slice(0, i % 3)].map((to) => ({
            agent_id: agentId,
            to,
            sandbox: busy,
          })),
        ),
      ),
    );
    for (const r of answers) assert.equal(r.status, 201, r.text);
    for (const phone of numbers) {
      const contacts = await contactsWith(phone);
      assert.equal(contacts.length, 1, `one contact for ${phone}`);
      const threads = await conversationsOf(contacts[0]!.id);
      assert.equal(threads.length, 1, `one thread for ${phone}`);
      const calls = answers.flatMap((r) =>
        r.body.results.filter((x: { call: { to: string } }) => x.call.to === phone),
      );
      assert.equal(calls.length, 4);
      for (const c of calls) assert.equal(c.call.conversation_id, threads[0]!.id);
      assert.deepEqual(
        (await eventsOf(contacts[0]!.id)).map((e) => e.type),
        ['contact.created'],
      );
      assert.deepEqual(
        (await eventsOf(threads[0]!.id)).map((e) => e.type),
        ['conversation.created'],
      );
    }
  });

  // Only PostgreSQL has concurrent writers: another transaction can store a number's contact
  // after the batch looked for it and before the batch's insert.
  it('a number another transaction takes meanwhile is that contact, refused if it opted out', {
    skip: storage !== 'postgres' && 'SQLite has one writer at a time',
  }, async () => {
    const [optedOut, plain, fresh] = [nextNumber(), nextNumber(), nextNumber()];
    const now = new Date().toISOString();
    const row = (phone: string, opted_out: number) => ({
      id: newId('ct'),
      workspace_id: ws.id,
      livemode: 0,
      phone,
      name: null,
      email: null,
      attributes: '{}',
      tags: '[]',
      dnd: 0,
      opted_out,
      created_at: now,
      updated_at: now,
    });
    const theirs = [row(optedOut, 1), row(plain, 0)];
    // The request's promise is handed out in an object: returned bare, the transaction would
    // wait for it before committing, and the request waits for that commit.
    const { request } = await t.ctx.db.transaction().execute(async (trx) => {
      await trx.insertInto('contacts').values(theirs).execute();
      const pending = place([
        { agent_id: agentId, to: optedOut, sandbox: busy },
        { agent_id: agentId, to: plain, sandbox: busy },
        { agent_id: agentId, to: fresh, sandbox: busy },
      ]);
      // The batch did not see the uncommitted contacts: its insert waits on their phones.
      await eventually(async () => {
        const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'
              and query ilike 'insert into "contacts"%'`.execute(t.ctx.db);
        return Number(r.rows[0]!.n) > 0;
      });
      return { request: pending };
    });
    const res = await request;
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(
      res.body.errors.map((e: { index: number; code: string }) => [e.index, e.code]),
      [[0, 'contact_opted_out']],
    );
    assert.deepEqual(
      res.body.results.map((r: { index: number }) => r.index),
      [1, 2],
    );
    assert.equal(res.body.results[0].call.contact_id, theirs[1]!.id);
    for (const phone of [optedOut, plain, fresh])
      assert.equal((await contactsWith(phone)).length, 1, `one contact for ${phone}`);
    assert.equal((await conversationsOf(theirs[0]!.id)).length, 0, 'nothing written for the refused item');
    // The batch made only the fresh number's contact.
    assert.deepEqual(await eventsOf(theirs[1]!.id), []);
    const [made] = await contactsWith(fresh);
    assert.deepEqual(
      (await eventsOf(made!.id)).map((e) => e.type),
      ['contact.created'],
    );
    assert.deepEqual(
      (await eventsOf(res.body.results[0].call.conversation_id)).map((e) => e.type),
      ['conversation.created'],
    );
  });
});
