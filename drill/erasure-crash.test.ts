/**
 * The erasure drill (issue 51, RELIABILITY.md): a real server process erasing a big contact
 * (BIG_MESSAGES messages, an event naming them every 10) is killed
 * with SIGKILL in the middle of the job; a new process on the same storage resumes the job from
 * the last module recorded as done and completes it, and a raw scan of every table finds nothing
 * of the person. The figures it prints (`# drill: ...`) are the ones RELIABILITY.md reports.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { registerSearchText } from '../src/platform/db/search-text.ts';
import { newId } from '../src/platform/ids.ts';
import { createPgDatabase, postgresAvailable } from '../test/support/harness.ts';
import { freePort, killAll, type ServerProcess, spawnParley } from '../test/support/server-process.ts';
import { ADMIN_TOKEN, apiClient, fetchAgain as call, testWorkspaceKey, until } from './support.ts';

const pgOk = process.env.PARLEY_TEST_PG === '0' ? false : await postgresAvailable();
after(killAll);

const BIG_MESSAGES = Number(process.env.DRILL_ERASURE_MESSAGES ?? 100_000);
const PHONE = '+919812345699';
const NAME = 'Orsolya Killnine';
const EMAIL = 'orsolya.k9@example.com';
const WORDS = 'my passport number is K9 4455 6677';
const NEEDLES = [PHONE, PHONE.slice(1), NAME, EMAIL, '4455 6677'];

const secretKey = randomBytes(32).toString('base64');
const report = (line: string) => process.stdout.write(`# drill: ${line}\n`);
const SLOW = 900_000;
const ready = (base: string) => until(async () => (await fetch(`${base}/readyz`)).status === 200, 45_000);

/** The drill's own access to the server's database: rows read and written as plain objects. */
interface Raw {
  rows(query: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  insert(table: string, rows: Record<string, unknown>[]): Promise<void>;
  tables(): Promise<string[]>;
  close(): Promise<void>;
}

function sqliteRaw(file: string): Raw {
  const db = new DatabaseSync(file);
  // The search index's triggers call it when messages are written (0241).
  registerSearchText(db);
  db.exec('PRAGMA busy_timeout = 10000');
  return {
    async rows(query, params = []) {
      return db.prepare(query.replace(/\$\d+/g, '?')).all(...(params as never[])) as Record<
        string,
        unknown
      >[];
    },
    async insert(table, rows) {
      if (!rows.length) return;
      const cols = Object.keys(rows[0]!);
      const stmt = db.prepare(
        `insert into ${table} (${cols.map((c) => `"${c}"`).join(',')}) values (${cols.map(() => '?').join(',')})`,
      );
      db.exec('begin immediate');
      for (const r of rows) stmt.run(...(cols.map((c) => r[c]) as never[]));
      db.exec('commit');
    },
    async tables() {
      return (
        db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>
      ).map((r) => `"${r.name}"`);
    },
    async close() {
      db.close();
    },
  };
}

async function pgRaw(url: string): Promise<Raw> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return {
    async rows(query, params = []) {
      return (await c.query(query, params)).rows;
    },
    async insert(table, rows) {
      if (!rows.length) return;
      const cols = Object.keys(rows[0]!).filter((k) => k !== 'search_tsv');
      const values: unknown[] = [];
      const tuples = rows.map((r) => `(${cols.map((col) => `$${values.push(r[col])}`).join(',')})`);
      await c.query(
        `insert into ${table} (${cols.map((x) => `"${x}"`).join(',')}) values ${tuples.join(',')}`,
        values,
      );
    },
    async tables() {
      return (
        await c.query(`select table_schema as s, table_name as n from information_schema.tables
          where table_schema not in ('pg_catalog', 'information_schema') and table_type = 'BASE TABLE'`)
      ).rows.map((r) => `"${r.s}"."${r.n}"`);
    },
    async close() {
      await c.end();
    },
  };
}

/** Every row of every table that names the person (phone, name, email, words). */
async function rawScan(raw: Raw): Promise<string[]> {
  const hits: string[] = [];
  for (const table of await raw.tables()) {
    for (const row of await raw.rows(`select * from ${table}`)) {
      const text = JSON.stringify(row, (_k, v) =>
        typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
      ).toLowerCase();
      const found = NEEDLES.filter((n) => text.includes(n.toLowerCase()));
      if (found.length) hits.push(`${table}: ${found.join(', ')} in ${text.slice(0, 200)}`);
    }
  }
  return hits;
}

/** The person through the API, then cloned in the database into a big contact. */
async function seedBigContact(base: string, key: string, raw: Raw) {
  const api = apiClient(base, key);
  const inbound = await api('POST', '/v1/sandbox/inbound', { from: PHONE, text: WORDS });
  const conversationId = inbound.conversation_id as string;
  const conversation = await api('GET', `/v1/conversations/${conversationId}`);
  const contactId = conversation.contact.id as string;
  await api('PATCH', `/v1/contacts/${contactId}`, { name: NAME, email: EMAIL });
  const [msg] = await raw.rows('select * from messages where conversation_id = $1 limit 1', [conversationId]);
  const [evt] = await raw.rows('select * from events where data like $1 limit 1', [`%${PHONE.slice(1)}%`]);
  assert.ok(msg && evt, 'the rows to clone');
  // One conversation per channel and contact: the messages go in theirs, with an event about
  // the conversation (naming their phone) every 10 messages.
  const msgs: Record<string, unknown>[] = [];
  const evts: Record<string, unknown>[] = [];
  let written = 0;
  for (; written < BIG_MESSAGES; written++) {
    msgs.push({ ...msg, id: newId('msg'), provider_message_id: null, text: `${WORDS} (${written})` });
    if (written % 10 === 0) evts.push({ ...evt, id: newId('evt') });
    if (msgs.length >= 500) await raw.insert('messages', msgs.splice(0));
    if (evts.length >= 500) await raw.insert('events', evts.splice(0));
  }
  await raw.insert('messages', msgs);
  await raw.insert('events', evts);
  return { contactId, messages: written + 1 };
}

