/**
 * Imports 100,000 generated contacts through POST /v1/imports and times them to `completed`,
 * on SQLite (temp dir) and, when reachable, PostgreSQL (a fresh database). Prints rows/s and
 * peak RSS. Run: node_modules/.bin/node --disable-warning=ExperimentalWarning bench/imports.bench.ts [sqlite|postgres]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/platform/config.ts';
import { startParley } from '../src/server.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const PG_ADMIN_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = 'bench-admin-token-0123456789abcdef';

function csv(rows: number): Buffer {
  const lines = ['phone,name,email,tags,attributes.plan,attributes.city'];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `+9198${String(10_000_000 + i)},Customer ${i},c${i}@example.com,vip;bench,${i % 3 ? 'basic' : 'premium'},Pune`,
    );
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function run(storage: 'sqlite' | 'postgres') {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  let dbName: string | undefined;
  let databaseUrl: string | undefined;
  if (storage === 'postgres') {
    dbName = `parley_bench_${randomBytes(4).toString('hex')}`;
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const config = loadConfig({
    PARLEY_DATA_DIR: dataDir,
    PARLEY_ADMIN_TOKEN: ADMIN,
    PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_JOB_POLL_MS: '20',
    PORT: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const parley = await startParley(config, { listen: false, bootstrap: false });
  try {
    const ws = await parley.app.inject({
      method: 'POST',
      url: '/v1/admin/workspaces',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'Bench', plan: 'enterprise' }),
    });
    const key = (JSON.parse(ws.body).api_keys as Array<{ mode: string; key: string }>).find(
      (k) => k.mode === 'test',
    )!.key;
    const body = csv(ROWS);
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    const res = await parley.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
      payload: body,
    });
    if (res.statusCode !== 202) throw new Error(`upload: ${res.statusCode} ${res.body}`);
    const accepted = performance.now();
    const id = JSON.parse(res.body).id as string;
    let imp: { status: string; created: number; failed: number; total_rows: number };
    for (;;) {
      const r = await parley.app.inject({
        method: 'GET',
        url: `/v1/imports/${id}`,
        headers: { authorization: `Bearer ${key}` },
      });
      imp = JSON.parse(r.body);
      if (imp.status === 'completed' || imp.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    console.log(
      JSON.stringify({
        storage,
        rows: ROWS,
        status: imp.status,
        created: imp.created,
        failed: imp.failed,
        upload_ms: Math.round(accepted - started),
        total_s: Number(seconds.toFixed(2)),
        rows_per_s: Math.round(ROWS / seconds),
        peak_rss_mb: Math.round(peakRss / 1024 / 1024),
        csv_mb: Number((body.length / 1024 / 1024).toFixed(1)),
      }),
    );
  } finally {
    await parley.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (dbName) {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

const only = process.argv[2];
for (const storage of ['sqlite', 'postgres'] as const) {
  if (!only || only === storage) await run(storage);
}
