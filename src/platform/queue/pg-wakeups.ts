import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { QueueLogger } from './queue.ts';

/** The channel every Parley process listens on for "jobs were enqueued". */
const CHANNEL = 'parley_jobs';
/** PostgreSQL's payload limit is 8,000 bytes: a longer message is split. */
const MAX_PAYLOAD = 7000;
/** Due times a message carries per kind of job at most (the rest are found by the poll). */
const MAX_TIMES = 20;
/** How often a process counts the other listeners (no one else listening: nothing is sent). */
const PEERS_EVERY_MS = 5000;
/** Waits between attempts to listen again after the connection was lost. */
const RETRY_MS = [250, 1000, 5000];

/** One message: who sent it, and per kind of job the times its new jobs fall due (empty: now). */
interface Message {
  from: string;
  jobs: Record<string, number[]>;
  /** A process that just started listening says so: the others have a peer to tell from now on. */
  hello?: true;
}

/**
 * Job wake-ups across processes over PostgreSQL's LISTEN/NOTIFY. After a commit that enqueued
 * jobs, the process says which kinds (and when the delayed ones fall due) on one channel; every
 * other process's workers look for those kinds at once, instead of finding them at their next
 * poll. NOTIFY is sent on a connection of its own, after the commit, so it adds nothing to the
 * request's transaction; a lost message costs only latency (the poll still runs, less often).
 */
export class PgJobWakeups {
  readonly #connectionString: string;
  readonly #logger: QueueLogger | undefined;
  readonly #onWake: (name: string, runAts: number[]) => void;
  readonly #onListening: () => void;
  readonly #onLost: () => void;
  readonly #id = randomUUID();
  #client: pg.Client | null = null;
  #stopped = true;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** Kinds enqueued since the last publish, with their future due times. */
  #pending = new Map<string, number[]>();
  #publishing: Promise<void> | null = null;
  /** Another process listens on this database (counted every PEERS_EVERY_MS). */
  #peers = true;
  #peersTimer: ReturnType<typeof setInterval> | null = null;

  constructor(opts: {
    connectionString: string;
    logger?: QueueLogger;
    /** Jobs of `name` were enqueued elsewhere, due at `runAts` (empty: now). */
    onWake: (name: string, runAts: number[]) => void;
    /** Listening (again): anything enqueued while not listening should be looked for. */
    onListening: () => void;
    /** Not listening any more (the connection was lost): poll as often as without wake-ups. */
    onLost: () => void;
  }) {
    this.#connectionString = opts.connectionString;
    this.#logger = opts.logger;
    this.#onWake = opts.onWake;
    this.#onListening = opts.onListening;
    this.#onLost = opts.onLost;
  }

  /** True while this process receives other processes' wake-ups. */
  get listening(): boolean {
    return this.#client !== null;
  }

  /** Starts listening (idempotent); a connection that fails is tried again in the background. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    await this.#listen().catch((err) => {
      this.#logger?.warn({ err }, 'job wake-ups unavailable; polling until they are');
      this.#retryLater();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#peersTimer) clearInterval(this.#peersTimer);
    this.#peersTimer = null;
    await this.#publishing?.catch(() => {});
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  /** Notes jobs of `name` enqueued in a transaction not committed yet (sent by `publish`). */
  note(name: string, runAts: number[]): void {
    const now = Date.now();
    const times = this.#pending.get(name) ?? [];
    for (const t of runAts) if (t > now && times.length < MAX_TIMES) times.push(t);
    this.#pending.set(name, times);
  }

  /** After a commit: tells the other processes what was noted since the last publish. */
  publish(): void {
    if (this.#pending.size === 0 || !this.#client || this.#publishing) return;
    const jobs = this.#pending;
    this.#pending = new Map();
    // Alone on this database (one process, the embedded or single-server shape): nobody to tell.
    if (!this.#peers) return;
    const client = this.#client;
    this.#publishing = (async () => {
      for (const payload of payloads(this.#id, jobs))
        await client.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
    })()
      .catch((err) => this.#logger?.warn({ err }, 'job wake-up not sent; other processes poll for it'))
      .finally(() => {
        this.#publishing = null;
        // Noted while this message was on its way: the next one.
        if (this.#pending.size > 0) this.publish();
      });
  }

  async #listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: 'parley-job-wakeups',
    });
    client.on('error', (err) => {
      if (this.#client !== client) return;
      this.#logger?.warn({ err }, 'job wake-up connection lost; polling until it is back');
      this.#client = null;
      client.end().catch(() => {});
      this.#onLost();
      this.#retryLater();
    });
    client.on('notification', (msg) => {
      if (msg.channel === CHANNEL && msg.payload) this.#receive(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => {});
      throw err;
    }
    if (this.#stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#attempt = 0;
    await this.#countPeers();
    await client
      .query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ from: this.#id, jobs: {}, hello: true })])
      .catch(() => {});
    this.#peersTimer ??= setInterval(() => void this.#countPeers(), PEERS_EVERY_MS);
    this.#peersTimer.unref();
    this.#onListening();
  }

  async #countPeers(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'parley-job-wakeups'`,
      );
      this.#peers = (rows[0]?.n ?? 2) > 1;
    } catch {
      this.#peers = true;
    }
  }

  #retryLater(): void {
    if (this.#stopped || this.#retryTimer) return;
    const wait = RETRY_MS[Math.min(this.#attempt++, RETRY_MS.length - 1)]!;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#stopped) return;
      this.#listen().catch(() => this.#retryLater());
    }, wait);
    this.#retryTimer.unref();
  }

  #receive(payload: string): void {
    let message: Message;
    try {
      message = JSON.parse(payload) as Message;
    } catch {
      return;
    }
    // This process's own enqueues are looked for by its own kick.
    if (!message || message.from === this.#id || typeof message.jobs !== 'object' || !message.jobs) return;
    this.#peers = true;
    for (const [name, times] of Object.entries(message.jobs)) {
      if (!Array.isArray(times)) continue;
      this.#onWake(
        name,
        times.filter((t): t is number => typeof t === 'number' && Number.isFinite(t)),
      );
    }
  }
}

/** The messages carrying `jobs`, each under PostgreSQL's payload limit. */
function payloads(from: string, jobs: Map<string, number[]>): string[] {
  const out: string[] = [];
  let current: Record<string, number[]> = {};
  let size = 0;
  for (const [name, times] of jobs) {
    const entry = JSON.stringify(name).length + JSON.stringify(times).length + 2;
    if (size > 0 && size + entry > MAX_PAYLOAD) {
      out.push(JSON.stringify({ from, jobs: current } satisfies Message));
      current = {};
      size = 0;
    }
    current[name] = times;
    size += entry;
  }
  if (size > 0) out.push(JSON.stringify({ from, jobs: current } satisfies Message));
  return out;
}
