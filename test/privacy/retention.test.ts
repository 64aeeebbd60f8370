import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { purgeOldMessages } from '../../src/modules/messaging/messaging.retention.ts';
import { retentionJob, runRetention } from '../../src/modules/privacy/privacy.retention.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Issue 51 item 2: per workspace mode retention. Settings are validated (0 days is a 400, null
 * keeps); the daily job deletes what is older than each setting through every module's step,
 * in batches, exactly once per day however many jobs ask for it; the search index and attachments
 * follow the messages; reports keep their counts; newer records and other workspaces stay.
 */
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

forEachStorage('retention', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    other = await t.workspace();
  });
  after(() => t?.close());

  it('validates the settings: 0 and fractions are 400s, null keeps, omitted fields stay', async () => {
    const empty = await t.call('GET', '/v1/retention', { key: ws.test });
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.body.messages_days, null);
    assert.equal(empty.body.last_run, null);
    for (const bad of [{ messages_days: 0 }, { events_days: -1 }, { recordings_days: 1.5 }, { nope: 3 }]) {
      const r = await t.call('PUT', '/v1/retention', { key: ws.test, body: bad });
      assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.text}`);
      assert.ok(r.body.error.code, r.text);
    }
    const zero = await t.call('PUT', '/v1/retention', { key: ws.test, body: { messages_days: 0 } });
    assert.match(zero.text, /null keeps/);
    const set = await t.call('PUT', '/v1/retention', {
      key: ws.test,
      body: { messages_days: 30, audit_log_days: 365 },
    });
    assert.equal(set.status, 200, set.text);
    const more = await t.call('PUT', '/v1/retention', { key: ws.test, body: { audit_log_days: null } });
    assert.equal(more.body.messages_days, 30, 'omitted fields keep their value');
    assert.equal(more.body.audit_log_days, null);
    // The audit log is kept 30 days at least: below that is a 400 naming the field, and nothing changes.
    for (const short of [1, 7, 29]) {
      const r = await t.call('PUT', '/v1/retention', {
        key: ws.test,
        body: { messages_days: 7, audit_log_days: short },
      });
      assert.equal(r.status, 400, `${short}: ${r.text}`);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.deepEqual(
        r.body.error.errors.map((e: { field: string }) => e.field),
        ['audit_log_days'],
      );
      assert.match(r.body.error.message, /30 days/);
    }
    const kept = await t.call('GET', '/v1/retention', { key: ws.test });
    assert.equal(kept.body.messages_days, 30);
    assert.equal(kept.body.audit_log_days, null);
    const month = await t.call('PUT', '/v1/retention', { key: ws.test, body: { audit_log_days: 30 } });
    assert.equal(month.status, 200, month.text);
    assert.equal(month.body.audit_log_days, 30);
    // The live mode has its own settings.
    assert.equal((await t.call('GET', '/v1/retention', { key: ws.live })).body.messages_days, null);
  });

  it('deletes batch after batch from where the last stopped, messages of one instant across a batch edge included', async () => {
    const w = await t.workspace();
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: w.test,
      body: { from: '+14155550178', text: 'a' },
    });
    assert.equal(r.status, 200, r.text);
    const template = await t.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', r.body.conversation_id)
      .executeTakeFirstOrThrow();
    delete (template as Record<string, unknown>).search_tsv;
    // Three instants 100, 99 and 98 days ago, three messages each: batches of 2 cut through each.
    const old = [100, 100, 100, 99, 99, 99, 98, 98, 98];
    await t.ctx.db
      .insertInto('messages')
      .values(
        old.map((days, i) => ({
          ...template,
          id: `msg_batch${String(i).padStart(2, '0')}`,
          provider_message_id: null,
          created_at: new Date(Date.parse('2026-01-01T00:00:00Z') - days * DAY).toISOString(),
        })),
      )
      .execute();
    const batch = {
      workspaceId: w.id,
      livemode: false,
      before: new Date(Date.parse('2026-01-01T00:00:00Z') - 50 * DAY).toISOString(),
      limit: 2,
    };
    let deleted = 0;
    let batches = 0;
    for (let n = 2; n === 2; batches++) {
      n = await purgeOldMessages(t.ctx, batch);
      deleted += n;
    }
    assert.equal(deleted, old.length);
    assert.equal(batches, 5);
    const left = await t.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('workspace_id', '=', w.id)
      .execute();
    assert.deepEqual(
      left.map((m) => m.id),
      [template.id],
      'every old message is gone, the recent one stays',
    );
  });

  it('deletes what is older, once per day, with the search index and attachments, keeping counts', async () => {
    // The app asks for today's run when it starts (every worker does, every hour): let it finish
    // first, or it may run once the messages below are old, with the settings the test before left,
    // and the day's run then finds nothing left to count.
    const today = t.ctx.clock.now().toISOString().slice(0, 10);
    await eventually(async () => {
      const run = await t.ctx.db
        .selectFrom('retention_runs')
        .select('completed_at')
        .where('day', '=', today)
        .executeTakeFirst();
      return run?.completed_at != null;
    });

    const phone = '+14155550177';
    const ids: string[] = [];
    let conversationId = '';
    for (const text of ['quixotic ancient one', 'quixotic ancient two', 'quixotic fresh three']) {
      const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from: phone, text } });
      assert.equal(r.status, 200, r.text);
      conversationId = r.body.conversation_id;
      ids.push(r.body.message_id ?? r.body.message?.id);
    }
    const rows = await t.ctx.db
      .selectFrom('messages')
      .select(['id', 'text', 'workspace_id', 'livemode'])
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'inbound')
      .orderBy('id')
      .execute();
    assert.equal(rows.length, 3);
    const [old1, old2, fresh] = rows;
    // Two messages 100 days old (one with a kept attachment), events and deliveries 10 days old.
    await t.ctx.db
      .updateTable('messages')
      .set({ created_at: ago(100) })
      .where('id', 'in', [old1!.id, old2!.id])
      .execute();
    await t.ctx.db
      .insertInto('message_attachments')
      .values({
        id: 'att_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        workspace_id: ws.id,
        livemode: 0,
        message_id: old1!.id,
        position: 0,
        filename: 'scan.pdf',
        mime_type: 'application/pdf',
        size: 4,
        content_id: null,
        content_base64: 'JVBERg==',
        created_at: ago(100),
      })
      .execute();
    // Other workspace: the same age, no retention set: kept.
    const o = await t.call('POST', '/v1/sandbox/inbound', {
      key: other.test,
      body: { from: phone, text: 'quixotic elsewhere' },
    });
    assert.equal(o.status, 200, o.text);
    await t.ctx.db
      .updateTable('messages')
      .set({ created_at: ago(100) })
      .where('workspace_id', '=', other.id)
      .execute();
    await t.ctx.db
      .updateTable('events')
      .set({ created_at: ago(10) })
      .where('workspace_id', 'in', [ws.id, other.id])
      .execute();
    const eventsBefore = await countOf('events', ws.id);
    assert.ok(eventsBefore > 0);
    // An old call with a transcript and a recording, and a recent one.
    for (const [id, at] of [
      ['call_01JD5Z8Q4X3N2M1K0H9G8F7E6A', ago(100)],
      ['call_01JD5Z8Q4X3N2M1K0H9G8F7E6B', ago(1)],
    ] as const)
      await t.ctx.db
        .insertInto('calls')
        .values({
          id,
          workspace_id: ws.id,
          livemode: 0,
          conversation_id: null,
          contact_id: null,
          agent_id: null,
          voice_flow_id: null,
          campaign_id: null,
          direction: 'inbound',
          transport: 'phone',
          channel_id: null,
          provider: 'twilio',
          provider_call_id: `CA${id.slice(-8)}`,
          from_address: phone,
          to_address: '+14155550100',
          status: 'completed',
          answered_by: null,
          ended_reason: null,
          dynamic_variables: '{}',
          identifier: null,
          ignore_dnd: 0,
          sandbox: null,
          transcript: JSON.stringify([{ role: 'customer', text: 'quixotic spoken words' }]),
          recording_url: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1',
          transfer_started_at: null,
          latency: '{}',
          error_code: null,
          error_message: null,
          duration_seconds: 30,
          queued_at: at,
          dialed_at: null,
          answered_at: at,
          ended_at: at,
          created_at: at,
          updated_at: at,
        })
        .execute();
    // An audit entry 400 days old (the log is append-only: inserted as old; the settings changes are recent).
    await t.ctx.db
      .insertInto('audit_log')
      .values({
        id: 'alog_01AAAAAAAAAAAAAAAAAAAAAAAA',
        workspace_id: ws.id,
        livemode: 0,
        actor_type: 'system',
        actor_id: null,
        action: 'old',
        object_type: null,
        object_id: null,
        ip: null,
        details: '{}',
        created_at: ago(400),
      })
      .execute();

    const reportBefore = await report();
    const set = await t.call('PUT', '/v1/retention', {
      key: ws.test,
      body: {
        messages_days: 30,
        recordings_days: 30,
        transcripts_days: 60,
        events_days: 7,
        deliveries_days: 7,
        audit_log_days: 365,
      },
    });
    assert.equal(set.status, 200, set.text);

    // Two jobs for one day (two processes asking): the day runs once.
    const day = '2030-01-01';
    await t.ctx.queue.enqueue(t.ctx.db, retentionJob, { day });
    await t.ctx.queue.enqueue(t.ctx.db, retentionJob, { day });
    const ran = await eventually(async () => {
      const run = await t.ctx.db
        .selectFrom('retention_runs')
        .selectAll()
        .where('day', '=', day)
        .executeTakeFirst();
      return run?.completed_at ? run : undefined;
    });
    assert.ok(ran.job_id);

    const left = await t.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'inbound')
      .execute();
    assert.deepEqual(
      left.map((r) => r.id),
      [fresh!.id],
    );
    assert.equal(
      (
        await t.ctx.db
          .selectFrom('message_attachments')
          .select('id')
          .where('message_id', '=', old1!.id)
          .execute()
      ).length,
      0,
    );
    // The search index follows (SQLite's message_fts, PostgreSQL's search_tsv).
    const search = await t.call('GET', '/v1/search?q=quixotic', { key: ws.test });
    assert.equal(search.status, 200, search.text);
    assert.doesNotMatch(search.text, /ancient/);
    assert.match(search.text, /fresh/);
    if (storage === 'sqlite') {
      const fts = await sql<{
        n: number;
      }>`select count(*) as n from message_fts where message_fts match 'ancient'`.execute(t.ctx.db);
      assert.equal(Number(fts.rows[0]!.n), 0);
    }
    // The other workspace keeps its old message.
    assert.equal(await countOf('messages', other.id), 1);
    assert.equal(await countOf('events', ws.id), 0, 'events older than 7 days');
    assert.ok((await countOf('events', other.id)) > 0);
    const calls = await t.ctx.db
      .selectFrom('calls')
      .select(['id', 'transcript', 'recording_url'])
      .where('workspace_id', '=', ws.id)
      .orderBy('id')
      .execute();
    assert.equal(calls.length, 2, 'call rows stay');
    assert.equal(calls[0]!.transcript, '[]');
    assert.equal(calls[0]!.recording_url, null);
    assert.notEqual(calls[1]!.transcript, '[]');
    assert.ok(calls[1]!.recording_url);
    const oldAudit = await t.ctx.db
      .selectFrom('audit_log')
      .select('id')
      .where('id', '=', 'alog_01AAAAAAAAAAAAAAAAAAAAAAAA')
      .execute();
    assert.equal(oldAudit.length, 0);
    const audit = await t.call('GET', '/v1/audit-log?action=setRetention', { key: ws.test });
    assert.ok(audit.body.data.length >= 1, 'the recent settings changes stay in the audit log');

    // What it deleted, reported once (the second job for the day did nothing).
    const after = await t.call('GET', '/v1/retention', { key: ws.test });
    assert.equal(after.body.last_run.deleted.messages, 2);
    assert.equal(after.body.last_run.deleted.recordings, 1);
    assert.equal(after.body.last_run.deleted.transcripts, 1);
    assert.equal(after.body.last_run.deleted.audit_log, 1);
    assert.equal(after.body.last_run.deleted.events, eventsBefore);
    // Reports keep their counts.
    assert.deepEqual(await report(), reportBefore);

    // A job asking again for the same day runs nothing.
    await t.ctx.db
      .updateTable('messages')
      .set({ created_at: ago(100) })
      .where('id', '=', fresh!.id)
      .execute();
    await runRetention(t.ctx, day, { id: 'another-process-job' });
    assert.equal(await countOf('messages', ws.id, conversationId), 1, 'the day already ran');
  });

  async function countOf(table: 'messages' | 'events', workspaceId: string, conversationId?: string) {
    let q = t.ctx.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId);
    if (conversationId) q = q.where('conversation_id' as never, '=', conversationId as never);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  async function report() {
    const r = await t.call('GET', `/v1/reports/overview?from=${ago(200)}&to=${ago(-1)}`, { key: ws.test });
    assert.equal(r.status, 200, r.text);
    const { messages_in, messages_out, conversations } = r.body.totals ?? r.body;
    return { messages_in, messages_out, conversations };
  }
});
