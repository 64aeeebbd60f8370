import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import { analyzeWhereMissing, tablesWithoutStatistics } from '../../src/platform/db/statistics.ts';
import { eventually, forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';

/**
 * Planner statistics (issue 62): before PostgreSQL had any (`autovacuum` off), every search took
 * 3 s; one ANALYZE made it 5 ms. Parley gathers them at start for the tables that have none and
 * after a bulk import for the tables it filled.
 */
forEachStorage('planner statistics', (storage) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(storage);
  });
  after(() => t.close());

  const analyzed = async (table: string) => {
    const { rows } = await sql<{ at: string | null }>`
      select coalesce(last_analyze, last_autoanalyze)::text as at from pg_stat_user_tables
      where schemaname = current_schema() and relname = ${table}`.execute(t.ctx.db);
    return rows[0]?.at ?? null;
  };

  it('at start, every table without statistics gets them (PostgreSQL; SQLite runs PRAGMA optimize)', async () => {
    const missing = await tablesWithoutStatistics(t.ctx);
    if (storage === 'sqlite') {
      assert.deepEqual(missing, []);
      assert.deepEqual(await analyzeWhereMissing(t.ctx), []);
      return;
    }
    for (const table of ['messages', 'conversations', 'contacts'])
      assert.ok(missing.includes(table), `${table} has no statistics in a new database: ${missing.join()}`);
    assert.deepEqual(await analyzeWhereMissing(t.ctx), missing);
    assert.deepEqual(await tablesWithoutStatistics(t.ctx), []);
    assert.ok(await analyzed('messages'));
  });

  it('a bulk import of contacts gathers their statistics when it completes', async () => {
    const ws = await t.workspace();
    const rows = Array.from({ length: 50 }, (_, i) => ({
      phone: `+9198200${String(i).padStart(5, '0')}`,
      name: `C${i}`,
    }));
    const before = storage === 'postgres' ? await analyzed('contacts') : null;
    const imp = await t.call('POST', '/v1/imports', { key: ws.test, body: { rows } });
    assert.equal(imp.status, 202, imp.text);
    await eventually(async () => {
      const r = await t.call('GET', `/v1/imports/${imp.body.id}`, { key: ws.test });
      return r.body.status === 'completed' ? r.body : null;
    });
    if (storage === 'postgres')
      await eventually(async () => {
        const at = await analyzed('contacts');
        return at && at !== before ? at : null;
      });
  });
});
