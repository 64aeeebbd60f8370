import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { PgJobLeases } from './pg-leases.ts';

/** Counts the reaper's rounds without a database. */
class CountingLeases extends PgJobLeases {
  rounds = 0;
  override async reap() {
    this.rounds++;
    return 0;
  }
}

it('options passed as undefined keep their defaults: the reaper runs every 2 s, not every millisecond', async () => {
  // pgboss-queue.ts passes `reapEveryMs: opts.reapEveryMs`, undefined unless configured.
  const leases = new CountingLeases({
    connectionString: 'postgres://unused',
    schema: 'pgboss',
    reapEveryMs: undefined,
  });
  leases.start();
  try {
    // Half a second is a quarter of the default interval: no round may have run. With the
    // default lost, setTimeout(undefined) fires after 1 ms and this counted hundreds.
    await delay(500);
    assert.equal(leases.rounds, 0);
  } finally {
    await leases.stop();
  }
});

it('a configured interval is used', async () => {
  const leases = new CountingLeases({
    connectionString: 'postgres://unused',
    schema: 'pgboss',
    reapEveryMs: 20,
  });
  leases.start();
  try {
    const until = Date.now() + 10_000;
    while (leases.rounds < 3 && Date.now() < until) await delay(20);
    assert.ok(leases.rounds >= 3, `rounds: ${leases.rounds}`);
  } finally {
    await leases.stop();
  }
});
