import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { messagingMigrations } from '../../src/modules/messaging/messaging.migrations.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * GET /v1/search finds order, invoice and ticket numbers ("GF-77341", "INV-2026-001", "A/55/9",
 * "v2.3.1") whole, joined ("gf77341") and by their parts ("77341"), on both storages.
 */
forEachStorage('search: codes', (storage) => {
  let t: TestApp;
  let w: Workspace;
  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body: { from, text } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const search = async (q: string) => {
    const r = await t.call('GET', `/v1/search?q=${encodeURIComponent(q)}`, { key: w.test });
    assert.equal(r.status, 200, `${q}: ${r.text}`);
    return r;
  };
  const ids = (r: { body: { data: Array<{ conversation: { id: string } }> } }) =>
    r.body.data.map((d) => d.conversation.id);
  /** The marked text of the first match. */
  const marked = (r: {
    body: { data: Array<{ matches: Array<{ snippet: string; highlights: number[][] }> }> };
  }) => {
    const m = r.body.data[0]!.matches[0]!;
    return m.highlights.map(([s, e]) => m.snippet.slice(s, e));
  };

  let order: string;
  let invoice: string;
  let ticket: string;
  let version: string;
  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    order = await inbound('+919900007001', 'My order GF-77341 is still not here');
    invoice = await inbound('+919900007002', 'Please resend invoice INV-2026-001, the PDF is blank');
    ticket = await inbound('+919900007003', 'Ticket A/55/9 was never answered');
    version = await inbound('+919900007004', 'The app v2.3.1 crashes at checkout; refund of -450 please');
    // A closed conversation is searched as any other.
    const close = await t.call('POST', `/v1/conversations/${ticket}/close`, { key: w.test });
    assert.ok(close.status < 300, close.text);
    // Near misses: another number, the same parts in another order.
    await inbound('+919900007005', 'order GF-77342 arrived fine; 2026 was a good year, 001 too');
  });
  after(async () => {
    await t.close();
  });

  it('finds an order number whole, joined, by its parts, and among other words', async () => {
    for (const q of ['GF-77341', 'gf-77341', 'GF77341', '77341', 'GF 77341', 'order GF-77341', 'GF/77341']) {
      const r = await search(q);
      assert.deepEqual(ids(r), [order], q);
      assert.equal(r.body.data[0].matches[0].snippet, 'My order GF-77341 is still not here', q);
    }
    assert.deepEqual(ids(await search('still not here')), [order]);
    assert.deepEqual(ids(await search('GF-77343')), []);
  });

  it('finds invoice, ticket and version numbers whole, joined and by their parts', async () => {
    const cases: Array<[string, string[]]> = [
      [invoice, ['INV-2026-001', 'inv2026001', 'INV-2026', '2026-001', 'inv 001', 'invoice INV-2026-001']],
      [ticket, ['A/55/9', 'a559', '55/9', 'A-55-9', 'ticket 55']],
      [version, ['v2.3.1', 'V231', 'v2.3', 'v2 crashes', '3.1']],
    ];
    for (const [conversation, queries] of cases)
      for (const q of queries) assert.deepEqual(ids(await search(q)), [conversation], q);
    // The closed conversation is found with its status filter too.
    const closed = await t.call('GET', `/v1/search?q=${encodeURIComponent('A/55/9')}&status=closed`, {
      key: w.test,
    });
    assert.deepEqual(ids(closed), [ticket]);
    // A number written with a leading minus is found as the number.
    assert.deepEqual(ids(await search('450')), [version]);
  });

  it('finds a code a customer wrote with spaces by the code, when no message writes it whole', async () => {
    const spaced = await inbound('+919900007006', 'parcel GF 88812 is late again');
    for (const q of ['GF-88812', 'GF/88812', 'GF 88812']) assert.deepEqual(ids(await search(q)), [spaced], q);
    // Once a message writes it whole, the code finds that message by its single indexed word.
    const whole = await inbound('+919900007007', 'GF-88812 again, as I wrote before');
    assert.deepEqual(ids(await search('GF-88812')), [whole]);
    assert.deepEqual(new Set(ids(await search('GF 88812'))), new Set([spaced, whole]));
  });

  it('marks the code in the stored text', async () => {
    assert.deepEqual(marked(await search('GF-77341')), ['GF-77341']);
    assert.deepEqual(marked(await search('gf77341')), ['GF-77341']);
    assert.deepEqual(marked(await search('77341')), ['77341']);
    assert.deepEqual(marked(await search('order 77341')), ['order', '77341']);
    assert.deepEqual(marked(await search('INV-2026')), ['INV-2026']);
    assert.deepEqual(marked(await search('2026-001')), ['2026', '001']);
    assert.deepEqual(marked(await search('GF 77341')), ['GF', '77341']);
    assert.deepEqual(marked(await search('v2.3.1')), ['v2.3.1']);
  });

  it('an edited message is found by its new code only', async () => {
    await t.ctx.db
      .updateTable('messages')
      .set({ text: 'now GF-90001' })
      .where('conversation_id', '=', order)
      .execute();
    assert.deepEqual(ids(await search('GF-77341')), []);
    assert.deepEqual(ids(await search('gf90001')), [order]);
    assert.deepEqual(ids(await search('90001')), [order]);
  });

  it('an upgrade indexes the codes of messages written before it', async () => {
    const db = t.ctx.db;
    // Back to the index as it was before codes were indexed, holding the messages already written.
    if (storage === 'sqlite') {
      for (const trigger of ['message_fts_insert', 'message_fts_delete', 'message_fts_update'])
        await sql`DROP TRIGGER ${sql.raw(trigger)}`.execute(db);
      await sql`DROP TABLE message_fts_terms`.execute(db);
      await sql`DROP TABLE message_fts`.execute(db);
      for (const step of [
        '0229_message_search',
        '0239_message_search_terms',
        '0240_message_search_secure_delete',
      ])
        await messagingMigrations[step]!.up(db, storage);
    } else {
      await sql`ALTER TABLE messages DROP COLUMN search_tsv`.execute(db);
      await sql`DROP FUNCTION parley_search_text(text)`.execute(db);
      await sql`ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (to_tsvector('parley_search', coalesce(text, ''))) STORED`.execute(
        db,
      );
      await sql`CREATE INDEX messages_search ON messages USING gin (search_tsv)`.execute(db);
    }
    assert.deepEqual(ids(await search('inv2026001')), []);
    await messagingMigrations['0241_message_search_codes']!.up(db, storage);
    assert.deepEqual(ids(await search('inv2026001')), [invoice]);
    assert.deepEqual(ids(await search('INV-2026-001')), [invoice]);
    assert.deepEqual(ids(await search('a559')), [ticket]);
    // Messages written after it are indexed the same way.
    const later = await inbound('+919900007006', 'Where is GF-55001?');
    assert.deepEqual(ids(await search('gf55001')), [later]);
  });
});
