import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { createPgDatabase, postgresAvailable } from '../support/harness.ts';

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

  it('writes a common page size into the text and leaves out a zero offset, so a page keeps its generic plan', {
    skip: !available,
  }, async () => {
    await sql`create table prep_page (id integer primary key)`.execute(handle.db);
    await sql`insert into prep_page select generate_series(1, 20000)`.execute(handle.db);
    await sql`analyze prep_page`.execute(handle.db);
    const page = (perPage: number, n: number) =>
      handle.db
        .selectFrom('prep_page' as never)
        .select('id' as never)
        .where('id' as never, '>', 0 as never)
        .orderBy('id' as never)
        .limit(perPage)
        .offset((n - 1) * perPage);
    const first = page(20, 1).compile();
    assert.match(first.sql, / limit 20$/);
    assert.deepEqual(first.parameters, [0]);
    // A later page, and a size not in the list, are parameters as before.
    assert.match(page(20, 3).compile().sql, / limit 20 offset \$2$/);
    assert.match(page(7, 1).compile().sql, / limit \$2$/);
    const ids = async (q: ReturnType<typeof page>) =>
      (await q.execute()).map((r) => (r as { id: number }).id);
    assert.deepEqual((await ids(page(20, 3))).slice(0, 2), [41, 42]);
    assert.deepEqual(await ids(page(7, 2)), [8, 9, 10, 11, 12, 13, 14]);
    const plans = async (text: string) =>
      (
        await sql<{
          generic_plans: number;
          custom_plans: number;
        }>`select generic_plans, custom_plans from pg_prepared_statements where statement = ${text}`.execute(
          handle.db,
        )
      ).rows[0];
    for (let i = 0; i < 8; i++) {
      assert.equal((await ids(page(20, 1))).length, 20);
      await ids(page(7, 1));
    }
    // PostgreSQL plans the first five runs for their values, then keeps the generic plan when
    // its estimate is no worse: with the size in the text it is; with a parameter for a limit
    // it guesses a tenth of the table and plans every run again.
    assert.ok(Number((await plans(first.sql))?.generic_plans) > 0, 'the first page runs its generic plan');
    assert.equal(Number((await plans(page(7, 1).compile().sql))?.generic_plans), 0);
    await sql`drop table prep_page`.execute(handle.db);
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
