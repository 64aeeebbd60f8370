import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { inScope, type Scope, scopeColumns, tenant } from '../../src/platform/db/scope.ts';
import { forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';

/** The one tenant filter: a workspace's queries never see another workspace's or mode's rows. */
forEachStorage('tenant scope', (storage) => {
  let t: TestApp;
  let mine: Scope;
  let myTest: Scope;
  let theirs: Scope;
  const ids: Record<'mine' | 'myTest' | 'theirs', string> = { mine: '', myTest: '', theirs: '' };

  before(async () => {
    t = await startTestApp(storage);
    const a = await t.workspace();
    const b = await t.workspace();
    mine = { workspaceId: a.id, livemode: true };
    myTest = { workspaceId: a.id, livemode: false };
    theirs = { workspaceId: b.id, livemode: true };
    const create = async (key: string, phone: string) => {
      const res = await t.call('POST', '/v1/contacts', { key, body: { phone, name: 'Asha' } });
      assert.equal(res.status, 201, res.text);
      return res.body.id as string;
    };
    // The same phone in each scope: only the scope tells the rows apart.
    ids.mine = await create(a.live, '+14155550100');
    ids.myTest = await create(a.test, '+14155550100');
    ids.theirs = await create(b.live, '+14155550100');
  });
  after(() => t.close());

  it('selects only the rows of its workspace and mode', async () => {
    const rows = await tenant(t.ctx.db, mine).selectFrom('contacts').select('id').execute();
    assert.deepEqual(
      rows.map((r) => r.id),
      [ids.mine],
    );
    const test = await tenant(t.ctx.db, myTest)
      .selectFrom('contacts')
      .select('id')
      .where('phone', '=', '+14155550100')
      .execute();
    assert.deepEqual(
      test.map((r) => r.id),
      [ids.myTest],
    );
  });

  it('finds by id in its scope only', async () => {
    const found = await tenant(t.ctx.db, mine).findById('contacts', ids.mine);
    assert.equal(found?.id, ids.mine);
    assert.equal(found?.workspace_id, mine.workspaceId);
    assert.equal(await tenant(t.ctx.db, mine).findById('contacts', ids.myTest), undefined);
    assert.equal(await tenant(t.ctx.db, mine).findById('contacts', ids.theirs), undefined);
  });

  it('updates and deletes nothing outside its scope', async () => {
    const updated = await tenant(t.ctx.db, mine)
      .updateTable('contacts')
      .set({ name: 'Changed' })
      .where('id', 'in', [ids.theirs, ids.myTest])
      .executeTakeFirst();
    assert.equal(Number(updated.numUpdatedRows), 0);
    const deleted = await tenant(t.ctx.db, theirs)
      .deleteFrom('contacts')
      .where('id', '=', ids.mine)
      .executeTakeFirst();
    assert.equal(Number(deleted.numDeletedRows), 0);
    const names = await t.ctx.db.selectFrom('contacts').select(['id', 'name']).orderBy('id').execute();
    assert.equal(names.length, 3);
    assert.ok(names.every((r) => r.name === 'Asha'));

    const own = await tenant(t.ctx.db, theirs)
      .updateTable('contacts')
      .set({ name: 'Ravi' })
      .where('id', '=', ids.theirs)
      .executeTakeFirst();
    assert.equal(Number(own.numUpdatedRows), 1);
    assert.equal((await tenant(t.ctx.db, theirs).findById('contacts', ids.theirs))?.name, 'Ravi');
  });

  it('scopes a joined table and works inside a transaction', async () => {
    const joined = await t.ctx.transaction(async (tx) =>
      tenant(tx.db, mine)
        .selectFrom('contacts')
        .innerJoin('contacts as same', 'same.phone', 'contacts.phone')
        .where(inScope(mine, 'same'))
        .select(['contacts.id as a', 'same.id as b'])
        .execute(),
    );
    assert.deepEqual(
      joined.map((r) => ({ ...r })),
      [{ a: ids.mine, b: ids.mine }],
    );
    assert.deepEqual(scopeColumns(myTest), { workspace_id: myTest.workspaceId, livemode: 0 });
  });
});
