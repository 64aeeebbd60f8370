/**
 * Liveness per process (issue 29): a process holding calls renews one `call_owners` row, not a
 * column on each call, and the reaper ends a held call only when its owner's row went stale (or,
 * for an owner with no row, when the call's own `owner_seen_at` did). On both storages, through
 * the reaper itself; the kill -9 of a real process is test/call-crash.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { reapOrphanCalls } from '../../src/modules/voice/calls.owners.ts';
import { HEARTBEAT_MS } from '../../src/modules/voice/calls.ownership.ts';
import { voiceRuntime } from '../../src/modules/voice/voice.runtime.ts';
import { forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

forEachStorage('call owners', (storage) => {
  let t: TestApp;
  let key: string;
  let agentId: string;
  before(async () => {
    t = await startTestApp(storage);
    key = (await t.workspace({ plan: 'enterprise' })).test;
    const agent = await t.call('POST', '/v1/agents', { key, body: { name: 'Owners' } });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(() => t.close());

  /** A web call nobody joins (it stays queued), then marked held by `owner` as a process would. */
  async function heldCall(owner: string, ownerSeenAt: string): Promise<string> {
    const res = await t.call('POST', '/v1/calls', { key, body: { calls: [{ agent_id: agentId }] } });
    assert.equal(res.status, 201, res.text);
    const id = res.body.results[0].call.id as string;
    await t.ctx.db
      .updateTable('calls')
      .set({ status: 'in_progress', answered_at: ago(60_000), owner, owner_seen_at: ownerSeenAt })
      .where('id', '=', id)
      .execute();
    return id;
  }
  const statusOf = async (id: string) => ({
    ...(await t.ctx.db
      .selectFrom('calls')
      .select(['status', 'ended_reason'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow()),
  });
  const reap = () => reapOrphanCalls(t.ctx, voiceRuntime(t.ctx).ownership, () => false);
  const setOwner = (id: string, seenAt: string) =>
    t.ctx.db
      .insertInto('call_owners')
      .values({ id, seen_at: seenAt })
      .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: seenAt }))
      .execute();

  it('keeps a call whose owner renews its row, however long ago the call was claimed', async () => {
    await setOwner('host:1:live', ago(0));
    const id = await heldCall('host:1:live', ago(3_600_000));
    assert.equal(await reap(), 0);
    assert.equal((await statusOf(id)).status, 'in_progress');
  });

  it('ends the calls of an owner whose row went stale, once', async () => {
    await setOwner('host:2:gone', ago(60_000));
    const a = await heldCall('host:2:gone', ago(60_000));
    const b = await heldCall('host:2:gone', ago(1_000));
    // The app's own reaper job may run meanwhile and end one or both: together, each ends once.
    assert.ok((await reap()) <= 2);
    for (const id of [a, b])
      assert.deepEqual(await statusOf(id), { status: 'completed', ended_reason: 'server_lost' });
    assert.equal(await reap(), 0, 'an ended call is not ended again');
    const ends = await t.ctx.db
      .selectFrom('events')
      .select('object_id')
      .where('type', '=', 'call.completed')
      .where('object_id', 'in', [a, b])
      .execute();
    assert.equal(ends.length, 2);
  });

  it('judges an owner with no row (a process of an older version) by the call’s owner_seen_at', async () => {
    const fresh = await heldCall('host:3:old-version', ago(1_000));
    const stale = await heldCall('host:4:old-version', ago(60_000));
    assert.equal(await reap(), 1);
    assert.equal((await statusOf(fresh)).status, 'in_progress');
    assert.equal((await statusOf(stale)).ended_reason, 'server_lost');
  });

  it('a process holding calls writes one row on a heartbeat; rows a day old are dropped', async () => {
    const own = voiceRuntime(t.ctx).ownership;
    const before = Date.now();
    // The heartbeat only writes while the process holds calls: with none, no row appears.
    await own.beat();
    const none = await t.ctx.db.selectFrom('call_owners').selectAll().where('id', '=', own.id).execute();
    assert.equal(none.length, 0);
    voiceRuntime(t.ctx).live.set('call_test_heartbeat', {} as never);
    try {
      await own.beat();
      const row = await t.ctx.db
        .selectFrom('call_owners')
        .selectAll()
        .where('id', '=', own.id)
        .executeTakeFirstOrThrow();
      assert.ok(
        Date.parse(row.seen_at) >= before - 5 && Date.parse(row.seen_at) <= Date.now() + HEARTBEAT_MS,
      );
    } finally {
      voiceRuntime(t.ctx).live.delete('call_test_heartbeat');
    }
    await setOwner('host:5:long-gone', ago(25 * 3_600_000));
    await reap();
    const left = await t.ctx.db
      .selectFrom('call_owners')
      .select('id')
      .where('id', '=', 'host:5:long-gone')
      .execute();
    assert.equal(left.length, 0);
  });

  it('lets go of a call stored as its own that it no longer holds, so the reaper ends it', async () => {
    const rt = voiceRuntime(t.ctx);
    const own = rt.ownership;
    // Stored as held by this process, claimed a minute ago: one is live here, one is not (its
    // session ended without its end being written).
    const held = await heldCall(own.id, ago(60_000));
    const leaked = await heldCall(own.id, ago(60_000));
    rt.live.set(held, {} as never);
    try {
      // Its row is fresh, so nothing is reaped yet.
      await own.beat();
      assert.equal(await reap(), 0);
      // Missing at two audits in a row: let go.
      for (let i = 0; i < 4; i++) await own.beat();
      const rows = await t.ctx.db
        .selectFrom('calls')
        .select(['id', 'owner'])
        .where('id', 'in', [held, leaked])
        .execute();
      const ownerOf = new Map(rows.map((r) => [r.id, r.owner]));
      assert.equal(ownerOf.get(held), own.id, 'a call live here stays its own');
      assert.equal(ownerOf.get(leaked), null);
      assert.equal(await reap(), 1);
      assert.equal((await statusOf(leaked)).ended_reason, 'server_lost');
      assert.equal((await statusOf(held)).status, 'in_progress');
    } finally {
      rt.live.delete(held);
    }
  });
});
