import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
  type SqliteStatement,
  type Transaction,
} from 'kysely';
import type pg from 'pg';
import { FixedShapeInListsPlugin } from './fixed-shape.ts';
import { CheckoutGate, gatedPool } from './pg-gate.ts';
import { pipelinedTransaction } from './pipelined.ts';
import type { Database } from './schema.ts';
import { registerSearchText } from './search-text.ts';

/** How long a request waits its turn for a pool connection while all are in use (then 503). */
const POOL_QUEUE_WAIT_MS = 20_000;

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

/** SQLite takes numbers, strings, bigints, bytes and null; Kysely may hand it booleans and undefined. */
function bindable(parameters: ReadonlyArray<unknown>): any[] {
  return parameters.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** Wraps Node's built-in `node:sqlite` in the shape Kysely's SQLite dialect expects (no native addon to build). */
class NodeSqliteDatabase implements SqliteDatabase {
  readonly raw: DatabaseSync;
  readonly #statements = new Map<string, { stmt: StatementSync; reader: boolean }>();

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.raw = new DatabaseSync(path);
    this.raw.exec('PRAGMA journal_mode = WAL');
    this.raw.exec('PRAGMA synchronous = NORMAL');
    this.raw.exec('PRAGMA busy_timeout = 5000');
    this.raw.exec('PRAGMA foreign_keys = ON');
    // What is deleted or overwritten is zeroed in the file, not left in free space (an erasure's
    // words and numbers would otherwise stay readable in the database file's bytes).
    this.raw.exec('PRAGMA secure_delete = ON');
    // A WAL that grew under load is cut back to this size when it starts over.
    this.raw.exec('PRAGMA journal_size_limit = 67108864');
    // The text the search index's triggers index (0241): codes joined as well as split.
    registerSearchText(this.raw);
    if (path !== ':memory:') {
      // Checkpoints (copying the WAL into the database, with an fsync) run on a thread of their
      // own, so a commit on the event loop never pays for one.
      this.raw.exec('PRAGMA wal_autocheckpoint = 0');
      this.#checkpointer = new Worker(CHECKPOINTER, { eval: true, workerData: { path, intervalMs: 100 } });
      this.#checkpointer.unref();
    }
  }

  #checkpointer: Worker | undefined;

  prepare(sql: string): SqliteStatement {
    let cached = this.#statements.get(sql);
    if (!cached) {
      const stmt = this.raw.prepare(sql);
      cached = { stmt, reader: stmt.columns().length > 0 };
      if (this.#statements.size > 500) this.#statements.clear();
      this.#statements.set(sql, cached);
    }
    const { stmt, reader } = cached;
    return {
      reader,
      all: (params) => stmt.all(...bindable(params)),
      run: (params) => {
        const r = stmt.run(...bindable(params));
        return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
      },
      iterate: (params) => stmt.iterate(...bindable(params)) as IterableIterator<unknown>,
    };
  }

  close() {
    this.#statements.clear();
    void this.#checkpointer?.terminate();
    // A last full checkpoint leaves a compact database file behind.
    try {
      this.raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch {}
    this.raw.close();
  }
}

/**
 * The checkpoint thread: a second connection that moves committed WAL frames into the database
 * every `intervalMs` (PASSIVE: it never blocks the writer, and once it has copied every frame the
 * next commit starts the WAL over). Only if the WAL still grows past 64 MB (readers kept it from
 * starting over) does it RESTART, which waits for the writer: a stall worth avoiding, so rare.
 */
const CHECKPOINTER = `
const { statSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 1000');
const walSize = () => { try { return statSync(workerData.path + '-wal').size; } catch { return 0; } };
setInterval(() => {
  try {
    db.exec(walSize() > 64 * 1024 * 1024 ? 'PRAGMA wal_checkpoint(RESTART)' : 'PRAGMA wal_checkpoint(PASSIVE)');
  } catch {}
}, workerData.intervalMs);
`;

const backgroundWork = new AsyncLocalStorage<true>();

/**
 * Runs `fn` (and everything it starts) as background work: on SQLite, whose one connection is
 * taken in turn, a request waiting for the connection goes before background work waiting for
 * it, so job handlers never sit in front of an API request. PostgreSQL has a pool: no effect.
 */
export function runInBackground<T>(fn: () => T): T {
  return backgroundWork.run(true, fn);
}

/** A lock with two queues: waiters from requests are let in before waiters from background work. */
class PriorityMutex {
  #locked = false;
  readonly #foreground: Array<() => void> = [];
  readonly #background: Array<() => void> = [];

  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((resolve) =>
      (backgroundWork.getStore() ? this.#background : this.#foreground).push(resolve),
    );
  }

  unlock(): void {
    const next = this.#foreground.shift() ?? this.#background.shift();
    if (next) next();
    else this.#locked = false;
  }
}

/**
 * Transactions take the write lock at once, so two processes sharing the file never deadlock on
 * upgrade; the connection is handed out foreground first (see runInBackground).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #turns = new PriorityMutex();

  override async acquireConnection(): Promise<DatabaseConnection> {
    await this.#turns.lock();
    // Uncontended now: the base driver's own lock is only ever taken by the holder of ours.
    return super.acquireConnection();
  }

  override async releaseConnection(): Promise<void> {
    await super.releaseConnection();
    this.#turns.unlock();
  }

  override async beginTransaction(connection: DatabaseConnection) {
    // SQLite runs each statement synchronously, so transactions queued one behind another would
    // run back to back without the event loop ever reading a socket: let I/O in between them.
    await new Promise((resolve) => setImmediate(resolve));
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

export interface DatabaseHandle {
  db: Db;
  dialect: Dialect;
  /** The pg pool (PostgreSQL only), shared with pg-boss. */
  pool?: pg.Pool;
  /** The raw SQLite handle (SQLite only). */
  sqlite?: DatabaseSync;
  /** Runs `fn` in one transaction (PostgreSQL: pipelined, see pipelined.ts). */
  transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Distinct statements a process names (and each connection prepares) at most. */
const PREPARED_STATEMENTS = 200;
/** Statements with more parameters than this (multi-row writes, long IN lists) vary too much to keep. */
const PREPARED_MAX_PARAMETERS = 16;

/** The statement texts a pool has named (`null`: runs unnamed); one per database handle, never per process. */
interface StatementNames {
  names: Map<string, string | null>;
  count: number;
}

/**
 * PostgreSQL plans an unnamed statement every time it runs: for the short look-ups the API makes
 * on every request, planning costs more than running (a page of the conversation list: 1.2 ms
 * to plan, 0.4 ms to run). Statements with few parameters are therefore sent as named prepared
 * statements: each connection parses one once, and after a few runs PostgreSQL keeps its generic
 * plan. At most PREPARED_STATEMENTS distinct texts are named per pool, so what each
 * connection keeps prepared stays bounded; the rest run unnamed as before. A statement whose
 * tables another process has since altered ("cached plan must not change result type") fails
 * once and runs unnamed from then on.
 */
function prepareRepeatedStatements(client: pg.PoolClient, statements: StatementNames) {
  const statementNames = statements.names;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const writeTogether = coalescedWrites(client);
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    writeTogether();
    const [text, values] = args;
    // Kysely sends every statement as query(text, values); anything else (pg-boss, a cursor) is passed on.
    if (typeof text !== 'string' || args.length !== 2 || !Array.isArray(values)) return query(...args);
    let name: string | null | undefined = null;
    if (values.length > 0 && values.length <= PREPARED_MAX_PARAMETERS) {
      name = statementNames.get(text);
      if (name === undefined && statements.count < PREPARED_STATEMENTS) {
        name = `parley_${statements.count++}`;
        statementNames.set(text, name);
      }
    }
    // pg's callback form, wrapped in a promise here: pg's own promise form keeps each result's
    // rows reachable long enough that V8 promotes nearly all of them to the old generation
    // (measured: 2.3 GB promoted over a million rows read in pages, against 12 MB this way),
    // which costs full collections and, for long reads such as a CSV export, memory.
    return new Promise((resolve, reject) => {
      query(
        name ? { name, text, values } : { text, values },
        (err: { code?: string } | null, res: unknown) => {
          if (!err) return resolve(res);
          if (name && err.code === '0A000') statementNames.set(text, null);
          reject(err);
        },
      );
    });
  };
}

/**
 * pg writes each statement to the socket with its own system call (it corks the socket for the
 * statement's messages only). Statements issued in the same turn (a pipelined transaction's
 * `begin` and first statement, a batch's writes) are held until the turn's promise callbacks have
 * run and then written with one call: one segment on the wire, one wake-up of the backend.
 */
function coalescedWrites(client: pg.PoolClient): () => void {
  const stream = (
    client as unknown as { connection?: { stream?: NodeJS.WritableStream & Partial<Corkable> } }
  ).connection?.stream;
  if (!stream?.cork || !stream.uncork) return () => {};
  const { cork, uncork } = stream as Corkable;
  let held = false;
  const release = () => {
    held = false;
    uncork.call(stream);
  };
  return () => {
    if (held) return;
    held = true;
    cork.call(stream);
    // After the promise callbacks of this turn (process.nextTick runs once they have drained).
    process.nextTick(release);
  };
}
interface Corkable {
  cork(): void;
  uncork(): void;
}

export async function openDatabase(opts: {
  databaseUrl?: string;
  sqlitePath: string;
  poolSize?: number;
}): Promise<DatabaseHandle> {
  if (opts.databaseUrl) {
    // Loaded only when used: the embedded shape never pays for the PostgreSQL driver.
    const { default: pg } = await import('pg');
    // bigint counts and numerics come back as numbers, as they do on SQLite. These parsers stay
    // process-wide on purpose: pg-boss reads its own counts through the driver and expects them too.
    pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
    pg.types.setTypeParser(1700, (v) => Number.parseFloat(v));
    const max = opts.poolSize ?? 20;
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max,
      // A database that does not answer fails the request (503) rather than holding it.
      connectionTimeoutMillis: 5000,
      // Statements issued without waiting for each other go out together (pipelined.ts).
      pipeline: true,
    } as pg.PoolConfig);
    // Waiting in line for a connection while all are busy is bounded apart (a burst of requests
    // takes turns instead of failing after 5 s); see pg-gate.ts.
    const gate = new CheckoutGate(max, POOL_QUEUE_WAIT_MS);
    const statements: StatementNames = { names: new Map(), count: 0 };
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    pool.on('connect', (client) => {
      // pg-pool listens for errors only on idle clients: a connection that breaks while a client
      // is checked out (the database restarted, the network cut) would emit an unhandled 'error'
      // and end the process. The statement under way fails instead (503), and the pool drops the
      // broken client when it comes back.
      client.on('error', () => {});
      prepareRepeatedStatements(client, statements);
    });
    const dialect = new PostgresDialect({ pool: gatedPool(pool, gate) });
    const db = new Kysely<Database>({ dialect, plugins: [new FixedShapeInListsPlugin()] });
    return {
      db,
      dialect: 'postgres',
      pool,
      transaction: (fn) => pipelinedTransaction(db, dialect, fn),
      close: () => db.destroy(),
    };
  }
  const sqlite = new NodeSqliteDatabase(opts.sqlitePath);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  return {
    db,
    dialect: 'sqlite',
    sqlite: sqlite.raw,
    transaction: (fn) => db.transaction().execute(fn),
    close: () => db.destroy(),
  };
}

/** Error codes of a database that cannot be reached, or that is shutting down or full. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

/**
 * True when `err` says the database is out of reach (not that a statement was wrong): the
 * request is answered 503 `service_unavailable`, which a caller may retry.
 */
export function isStorageUnavailable(err: unknown): boolean {
  for (
    let e = err as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    depth++
  ) {
    if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith('08'))) return true;
    const message = typeof e.message === 'string' ? e.message : '';
    if (
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(
        message,
      )
    )
      return true;
    e = e.cause as typeof e;
  }
  return false;
}
