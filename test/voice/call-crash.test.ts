import assert from 'node:assert/strict';
import { it } from 'node:test';
import { crashDuringCalls } from '../support/call-crash.ts';
import { forEachStorage } from '../support/harness.ts';
import { killAll } from '../support/server-process.ts';

/**
 * Calls cut off by a crash end: a server process holding live calls is killed with SIGKILL; the
 * next one ends them (`ended_reason: server_lost`) within seconds, emits each call's end event
 * once, frees their slots, and the campaign whose calls they were completes.
 */
forEachStorage('calls of a killed process', (storage) => {
  it('end with server_lost within ~15 s of the restart, once each, and the campaign completes', {
    timeout: 180_000,
  }, async (t) => {
    t.after(killAll);
    const r = await crashDuringCalls(storage);
    assert.equal(r.ended.length, 5);
    for (const c of r.ended) {
      assert.equal(c.ended_reason, 'server_lost', JSON.stringify(c));
      const wasWeb = r.webIds.includes(c.id);
      assert.equal(c.status, wasWeb ? 'completed' : 'failed', JSON.stringify(c));
      if (!wasWeb) assert.equal(c.error?.code, 'server_lost');
    }
    assert.ok(r.endedMs - r.restartMs < 16_000, `ended ${r.endedMs - r.restartMs} ms after ready`);
    // One end event per call.
    const byCall = new Map<string, number>();
    for (const e of r.events) byCall.set(e.data.id, (byCall.get(e.data.id) ?? 0) + 1);
    assert.deepEqual(
      [...byCall.values()].sort(),
      [1, 1, 1, 1, 1],
      JSON.stringify(r.events.map((e) => [e.type ?? e.event, e.data.id])),
    );
    assert.equal(r.campaign.stats.failed, 2, JSON.stringify(r.campaign.stats));
    assert.equal(r.campaign.stats.in_progress, 0);
    assert.equal(r.concurrency.remaining, r.concurrency.limit, 'every slot is free again');
  });
});
