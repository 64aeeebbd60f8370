import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Erasing a person leaves nothing behind in the places the API does not show: the file sent to
 * them only (`POST /v1/media`, then a document), the queue's jobs (finished ones keep their
 * payloads a while: `teamtools.automations` carries the customer's words; pending ones name their
 * conversation), and the database's own files (SQLite's free pages and WAL; PostgreSQL's dead row
 * versions until VACUUM). The raw table scan of erasure.test.ts reads rows; this reads bytes.
 */
const PHONE = '+919812300457';
const NAME = 'Ottoline Vasquereau';
const WORD = 'Brimblecombe';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

forEachStorage('erasure leaves nothing behind', (storage) => {
  let t: TestApp;
  let ws: Workspace;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(() => t?.close());

  const upload = async (name: string) => {
    const form = new FormData();
    form.append('file', new Blob([PDF], { type: 'application/pdf' }), name);
    const res = new Response(form);
    const r = await t.call('POST', '/v1/media', {
      key: ws.test,
      headers: { 'content-type': res.headers.get('content-type')! },
      payload: Buffer.from(await res.arrayBuffer()),
    });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const sendPdf = async (to: string, mediaId: string) => {
    const r = await t.call('POST', '/v1/messages', {
      key: ws.test,
      body: { to, type: 'document', document: { media_id: mediaId, filename: 'statement.pdf' } },
    });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  /** Every job's payload, error and key as text, finished or not (the queue's own storage). */
  const jobTexts = async (): Promise<string[]> => {
    const { rows } =
      storage === 'postgres'
        ? await sql<{ text: string }>`select name || ' ' || coalesce(data::text, '') || ' ' ||
            coalesce(output::text, '') || ' ' || coalesce(singleton_key, '') as text from pgboss.job`.execute(
            t.ctx.db,
          )
        : await sql<{
            text: string;
          }>`select queue || ' ' || payload || ' ' || coalesce(last_error, '') || ' ' ||
            coalesce(singleton_key, '') as text from jobs`.execute(t.ctx.db);
    return rows.map((r) => r.text);
  };

  it('deletes the file sent to them only, every job naming them, and their bytes in the database files', async () => {
    const automation = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: { name: 'Seen', event: 'message.received', actions: [{ type: 'add_tags', tags: ['seen'] }] },
    });
    assert.equal(automation.status, 201, automation.text);
    const contact = await t.call('POST', '/v1/contacts', {
      key: ws.test,
      body: { phone: PHONE, name: NAME },
    });
    assert.equal(contact.status, 201, contact.text);
    const conv = await inbound(PHONE, `My account is ${WORD}-77 and my number ${PHONE}`);
    await inbound(PHONE, `${WORD} again, please check`);
    const other = '+919812300458';
    await inbound(other, 'Hello from someone else');
    // The automation ran on their words (its finished job keeps them).
    await eventually(async () => {
      const c = await t.call('GET', `/v1/conversations/${conv}`, { key: ws.test });
      return c.body.tags?.includes('seen');
    });
    const onlyTheirs = await upload('their-statement.pdf');
    const shared = await upload('price-list.pdf');
    const sent = [
      await sendPdf(PHONE, onlyTheirs),
      await sendPdf(PHONE, shared),
      await sendPdf(other, shared),
    ];
    await eventually(async () => {
      for (const id of sent) {
        const m = await t.call('GET', `/v1/messages/${id}`, { key: ws.test });
        if (m.body.status !== 'read') return false;
      }
      return true;
    });
    // A job still to run about them: the conversation snoozed until next week.
    const snooze = await t.call('POST', `/v1/conversations/${conv}/snooze`, {
      key: ws.test,
      body: { until: new Date(Date.now() + 7 * 86_400_000).toISOString() },
    });
    assert.equal(snooze.status, 200, snooze.text);
    const messageIds = (
      await t.ctx.db.selectFrom('messages').select('id').where('conversation_id', '=', conv).execute()
    ).map((m) => m.id);
    const needles = [PHONE, PHONE.slice(1), NAME, WORD, contact.body.id, conv, ...messageIds];
    const named = (texts: string[]) =>
      texts.flatMap((text) =>
        needles
          .filter((n) => text.toLowerCase().includes(n.toLowerCase()))
          .map((n) => `${n} in ${text.slice(0, 200)}`),
      );
    assert.ok(
      named(await jobTexts()).some((h) => h.startsWith(WORD)),
      'their words are in a job before',
    );
    assert.equal((await t.call('GET', `/v1/media/${onlyTheirs}/content`, { key: ws.test })).status, 200);

    const started = new Date();
    const erase = await t.call('POST', `/v1/contacts/${contact.body.id}/erase`, {
      key: ws.test,
      body: { reason: 'Asked to be forgotten' },
    });
    assert.equal(erase.status, 202, erase.text);
    await eventually(async () => {
      const e = await t.call('GET', `/v1/erasures/${erase.body.id}`, { key: ws.test });
      return e.body.status === 'completed';
    });
    // The erasure job ends with the database's own cleaning: wait for the job itself to finish.
    await eventually(async () => {
      const { rows } =
        storage === 'postgres'
          ? await sql<{ n: number }>`select count(*)::int as n from pgboss.job
              where name = 'privacy.erase_contact' and state = 'completed'`.execute(t.ctx.db)
          : await sql<{ n: number }>`select count(*) as n from jobs
              where queue = 'privacy.erase_contact' and state = 'completed'`.execute(t.ctx.db);
      return Number(rows[0]!.n) === 1;
    });

    // The file sent to them only is gone; the one sent to someone else too stays.
    const gone = await t.call('GET', `/v1/media/${onlyTheirs}/content`, { key: ws.test });
    assert.equal(gone.status, 404, gone.text);
    assert.equal(gone.body.error.code, 'not_found');
    assert.equal((await t.call('GET', `/v1/media/${shared}/content`, { key: ws.test })).status, 200);

    // No job, finished or pending, names them: not their phone, name or words, not their ids.
    assert.deepEqual(named(await jobTexts()), []);

    if (storage === 'sqlite') {
      // The database file's bytes, after a checkpoint: no copy of their number or their words.
      await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(t.ctx.db);
      const file = join(t.config.dataDir, 'parley.db');
      const bytes = readFileSync(file);
      for (const needle of [PHONE, PHONE.slice(1), WORD, NAME])
        assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `${needle} is in the database file's bytes`);
      const wal = `${file}-wal`;
      assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'the WAL is truncated');
    } else {
      // VACUUM ran on the tables that held them, after the erasure.
      const { rows } = await sql<{ relname: string; last_vacuum: Date | null }>`select relname, last_vacuum
        from pg_stat_user_tables where schemaname = current_schema()
        and relname in ('contacts', 'conversations', 'messages', 'events', 'media_files')`.execute(t.ctx.db);
      assert.equal(rows.length, 5);
      for (const r of rows)
        assert.ok(r.last_vacuum && r.last_vacuum >= started, `${r.relname}: ${r.last_vacuum}`);
      // And no row version, live or dead, still holds them: every tuple on every page of those
      // tables (pageinspect reads the pages themselves, dead tuples included).
      await sql`create extension if not exists pageinspect`.execute(t.ctx.db);
      for (const table of ['contacts', 'conversations', 'messages', 'events']) {
        const { rows: hits } = await sql<{ n: number }>`select count(*)::int as n
          from generate_series(0, pg_relation_size(${table}::regclass) / current_setting('block_size')::int - 1) as p,
          lateral heap_page_items(get_raw_page(${table}, p::int)) i
          where i.t_data is not null and (position(convert_to(${PHONE.slice(1)}, 'UTF8') in i.t_data) > 0
            or position(convert_to(${WORD}, 'UTF8') in i.t_data) > 0)`.execute(t.ctx.db);
        assert.equal(hits[0]!.n, 0, `${table}: a row version still holds them`);
      }
    }
  });
});