async function drill(storage: { name: string; env: Record<string, string>; raw: () => Promise<Raw> }) {
  const port = await freePort();
  const env = {
    PARLEY_ADMIN_TOKEN: ADMIN_TOKEN,
    PARLEY_SECRET_KEY: secretKey,
    PARLEY_LOG_LEVEL: 'warn',
    PARLEY_JOB_POLL_MS: '50',
    HOST: '127.0.0.1',
    PORT: String(port),
    ...storage.env,
  };
  const base = `http://127.0.0.1:${port}`;
  let server: ServerProcess = spawnParley(env);
  assert.ok(await ready(base), server.output());
  const raw = await storage.raw();
  try {
    const key = await testWorkspaceKey(base, 'Erasure drill');
    const { contactId, messages } = await seedBigContact(base, key, raw);

    // call(): seeding took longer than the server's keep-alive (5 s), so the kept-alive socket may
    // be closing as it is reused; an erasure asked twice answers the same erasure.
    const erase = await call(`${base}/v1/contacts/${contactId}/erase`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'Drill: customer request' }),
    });
    assert.ok(erase.status === 202 || erase.status === 200, await erase.clone().text());
    const erasureId = ((await erase.json()) as { id: string }).id;
    // Kill -9 once a module's part is recorded as done and the job is still running.
    let doneAtKill: string[] = [];
    const midway = await until(
      async () => {
        const [row] = await raw.rows('select status, steps_done from contact_erasures where id = $1', [
          erasureId,
        ]);
        doneAtKill = JSON.parse(String(row?.steps_done ?? '[]'));
        return row?.status === 'running' && doneAtKill.length > 0;
      },
      120_000,
      10,
    );
    server.child.kill('SIGKILL');
    await server.exited;
    assert.ok(midway, 'the erasure was seen midway');
    const [atKill] = await raw.rows('select status, steps_done from contact_erasures where id = $1', [
      erasureId,
    ]);
    assert.equal(atKill?.status, 'running', 'killed before it completed');
    const killedAt = Date.now();
    server = spawnParley(env);
    assert.ok(await ready(base), server.output());
    const completed = await until(
      async () => {
        const r = await call(`${base}/v1/erasures/${erasureId}`, {
          headers: { authorization: `Bearer ${key}` },
        });
        return ((await r.json()) as { status: string }).status === 'completed';
      },
      600_000,
      250,
    );
    assert.ok(completed, `the erasure completed after the restart: ${server.output().slice(-2000)}`);
    const resumedMs = Date.now() - killedAt;
    const [record] = await raw.rows('select subject, steps_done from contact_erasures where id = $1', [
      erasureId,
    ]);
    assert.equal(record?.subject, null, 'the sealed identifiers are gone');
    const contact = await call(`${base}/v1/contacts/${contactId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(contact.status, 404);
    const search = await call(`${base}/v1/search?q=passport`, {
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(((await search.json()) as { data: unknown[] }).data.length, 0);
    const erased = await raw.rows("select count(*) as n from events where type = 'contact.erased'");
    assert.equal(Number(erased[0]!.n), 1, 'contact.erased once');
    assert.deepEqual(await rawScan(raw), [], 'nothing of the person in any table');
    report(
      `${storage.name} erasure kill -9: a contact with ${messages} messages and ${Math.ceil(messages / 10)} events naming them, killed after ${doneAtKill.length} of the modules' parts (last: ${doneAtKill.at(-1)}); restarted, resumed and completed ${resumedMs} ms after the kill; contact.erased once; raw scan of every table: nothing of the person`,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).stack} (cause: ${String((err as Error).cause)}); server exit ${server.child.exitCode} ${server.child.signalCode}: ${server.output().slice(-1500)}`,
    );
  } finally {
    await server.stop('SIGKILL');
    await raw.close();
  }
}

describe('drill: kill -9 in the middle of an erasure', () => {
  it('SQLite: the job resumes after a restart and nothing of the person remains', {
    timeout: SLOW,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-drill-'));
    try {
      await drill({
        name: 'sqlite',
        env: { PARLEY_DATA_DIR: dataDir },
        raw: async () => sqliteRaw(join(dataDir, 'parley.db')),
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL: the same', { skip: pgOk ? false : 'PostgreSQL not reachable', timeout: SLOW }, async () => {
    const db = await createPgDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-drill-'));
    try {
      await drill({
        name: 'postgres',
        env: { DATABASE_URL: db.url, PARLEY_DATA_DIR: dataDir },
        raw: () => pgRaw(db.url),
      });
    } finally {
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
