/**
 * Queue capacity: `node bench/messages-drain.bench.ts [sqlite|postgres]`.
 * An `api`-only Parley accepts a backlog of messages (nothing works the queue), then a `worker`
 * process starts and the time until every message is `sent` gives how many messages per second
 * the queue carries from accepted to sent, unbounded by the rate they arrive at.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/platform/db/database.ts';
import { createPgDatabase } from '../test/support/harness.ts';
import { createBenchTemplate, messageBody, paced, raiseLimits, startServer, startWorker } from './support.ts';

if (!process.argv[2]) {
  for (const which of ['sqlite', 'postgres']) {
    spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), which], {
      stdio: 'inherit',
    });
  }
  process.exit(0);
}
const storage = process.argv[2] as 'sqlite' | 'postgres';
const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 20_000);
/** Sends per second offered while the backlog is built. */
const RATE = Number(process.env.BENCH_RATE ?? 2000);

const pg = storage === 'postgres' ? await createPgDatabase() : undefined;
const env: Record<string, string> = pg
  ? { DATABASE_URL: pg.url, PARLEY_SECRET_KEY: randomBytes(32).toString('base64') }
  : {};
const api = await startServer({ ...env, PARLEY_ROLE: 'api' });
if (!pg) raiseLimits(api.dataDir);
const handle = await openDatabase({ databaseUrl: pg?.url, sqlitePath: join(api.dataDir, 'parley.db') });
const db = handle.db;
if (pg) {
  await db
    .updateTable('workspaces')
    .set({
      limits: JSON.stringify({ requests_per_minute: null, requests_per_day: null, messages_per_hour: null }),
    })
    .execute();
}
await createBenchTemplate(api.url, api.testKey);
let n = 0;
const backlog = await paced({
  url: `${api.url}/v1/messages`,
  method: 'POST',
  headers: { authorization: `Bearer ${api.testKey}`, 'content-type': 'application/json' },
  rate: RATE,
  seconds: BACKLOG / RATE,
  body: () => messageBody(n++),
});
console.log(
  `[${storage}] backlog: ${backlog.ok} messages accepted by an api-only process (${backlog.rps} req/s offered, p50 ${backlog.p50} ms, p99 ${backlog.p99} ms, non-2xx ${backlog.non2xx})`,
);
const countSent = async () =>
  Number(
    (
      await db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['sent', 'delivered', 'read'])
        .executeTakeFirstOrThrow()
    ).n,
  );
const t0 = Date.now();
const worker = await startWorker({ ...env, PARLEY_DATA_DIR: api.dataDir });
let sent = 0;
while (Date.now() - t0 < 180_000) {
  sent = await countSent();
  if (sent >= backlog.ok) break;
  await new Promise((r) => setTimeout(r, 50));
}
const secs = (Date.now() - t0) / 1000;
console.log(
  `[${storage}] drain: a worker process took ${sent}/${backlog.ok} from queued to sent in ${secs.toFixed(1)} s (start-up included): ${(sent / secs).toFixed(0)} messages/s`,
);
await worker.stop();
await api.stop();
await handle.close();
await pg?.drop();
rmSync(api.dataDir, { recursive: true, force: true });
