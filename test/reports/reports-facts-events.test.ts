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
 * The facts that come from events (handoffs and their reasons, the last resolve, a reopen within
 * 24 hours, leads, bookings) are kept by the conversations module's reaction `conversations.facts`
 * in the events' transaction, not by triggers: driven through the API (customer messages, the AI's
 * replies, a person's reply, a note, two handoffs with their reasons, resolves, reopens within
 * and after 24 hours, leads with and without a conversation, a lead captured twice, a booking, a
 * contact merge), every facts row equals a recount from the raw rows (the backfill of 1101/1102).
 * The messages' facts are checked path by path in reports-facts-messages.test.ts.
 * 1104 drops the triggers of an install that has them.
 */
forEachStorage('reports facts from events', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let agentId: string;
  let offsetMs = 0;
  const HOUR = 3_600_000;

  const call = (method: string, url: string, body?: unknown, key?: string) =>
    okCall(t, key ?? w.test, method, url, body);
  const inbound = async (from: string, text: string) =>
    (await call('POST', '/v1/sandbox/inbound', { from, text })).conversation_id as string;
  const answered = async (id: string) =>
    eventually(async () =>
      (await call('GET', `/v1/conversations/${id}/messages`)).data.some(
        (m: { direction: string; type: string }) => m.direction === 'outbound' && m.type !== 'note',
      ),
    );
  const facts = (id: string) => factsRow(t, id);
  const contactOf = async (id: string) => (await call('GET', `/v1/conversations/${id}`)).contact.id as string;

  let a: string;
  let b: string;
  let c: string;

  before(
    async () => {
      // The app's clock (events' times too), moved forward below.
      t = await startTestApp(storage, { testing: { now: () => new Date(Date.now() + offsetMs) } });
      w = await t.workspace({ default_country: 'IN' });
      const open = [{ open: '00:00', close: '23:59' }];
      agentId = (
        await call('POST', '/v1/agents', {
          name: 'Desk',
          business: {
            timezone: 'UTC',
            hours: { mon: open, tue: open, wed: open, thu: open, fri: open, sat: open, sun: open },
            services: [{ name: 'Visit', duration_minutes: 30 }],
          },
        })
      ).id;

      // A: handed off twice, a person's reply and a note, resolved, reopened
      // within 24 hours and resolved again; two leads captured in it (the second updates the
      // open one), a booking in it.
      a = await inbound('+919810020001', 'Hello, what are your opening hours?');
      await answered(a);
      await call('POST', `/v1/conversations/${a}/handoff`, { reason: 'billing' });
      await call('POST', '/v1/users', {
        name: 'Asha',
        email: 'asha@facts.test',
        role: 'admin',
        password: 'asha-password',
      });
      const userToken = (
        await call('POST', '/v1/auth/login', { email: 'asha@facts.test', password: 'asha-password' })
      ).token;
      await call('POST', `/v1/conversations/${a}/reply`, { text: 'A person here' }, userToken);
      await call('POST', `/v1/conversations/${a}/reply`, { type: 'note', text: 'Checked the invoice' });
      await call('POST', `/v1/conversations/${a}/handoff/resolve`, {});
      await call('POST', `/v1/conversations/${a}/handoff`, { reason: 'complaint' });
      await call('POST', '/v1/leads', { conversation_id: a, name: 'Lead A' });
      await call('POST', '/v1/leads', { conversation_id: a, intent: 'haircut' });
      const start = new Date(Date.now() + 2 * 24 * HOUR);
      start.setUTCHours(10, 0, 0, 0);
      await call('POST', '/v1/bookings', {
        agent_id: agentId,
        conversation_id: a,
        start_at: start.toISOString(),
        end_at: new Date(start.getTime() + HOUR / 2).toISOString(),
      });
      await call('POST', `/v1/conversations/${a}/close`);
      offsetMs = 2 * HOUR;
      await call('POST', `/v1/conversations/${a}/reopen`);
      await call('POST', `/v1/conversations/${a}/close`);

      // B: another contact's conversation on email with a lead and a booking, then merged into A's
      // contact: its leads and bookings keep their conversation.
      b = (
        await call('POST', '/v1/sandbox/inbound', { from: 'asha@facts.test', channel: 'email', text: 'Hi' })
      ).conversation_id;
      await answered(b);
      await call('POST', '/v1/leads', { conversation_id: b, name: 'Lead B' });
      await call('POST', '/v1/bookings', {
        agent_id: agentId,
        conversation_id: b,
        start_at: new Date(start.getTime() + 2 * HOUR).toISOString(),
        end_at: new Date(start.getTime() + 2.5 * HOUR).toISOString(),
      });
      await call('POST', `/v1/contacts/${await contactOf(a)}/merge`, { other_id: await contactOf(b) });

      // C: resolved, reopened 26 hours later (not within 24 hours); a lead with no conversation.
      c = await inbound('+919810020003', 'Do you do haircuts?');
      await answered(c);
      await call('POST', `/v1/conversations/${c}/close`);
      offsetMs = 28 * HOUR;
      await call('POST', `/v1/conversations/${c}/reopen`);
      await call('POST', '/v1/leads', { phone: '+919810020009', name: 'No conversation' });
    },
    { timeout: 300_000 },
  );
  after(() => t.close());

  it('keeps each event fact in the events’ transaction', async () => {
    const fa = await facts(a);
    assert.equal(fa.escalations, 2);
    assert.deepEqual(JSON.parse(fa.handoff_reasons), ['billing', 'complaint']);
    assert.equal(fa.reopened_24h, 1);
    assert.equal(fa.leads, 1, 'the second capture updated the open lead');
    assert.equal(fa.bookings, 1);
    assert.ok(fa.last_resolved_at && fa.last_resolved_at > fa.created_at);
    assert.equal(fa.person_messages, 1);
    assert.ok(fa.human_first_response_at);
    const fb = await facts(b);
    assert.equal(fb.leads, 1, 'the merge kept the lead in its conversation');
    assert.equal(fb.bookings, 1);
    assert.equal(fb.escalations, 0);
    const fc = await facts(c);
    assert.equal(fc.reopened_24h, 0, 'reopened 26 hours after the resolve');
    assert.equal(fc.leads, 0);
  });

  it('every facts row equals the recount from the raw rows', async () => {
    // The AI's replies are jobs: compare once the writes have settled.
    await eventually(async () => {
      const { stored, recounted } = await storedAndRecountedFacts(t);
      assert.equal(stored.length, 3);
      assert.deepEqual(recounted, stored);
      return true;
    }, 30_000);
  });

  it('has no trigger on the events, leads or bookings, and 1104 drops those of an upgraded install', async () => {
    const db = t.ctx.db;
    const triggers = async () =>
      storage === 'postgres'
        ? (
            await sql<{ name: string; tbl: string }>`select t.tgname as name, c.relname as tbl
              from pg_trigger t join pg_class c on c.oid = t.tgrelid
              where not t.tgisinternal and t.tgname like 'conversation_facts%'`.execute(db)
          ).rows
        : (
            await sql<{ name: string; tbl: string }>`select name, tbl_name as tbl from sqlite_master
              where type = 'trigger' and name like 'conversation_facts%'`.execute(db)
          ).rows;
    const tables = async () => [...new Set((await triggers()).map((r) => r.tbl))].sort();
    assert.deepEqual(await tables(), ['conversation_facts', 'conversations']);
    // An install that ran 1101 before: its triggers on events, leads and bookings.
    if (storage === 'postgres') {
      for (const [fn, tbl] of [
        ['parley_facts_event', 'events'],
        ['parley_facts_leads', 'leads'],
        ['parley_facts_bookings', 'bookings'],
      ] as const) {
        await sql
          .raw(`create function ${fn}() returns trigger language plpgsql as $$ begin return null; end $$`)
          .execute(db);
        await sql
          .raw(`create trigger ${fn.replace('parley_facts', 'conversation_facts')} after insert on ${tbl}
            for each row execute function ${fn}()`)
          .execute(db);
      }
    } else {
      const names = ['conversation_facts_event'];
      for (const tbl of ['leads', 'bookings'])
        for (const op of ['insert', 'delete', 'update']) names.push(`conversation_facts_${tbl}_${op}`);
      for (const name of names) {
        const tbl = name === 'conversation_facts_event' ? 'events' : name.split('_')[2];
        await sql.raw(`create trigger ${name} after insert on ${tbl} begin select 1; end`).execute(db);
      }
    }
    assert.deepEqual(await tables(), ['bookings', 'conversation_facts', 'conversations', 'events', 'leads']);
    await factsMigrations['1104_conversation_facts_from_events']!.up(db, t.ctx.dialect);
    assert.deepEqual(await tables(), ['conversation_facts', 'conversations']);
    if (storage === 'postgres') {
      const fns = await sql<{ n: number }>`select count(*)::int as n from pg_proc
        where proname in ('parley_facts_event', 'parley_facts_leads', 'parley_facts_bookings')`.execute(db);
      assert.equal(fns.rows[0]!.n, 0);
    }
  });
});
