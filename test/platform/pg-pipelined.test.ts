import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type pg from 'pg';
import { type DatabaseHandle, openDatabase } from '../../src/platform/db/database.ts';
import { createPgDatabase, postgresAvailable } from '../support/harness.ts';

// Transactions on PostgreSQL go through pipelined.ts: `begin` goes out with the first statement,
// and statements issued without awaiting each other are sent together.
describe('pipelined transactions on PostgreSQL', async () => {
  const available = await postgresAvailable();
  let handle: DatabaseHandle;
  let drop: () => Promise<void>;
  let client: pg.PoolClient | undefined;

  before(async () => {
    if (!available) return;
    const pg = await createPgDatabase();
    drop = pg.drop;
    // One connection: every transaction below shares it, so a broken one would show.
    handle = await openDatabase({ databaseUrl: pg.url, sqlitePath: ':memory:', poolSize: 1 });
    handle.pool!.on('acquire', (c) => {
      client = c;
    });
    await sql`create table pipe_parent (id text primary key)`.execute(handle.db);
    await sql`create table pipe_child (id text primary key, parent_id text not null references pipe_parent (id))`.execute(
      handle.db,
    );
  });
  after(async () => {
    if (!available) return;
    await handle.close();
    await drop();
  });

  const parents = async () =>
    (await sql<{ id: string }>`select id from pipe_parent order by id`.execute(handle.db)).rows.map(
      (r) => r.id,
    );
  const insertParent = (db: typeof handle.db, id: string) =>
    db
      .insertInto('pipe_parent' as never)
      .values({ id } as never)
      .execute();
  const clean = () => sql`truncate pipe_child, pipe_parent`.execute(handle.db);

  it('sends statements issued together before the first comes back', { skip: !available }, async () => {
    await clean();
    await handle.transaction(async (trx) => {
      const writes = [insertParent(trx, 'a'), insertParent(trx, 'b'), insertParent(trx, 'c')];
      // A few microtask turns, no I/O: nothing can have come back from the server yet.
      for (let i = 0; i < 5; i++) await Promise.resolve();
      const c = client as unknown as { _queryQueue: unknown[]; _sentQueryQueue: unknown[] };
      assert.equal(c._queryQueue.length, 0, 'none waits in the client for the one before it');
      // begin and the three inserts are on the wire (one of them may be the one being answered).
      assert.ok(c._sentQueryQueue.length >= 3, `sent ahead: ${c._sentQueryQueue.length}`);
      await Promise.all(writes);
    });
    assert.deepEqual(await parents(), ['a', 'b', 'c']);
  });

  it('runs them in the order issued: a child row after its parent, in one pipeline', {
    skip: !available,
  }, async () => {
    await clean();
    await handle.transaction(async (trx) => {
      await Promise.all([
        insertParent(trx, 'p'),
        trx
          .insertInto('pipe_child' as never)
          .values({ id: 'k', parent_id: 'p' } as never)
          .execute(),
      ]);
    });
    const children = await sql<{ parent_id: string }>`select parent_id from pipe_child`.execute(handle.db);
    assert.deepEqual(
      children.rows.map((r) => r.parent_id),
      ['p'],
    );
  });

  it('stores nothing when one statement of the pipeline fails', { skip: !available }, async () => {
    await clean();
    const failure = await handle
      .transaction(async (trx) => {
        await Promise.all([insertParent(trx, 'x'), insertParent(trx, 'x'), insertParent(trx, 'y')]);
      })
      .then(
        () => null,
        (err: { code?: string }) => err,
      );
    assert.equal(failure?.code, '23505', 'the duplicate key is the error reported');
    assert.deepEqual(await parents(), []);
  });

  it('does not commit when a failed statement was caught inside the transaction', {
    skip: !available,
  }, async () => {
    await clean();
    await assert.rejects(
      handle.transaction(async (trx) => {
        await insertParent(trx, 'kept?');
        await insertParent(trx, 'kept?').catch(() => {});
        return 'done';
      }),
      (err: { code?: string }) => err.code === '23505',
    );
    assert.deepEqual(await parents(), [], 'PostgreSQL would have turned the commit into a rollback silently');
  });

  it('waits for a statement left running before it commits', { skip: !available }, async () => {
    await clean();
    await handle.transaction(async (trx) => {
      void insertParent(trx, 'late').catch(() => {});
    });
    assert.deepEqual(await parents(), ['late']);
  });

  it('leaves the connection usable after a failed transaction', { skip: !available }, async () => {
    await clean();
    await assert.rejects(
      handle.transaction(async (trx) => {
        await insertParent(trx, 'z');
        await sql`select 1 / 0`.execute(trx);
      }),
    );
    await handle.transaction(async (trx) => insertParent(trx, 'after'));
    assert.deepEqual(await parents(), ['after']);
  });
});
