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
    const rows = Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, a: i }));
    const many = handle.db.insertInto('prep_t' as never).values(rows as never);
    await many.execute();
    assert.ok(!(await prepared()).includes(many.compile().sql));
    await handle.db
      .deleteFrom('prep_t' as never)
      .where('id' as never, 'like', 'm%' as never)
      .execute();
  });

  it('runs an IN list of any length as one statement with an array parameter', {
    skip: !available,
  }, async () => {
    const inList = (ids: string[]) =>
      handle.db
        .selectFrom('prep_t' as never)
        .selectAll()
        .where('id' as never, 'in', ids as never)
        .orderBy('id' as never);
    const one = inList(['x']).compile();
    const many = inList(Array.from({ length: 40 }, (_, i) => (i === 7 ? 'y' : `id${i}`))).compile();
    assert.equal(one.sql, many.sql, 'the same text whatever the length');
    assert.match(one.sql, /= any\(\$1\)/);
    assert.deepEqual(await inList(['x']).execute(), [{ id: 'x', a: 1 }]);
    assert.deepEqual(await inList(['y', 'x', 'nope']).execute(), [
      { id: 'x', a: 1 },
      { id: 'y', a: 2 },
    ]);
    const notIn = await handle.db
      .selectFrom('prep_t' as never)
      .selectAll()
      .where('id' as never, 'not in', ['x', 'zz'] as never)
      .execute();
    assert.deepEqual(notIn, [{ id: 'y', a: 2 }]);
    assert.equal((await prepared()).filter((s) => s === one.sql).length, 1, 'prepared once, by name');
    // Numbers too, typed by the column.
    const byA = await handle.db
      .selectFrom('prep_t' as never)
      .selectAll()
      .where('a' as never, 'in', [2, 5] as never)
      .execute();
    assert.deepEqual(byA, [{ id: 'y', a: 2 }]);
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
