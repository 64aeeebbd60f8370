import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crashDuringCalls } from '../test/support/call-crash.ts';
import { postgresAvailable } from '../test/support/harness.ts';
import { killAll } from '../test/support/server-process.ts';

const pgOk = process.env.PARLEY_TEST_PG === '0' ? false : await postgresAvailable();
const report = (line: string) => process.stdout.write(`# drill: ${line}\n`);

/** kill -9 of a server holding live calls: the next process ends them (server_lost). */
async function drill(storage: 'sqlite' | 'postgres') {
  const r = await crashDuringCalls(storage);
  assert.ok(r.ended.every((c) => c.ended_reason === 'server_lost'));
  assert.equal(r.campaign.status, 'completed');
  assert.equal(r.concurrency.remaining, r.concurrency.limit);
  report(
    `${storage} kill -9 during calls: ${r.ended.length} live calls (2 in progress, 3 ringing, 2 of them a campaign's) all ended server_lost ${r.endedMs} ms after the kill (${r.endedMs - r.restartMs} ms after the restart was ready), ${r.events.length} end events (one each), campaign completed, every slot free`,
  );
}

describe('drill: kill -9 during calls', () => {
  it('SQLite: every live call ends server_lost, once, and its campaign completes', {
    timeout: 180_000,
  }, async (t) => {
    t.after(killAll);
    await drill('sqlite');
  });
  it('PostgreSQL: the same', {
    skip: pgOk ? false : 'PostgreSQL not reachable',
    timeout: 180_000,
  }, async (t) => {
    t.after(killAll);
    await drill('postgres');
  });
});
