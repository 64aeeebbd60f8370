import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * The reads the inbox makes most, planned as SQLite plans them with no statistics (it keeps none
 * unless ANALYZE runs): a thread's page and its count must go through the conversation's index.
 * With retention's (workspace_id, created_at) index the count walked every message of the
 * workspace instead (386 ms a request at 1,000,000 messages; BENCHMARKS.md, twenty-third session).
 */
forEachStorage('query plans of a thread', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(async () => t?.close());

  it('reads a thread and counts it by the conversation, not by the workspace', {
    skip: storage === 'sqlite' ? false : 'PostgreSQL plans from its statistics',
  }, async () => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155550111', text: 'hi' },
    });
    assert.equal(r.status, 200, r.text);
    const plan = async (query: string) =>
      (await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${query}`).execute(t.ctx.db)).rows
        .map((row) => row.detail)
        .join('; ');
    const where = `workspace_id = '${ws.id}' AND livemode = 0 AND conversation_id = '${r.body.conversation_id}'`;
    for (const query of [
      `SELECT count(*) FROM messages WHERE ${where}`,
      `SELECT * FROM messages WHERE ${where} ORDER BY id ASC LIMIT 21`,
      `SELECT * FROM messages WHERE ${where} ORDER BY id DESC LIMIT 21`,
    ])
      assert.match(await plan(query), /USING (COVERING )?INDEX messages_conversation/, query);
  });
});
