import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type DatabaseHandle, openDatabase } from '../src/platform/db/database.ts';
import { createPgDatabase, postgresAvailable } from './support/harness.ts';

// Short statements run as named prepared statements on PostgreSQL (see prepareRepeatedStatements).
describe('prepared statements on PostgreSQL', async () => {
  const available = await postgresAvailable();
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;

  before(async () => {
    if (!available) return;
    const pg = await createPgDatabase();
    drop = pg.drop;
    // One connection, so the statements it prepared can be listed on it.
    handle = await openDatabase({ databaseUrl: pg.url, sqlitePath: ':memory:', poolSize: 1 });
    await sql`create table prep_t (id text primary key, a integer)`.execute(handle.db);
    await sql`insert into prep_t (id, a) values ('x', 1), ('y', 2)`.execute(handle.db);
  });
  after(async () => {
    if (!available) return;
    await handle.close();
    await drop();
  });

  const prepared = async () =>
    (
      await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(handle.db)
    ).rows.map((r) => r.statement);
  const byId = (id: string) =>
    handle.db
      .selectFrom('prep_t' as never)
      .selectAll()
      .where('id' as never, '=', id as never);

  it('prepares a short statement once and runs it again by name', { skip: !available }, async () => {
    assert.deepEqual(await byId('x').execute(), [{ id: 'x', a: 1 }]);
    assert.deepEqual(await byId('y').execute(), [{ id: 'y', a: 2 }]);
    const text = byId('x').compile().sql;
    assert.equal((await prepared()).filter((s) => s === text).length, 1, 'prepared once on the connection');
  });

  it('sends statements with many parameters unnamed', { skip: !available }, async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `id${i}`);
    const many = handle.db
      .selectFrom('prep_t' as never)
      .selectAll()
      .where('id' as never, 'in', ids as never);
    assert.deepEqual(await many.execute(), []);
    assert.ok(!(await prepared()).includes(many.compile().sql));
  });

  it('runs a statement unnamed once its table changed shape under it', { skip: !available }, async () => {
    assert.equal((await byId('x').execute()).length, 1);
    await sql`alter table prep_t add column b text`.execute(handle.db);
    // The prepared plan no longer fits: that run fails, and every later one runs unnamed.
    await assert.rejects(byId('x').execute(), (err: { code?: string }) => err.code === '0A000');
    assert.deepEqual(await byId('x').execute(), [{ id: 'x', a: 1, b: null }]);
    assert.deepEqual(await byId('y').execute(), [{ id: 'y', a: 2, b: null }]);
  });
});
