/**
 * Where PostgreSQL's time goes per accepted message: `node bench/pg-profile.ts`.
 *
 * Counts what the server sends to PostgreSQL, read from PostgreSQL's own statement log
 * (`log_min_duration_statement = 0`, set on the benchmark's database only), so the figures are
 * counts of round trips and statements, not timings of a busy machine:
 * 1. idle: statements a second with nothing to do (the pollers),
 * 2. N sequential `POST /v1/messages` (templates, then free text with BENCH_TEXT=1), each
 *    drained to `sent` before the next phase: statements and transactions per accepted message,
 *    split into the request's own and the send's,
 * 3. the statements by shape, most frequent first, with their server-side time.
 * The server log must be readable (Debian: /var/log/postgresql/postgresql-<v>-main.log).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createPgDatabase, PG_ADMIN_URL } from '../test/support/harness.ts';
import { createBenchTemplate, messageBody, startServer } from './support.ts';

const N = Number(process.env.BENCH_MESSAGES ?? 200);
const logDir = '/var/log/postgresql';
const logFile = join(
  logDir,
  readdirSync(logDir)
    .filter((f) => /^postgresql-.*\.log$/.test(f))
    .sort()
    .at(-1) ?? '',
);

const db = await createPgDatabase();
const dbName = new URL(db.url).pathname.slice(1);
const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
await admin.connect();
await admin.query(`ALTER DATABASE ${dbName} SET log_min_duration_statement = 0`);

const server = await startServer({
  DATABASE_URL: db.url,
  PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
});
const client = new pg.Client({ connectionString: db.url });
await client.connect();
await client.query(
  `UPDATE workspaces SET limits = '{"requests_per_minute":null,"requests_per_day":null,"messages_per_hour":null}'`,
);
await createBenchTemplate(server.url, server.testKey);

const offset = () => statSync(logFile).size;
interface Stmt {
  kind: string;
  ms: number;
  text: string;
}
/** The statements logged for this database since `from`. */
function statements(from: number): Stmt[] {
  const text = readFileSync(logFile).subarray(from).toString('utf8');
  const out: Stmt[] = [];
  const head = new RegExp(
    `@${dbName} LOG:\\s+duration: ([\\d.]+) ms\\s+(statement|parse|bind|execute)[^:]*:\\s*([\\s\\S]*)`,
  );
  // One log entry per line that starts with a timestamp; a statement may span several lines.
  for (const entry of text.split(/\n(?=\d{4}-\d\d-\d\d )/)) {
    const m = head.exec(entry);
    if (m) out.push({ ms: Number(m[1]), kind: m[2], text: m[3].trim() });
  }
  return out;
}
const sentCount = async () =>
  Number(
    (await client.query(`SELECT count(*) AS n FROM messages WHERE status IN ('sent','delivered','read')`))
      .rows[0].n,
  );

// 1. Idle.
await new Promise((r) => setTimeout(r, 2000));
let from = offset();
await new Promise((r) => setTimeout(r, 5000));
const idle = statements(from).filter((s) => s.kind !== 'parse' && s.kind !== 'bind');
console.log(
  `idle: ${(idle.length / 5).toFixed(1)} statements/s (${idle
    .map((s) => s.text.slice(0, 50))
    .slice(0, 3)
    .join(' | ')})`,
);

// 2. Sequential sends.
const before = await sentCount();
from = offset();
const headers = { authorization: `Bearer ${server.testKey}`, 'content-type': 'application/json' };
let requestMs = 0;
for (let i = 0; i < N; i++) {
  const t = performance.now();
  const res = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers, body: messageBody(i + 1) });
  requestMs += performance.now() - t;
  if (res.status !== 202 && res.status !== 201)
    throw new Error(`send ${i}: ${res.status} ${await res.text()}`);
}
const deadline = Date.now() + 60_000;
while ((await sentCount()) < before + N && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 100));
const all = statements(from);
const runs = all.filter((s) => s.kind === 'statement' || s.kind === 'execute');
const shape = (t: string) =>
  t
    .replace(/\$\d+/g, '?')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b\d+\b/g, 'N')
    .replace(/\s+/g, ' ')
    .slice(0, 140);
const byShape = new Map<string, { n: number; ms: number; planMs: number }>();
for (const s of all) {
  const k = shape(s.text);
  const e = byShape.get(k) ?? { n: 0, ms: 0, planMs: 0 };
  if (s.kind === 'statement' || s.kind === 'execute') {
    e.n++;
    e.ms += s.ms;
  } else e.planMs += s.ms;
  byShape.set(k, e);
}
const begins = runs.filter((s) => /^begin/i.test(s.text)).length;
const serverMs = all.reduce((a, s) => a + s.ms, 0);
const planMs = all
  .filter((s) => s.kind !== 'statement' && s.kind !== 'execute')
  .reduce((a, s) => a + s.ms, 0);
console.log(
  `${N} messages (${process.env.BENCH_TEXT ? 'free text' : 'template'}), sequential: ${(runs.length / N).toFixed(1)} statements and ${(begins / N).toFixed(2)} transactions per message; server time ${(serverMs / N).toFixed(2)} ms per message (parse+bind ${(planMs / N).toFixed(2)} ms); request p-mean ${(requestMs / N).toFixed(1)} ms`,
);
console.log('statements by shape (runs per message, server ms per message incl. parse/bind):');
for (const [k, e] of [...byShape].sort((a, b) => b[1].n - a[1].n).slice(0, 40))
  console.log(
    `  ${(e.n / N).toFixed(2).padStart(6)}  ${((e.ms + e.planMs) / N).toFixed(3).padStart(7)} ms  ${k}`,
  );

await server.stop();
await client.end();
await admin.end();
await db.drop();
