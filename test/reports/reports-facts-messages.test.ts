import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { factsMigrations } from '../../src/modules/conversations/conversations.facts.migrations.ts';
import { factsRow, okCall, storedAndRecountedFacts } from '../support/facts-recount.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * The messages' facts (counts, first customer message, first response, first response by a
 * person and who wrote it, replies by person) are recorded by the messaging module's writes in
 * their transaction (`recordMessageFacts`), not by triggers: messages written by every path (the
 * API's batch writer, many sends at once and a person's among them; customers' messages from the
 * sandbox; the AI's replies; a person's reply and a note from the inbox; a CSAT question and its
 * answer; a call's transcript), some written out of order on a clock moved back (a customer
 * message earlier than the first, a reply earlier than it), give every facts row the recount
 * from the raw rows (the backfill of 1101/1102). 1105 drops the triggers of an install that has them.
 */
forEachStorage('reports facts from messages', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let offsetMs = 0;
  const HOUR = 3_600_000;

  const call = (method: string, url: string, body?: unknown, key?: string) =>
    okCall(t, key ?? w.test, method, url, body);
  const messagesOf = async (id: string) =>
    (await call('GET', `/v1/conversations/${id}/messages`)).data as Array<{
      direction: string;
      type: string;
      sender: { type: string };
    }>;
  const facts = (id: string) => factsRow(t, id);
  const batchedSends = async () =>
    (await t.ctx.metrics.sendWrites.get()).values.find((v) => v.labels.path === 'batched')?.value ?? 0;

  let chat: string;
  let sms: string;
  let userId: string;

  before(
    async () => {
      t = await startTestApp(storage, {
        env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' },
        testing: { now: () => new Date(Date.now() + offsetMs) },
      });
      w = await t.workspace({ default_country: 'IN' });
      const agentId = (await call('POST', '/v1/agents', { name: 'Desk' })).id as string;
      userId = (
        await call('POST', '/v1/users', {
          name: 'Asha',
          email: 'asha@facts-messages.test',
          role: 'admin',
          password: 'asha-password',
        })
      ).id;
      const userToken = (
        await call('POST', '/v1/auth/login', { email: 'asha@facts-messages.test', password: 'asha-password' })
      ).token as string;
      await call('PUT', '/v1/csat/settings', { enabled: true });

      // A chat: the customer's message from the sandbox, the AI's reply, a person's reply and a
      // note from the inbox, then closed: the CSAT question and the customer's answer.
      chat = (await call('POST', '/v1/sandbox/inbound', { from: '+919810030001', text: 'Are you open?' }))
        .conversation_id;
      await eventually(async () => (await messagesOf(chat)).some((m) => m.sender.type === 'ai'));
      await call('POST', `/v1/conversations/${chat}/reply`, { text: 'A person here' }, userToken);
      await call('POST', `/v1/conversations/${chat}/reply`, { type: 'note', text: 'Regular customer' });
      await call('POST', `/v1/conversations/${chat}/close`);
      await eventually(async () => (await messagesOf(chat)).length >= 5); // the CSAT question
      await call('POST', '/v1/sandbox/inbound', { from: '+919810030001', text: '5' });
      await eventually(async () => (await call('GET', `/v1/conversations/${chat}`)).csat?.score === 5);

      // The API's batch writer: sends at once to new numbers (two to one of them), one by a person.
      const numbers = ['+919810030011', '+919810030012', '+919810030013'];
      const send = (to: string, text: string, key?: string) =>
        call('POST', '/v1/messages', { to, channel: 'sms', type: 'text', text }, key);
      const batchedBefore = await batchedSends();
      const sent = await Promise.all([
        ...numbers.map((to, i) => send(to, `Offer ${i}`)),
        send(numbers[0]!, 'Offer again'),
        send(numbers[1]!, 'From Asha', userToken),
      ]);
      assert.equal((await batchedSends()) - batchedBefore, sent.length, 'all through the batch writer');
      sms = sent[0].conversation_id;
      // The customer answers (the first customer message comes after the replies), then more
      // sends to the thread through the batch writer, one by the person.
      await call('POST', '/v1/sandbox/inbound', { from: numbers[0], channel: 'sms', text: 'Tell me more' });
      await Promise.all([send(numbers[0]!, 'Here it is'), send(numbers[0]!, 'Asha too', userToken)]);
      // Out of order, on a clock moved back: a customer message earlier than the first (the first
      // response is looked up again), then a reply earlier than it (not a response).
      offsetMs = -HOUR;
      await call('POST', '/v1/sandbox/inbound', { from: numbers[1], channel: 'sms', text: 'Earlier' });
      await call('POST', '/v1/sandbox/inbound', { from: numbers[0], channel: 'sms', text: 'Earlier' });
      offsetMs = -2 * HOUR;
      await send(numbers[0]!, 'Even earlier');
      offsetMs = 0;

      // A call's transcript: the greeting and the caller's turns stored as messages.
      const placed = await call('POST', '/v1/calls', {
        calls: [
          {
            agent_id: agentId,
            to: '+919810030021',
            sandbox: { lines: [{ text: 'Do you do haircuts?' }], hangup_after_lines: true },
          },
        ],
      });
      const callId = placed.results[0].call.id as string;
      await eventually(async () => (await call('GET', `/v1/calls/${callId}`)).status === 'completed', 20_000);
    },
    { timeout: 300_000 },
  );
  after(() => t.close());

  it('counts each path’s messages', async () => {
    const fc = await facts(chat);
    assert.ok(fc.messages_in >= 2, 'the question and the CSAT answer');
    assert.equal(fc.person_messages, 1, 'the note is not a message of the person');
    assert.deepEqual(JSON.parse(fc.replies_by_user), { [userId]: 1 });
    assert.equal(fc.first_responder_id, userId);
    assert.ok(fc.first_response_at && fc.human_first_response_at);
    const fs = await facts(sms);
    assert.ok(fs.messages_out >= 5, 'the API’s sends (and any AI reply)');
    assert.equal(fs.messages_in, 2);
    assert.equal(fs.person_messages, 1);
    assert.equal(fs.first_responder_id, userId);
    assert.ok(fs.first_response_at && fs.first_in_at && fs.first_response_at > fs.first_in_at);
    const voice = await t.ctx.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', w.id)
      .where('channel_id', 'in', (eb) => eb.selectFrom('channels').select('id').where('type', '=', 'voice'))
      .executeTakeFirstOrThrow();
    assert.ok(Number(voice.n) >= 2, 'the call’s transcript is stored as messages');
  });

  it('every facts row equals the recount from the raw rows', async () => {
    // The AI's replies and the CSAT question are jobs: compare once the writes have settled.
    await eventually(async () => {
      const { stored, recounted } = await storedAndRecountedFacts(t);
      assert.ok(stored.length >= 5);
      assert.deepEqual(recounted, stored);
      return true;
    }, 30_000);
  });

  it('has no trigger on the messages, and 1105 drops those of an upgraded install', async () => {
    const db = t.ctx.db;
    const tables = async () => {
      const rows =
        storage === 'postgres'
          ? (
              await sql<{ tbl: string }>`select c.relname as tbl from pg_trigger t
                join pg_class c on c.oid = t.tgrelid
                where not t.tgisinternal and t.tgname like 'conversation_facts%'`.execute(db)
            ).rows
          : (
              await sql<{ tbl: string }>`select tbl_name as tbl from sqlite_master
                where type = 'trigger' and name like 'conversation_facts%'`.execute(db)
            ).rows;
      return [...new Set(rows.map((r) => r.tbl))].sort();
    };
    assert.deepEqual(await tables(), ['conversation_facts', 'conversations']);
    // An install that ran 1101 and 1102 before: their two triggers on the messages.
    for (const name of ['message', 'person_reply']) {
      if (storage === 'postgres') {
        await sql
          .raw(
            `create function parley_facts_${name}() returns trigger language plpgsql as $$ begin return null; end $$`,
          )
          .execute(db);
        await sql
          .raw(`create trigger conversation_facts_${name} after insert on messages
            for each row execute function parley_facts_${name}()`)
          .execute(db);
      } else {
        await sql
          .raw(`create trigger conversation_facts_${name} after insert on messages begin select 1; end`)
          .execute(db);
      }
    }
    assert.deepEqual(await tables(), ['conversation_facts', 'conversations', 'messages']);
    await factsMigrations['1105_message_facts_from_app']!.up(db, t.ctx.dialect);
    assert.deepEqual(await tables(), ['conversation_facts', 'conversations']);
    if (storage === 'postgres') {
      const fns = await sql<{ n: number }>`select count(*)::int as n from pg_proc
        where proname in ('parley_facts_message', 'parley_facts_person_reply')`.execute(db);
      assert.equal(fns.rows[0]!.n, 0);
    }
  });
});
