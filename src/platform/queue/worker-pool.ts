import { runInBackground, type Trx } from '../db/database.ts';
import { maskSecrets } from '../log-masking.ts';
import type {
  BatchItem,
  BatchJobHandler,
  EnqueueOptions,
  JobContext,
  JobDefinition,
  JobHandler,
  QueueLogger,
} from './queue.ts';

/** The longest a wake timer waits before looking again (well under Node's 2^31-1 ms timer limit). */
const MAX_WAKE_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// The worker loop, shared by both queues: each storage only says how to claim, complete, retry
// and fail a job (`JobStore`); polling, concurrency, timeouts, kicks and stopping live here once.
// ---------------------------------------------------------------------------------------------

/** A job this process has claimed and must settle. */
export interface ClaimedJob {
  id: string;
  payload: unknown;
  /** 1-based; also the fencing token: a settle only applies while the job is still at this attempt. */
  attempt: number;
  maxAttempts: number;
}

/** The storage side of a queue, as the worker loop sees it. */
export interface JobStore {
  /** Atomically marks up to `limit` due jobs of this kind active for this process and returns them. */
  claim(def: JobDefinition<any>, limit: number): Promise<ClaimedJob[]>;
  complete(def: JobDefinition<any>, job: ClaimedJob): Promise<void>;
  /** Completes several claimed jobs of one kind with one statement (each still fenced by its attempt). */
  completeMany(def: JobDefinition<any>, jobs: ClaimedJob[]): Promise<void>;
  /** Completes a claimed job through the caller's transaction (fenced like `complete`). */
  completeIn(def: JobDefinition<any>, job: ClaimedJob, db: Trx): Promise<void>;
  /** Puts the job back to run again in `delayMs`. */
  retry(def: JobDefinition<any>, job: ClaimedJob, error: string, delayMs: number): Promise<void>;
  /** Gives up on the job. */
  fail(def: JobDefinition<any>, job: ClaimedJob, error: string): Promise<void>;
}

/** How long after an enqueue a kick still polls that kind of job. */
const KICK_WINDOW_MS = 1000;
/** Distinct due times a kind of job keeps wake-ups for. */
const MAX_WAKES = 1000;

export const silentLogger: QueueLogger = { error() {}, warn() {} };

type Lane = {
  def: JobDefinition<any>;
  /** Handler calls of this kind running now (a call past its timeout no longer counts). */
  running: number;
  polling: boolean;
  /** Someone asked for a poll while one was under way: poll again when it ends. */
  again: boolean;
  /** The last claim filled every free slot, so more jobs may be due. */
  full: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  /** A poll waiting out the job's `gatherMs`. */
  gather: ReturnType<typeof setTimeout> | null;
  /** Where in the idle poll interval this kind polls (0..1): see `#idleDelay`. */
  phase: number;
} & (
  | { kind: 'single'; handler: JobHandler<any> }
  /** Each handler call gets up to `def.batchSize` jobs; `running` counts calls, not jobs. */
  | { kind: 'batch'; handler: BatchJobHandler<any> }
);

export function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
}

/**
 * Polls a `JobStore` for each registered kind of job, runs up to `concurrency` handlers of each
 * at once, bounds each by its `timeoutMs`, and settles the outcome (complete / retry with the
 * job's backoff / fail after `maxAttempts`). A batch handler's lane claims up to `batchSize` jobs
 * per call and completes those that succeeded with one `completeMany`.
 */
export class WorkerPool {
  readonly #store: JobStore;
  #pollMs: number;
  readonly #stopGraceMs: number;
  readonly #logger: QueueLogger;
  readonly #lanes = new Map<string, Lane>();
  /** Polls and handler runs under way, so `stop` can wait for them. */
  readonly #busy = new Set<Promise<void>>();
  #state: 'idle' | 'running' | 'stopping' = 'idle';
  /** Bumped when `stop` gives up waiting: runs of an older generation must not write any more. */
  #generation = 0;
  #kickPending = false;

  constructor(opts: { store: JobStore; pollMs: number; stopGraceMs?: number; logger?: QueueLogger }) {
    this.#store = opts.store;
    this.#pollMs = Math.max(1, opts.pollMs);
    this.#stopGraceMs = opts.stopGraceMs ?? 5000;
    this.#logger = opts.logger ?? silentLogger;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  /**
   * How often an idle lane looks for due jobs. Longer when another signal says when jobs come
   * (PostgreSQL's LISTEN/NOTIFY): the poll is then only the fallback for a wake-up missed.
   */
  setIdlePoll(ms: number): void {
    this.#pollMs = Math.max(1, ms);
  }

  /**
   * Another process enqueued jobs of `name` (due at `runAts`, ms since the epoch; none: now):
   * the lane looks at once for those due, and arms a wake-up for those due later.
   */
  wake(name: string, runAts: number[] = []): void {
    const lane = this.#lanes.get(name);
    if (!lane || this.#state !== 'running') return;
    const now = Date.now();
    const later = runAts.filter((t) => t > now);
    if (later.length > 0) this.#addWakes(name, later, now);
    if (later.length < runAts.length || runAts.length === 0) this.#pollGathered(lane);
  }

  /** Every lane looks at once (a wake-up signal came back after an outage, when some may be missed). */
  pollAll(): void {
    if (this.#state !== 'running') return;
    for (const lane of this.#lanes.values()) this.#poll(lane);
  }

  register<P>(def: JobDefinition<P>, handler: JobHandler<P>): void {
    this.#addLane(def, { kind: 'single', handler: handler as JobHandler<any> });
  }

  registerBatch<P>(def: JobDefinition<P>, handler: BatchJobHandler<P>): void {
    if (!Number.isInteger(def.batchSize) || def.batchSize < 1)
      throw new Error(`Job ${def.name}: batchSize must be a positive integer`);
    this.#addLane(def, { kind: 'batch', handler: handler as BatchJobHandler<any> });
  }

  #addLane(
    def: JobDefinition<any>,
    work: { kind: 'single'; handler: JobHandler<any> } | { kind: 'batch'; handler: BatchJobHandler<any> },
  ): void {
    if (this.#lanes.has(def.name)) throw new Error(`A handler is already registered for job ${def.name}`);
    if (!Number.isInteger(def.concurrency) || def.concurrency < 1)
      throw new Error(`Job ${def.name}: concurrency must be a positive integer`);
    const lane: Lane = {
      def,
      running: 0,
      polling: false,
      again: false,
      full: false,
      timer: null,
      gather: null,
      // Golden-ratio steps: whatever the number of kinds, their slots stay spread over the interval.
      phase: (this.#lanes.size * 0.618_033_988_75) % 1,
      ...work,
    };
    this.#lanes.set(def.name, lane);
    if (this.#state === 'running') this.#poll(lane);
  }

  definitions(): JobDefinition<any>[] {
    return [...this.#lanes.values()].map((l) => l.def);
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    for (const lane of this.#lanes.values()) this.#poll(lane);
  }

  /** When this process last enqueued a job of each kind: a kick polls only those lanes. */
  readonly #enqueuedAt = new Map<string, number>();

  /**
   * When delayed jobs this process enqueued fall due, per kind: one timer for the earliest, set
   * again for the next when it fires, so each is looked for when due, not a poll interval later.
   */
  readonly #wakes = new Map<
    string,
    { times: Set<number>; at: number; timer: ReturnType<typeof setTimeout> | null }
  >();

  /**
   * Called by `enqueue`/`enqueueMany`, so the kick after the commit looks at this kind when one of
   * the jobs is due now; delayed ones are looked for when they fall due (a timer due in minutes,
   * enqueued by every handoff, made each commit poll its queue for nothing).
   */
  noteEnqueued(name: string, runAts: Date[] = []): void {
    const now = Date.now();
    if (runAts.length === 0 || runAts.some((r) => r.getTime() <= now)) this.#enqueuedAt.set(name, now);
    if (this.#state !== 'running') return;
    this.#addWakes(
      name,
      runAts.map((r) => r.getTime()),
      now,
    );
  }

  #addWakes(name: string, times: number[], now: number): void {
    // Jobs gathered in batches wake on a grid of `gatherMs`, so those falling due close together
    // are claimed together.
    const gather = this.#lanes.get(name)?.def.gatherMs ?? 0;
    let wake = this.#wakes.get(name);
    let latest: number | undefined;
    for (let at of times) {
      if (at <= now) continue;
      if (gather > 0) at = Math.ceil(at / gather) * gather;
      if (!wake) {
        wake = { times: new Set(), at: Number.POSITIVE_INFINITY, timer: null };
        this.#wakes.set(name, wake);
      }
      // Beyond this many distinct times, the earliest are kept and the lane's poll timer finds
      // the rest: a timer due in 3 s must not be left to the poll because a thousand others are
      // due in 15 minutes.
      if (wake.times.size < MAX_WAKES) wake.times.add(at);
      else if (!wake.times.has(at)) {
        latest ??= Math.max(...wake.times);
        if (at < latest) {
          wake.times.delete(latest);
          wake.times.add(at);
          latest = undefined;
        }
      }
    }
    if (wake) this.#armWake(name, wake);
  }

  #armWake(
    name: string,
    wake: { times: Set<number>; at: number; timer: ReturnType<typeof setTimeout> | null },
  ) {
    let next = Number.POSITIVE_INFINITY;
    for (const t of wake.times) if (t < next) next = t;
    if (next === Number.POSITIVE_INFINITY) {
      this.#wakes.delete(name);
      return;
    }
    if (wake.timer && wake.at === next) return;
    if (wake.timer) clearTimeout(wake.timer);
    wake.at = next;
    wake.timer = setTimeout(
      () => {
        wake.timer = null;
        if (this.#state !== 'running') return;
        const now = Date.now();
        for (const t of wake.times) if (t <= now + 1) wake.times.delete(t);
        const lane = this.#lanes.get(name);
        if (lane) this.#poll(lane);
        this.#armWake(name, wake);
      },
      // Capped: a timer of more than 2^31-1 ms fires at once (Node's overflow), which would poll
      // in a loop for a job due weeks ahead; an early wake finds nothing due and arms again.
      Math.min(Math.max(0, next - Date.now()) + 1, MAX_WAKE_MS),
    );
    wake.timer.unref();
  }

  /**
   * Polls the lanes of the jobs this process enqueued in the last second (the commit that made
   * them visible may come a little after the enqueue): idle kinds are left to their poll timer,
   * so a busy process does not query every kind after every commit.
   */
  kick(): void {
    if (this.#state !== 'running' || this.#kickPending) return;
    this.#kickPending = true;
    setImmediate(() => {
      this.#kickPending = false;
      const since = Date.now() - KICK_WINDOW_MS;
      for (const [name, at] of this.#enqueuedAt) {
        if (at < since) {
          this.#enqueuedAt.delete(name);
          continue;
        }
        const lane = this.#lanes.get(name);
        if (lane) this.#pollGathered(lane);
      }
    });
  }

  /** A kick's poll: at once, or after the job's `gatherMs` (one pending poll per lane). */
  #pollGathered(lane: Lane): void {
    if (lane.def.gatherMs <= 0 || lane.kind !== 'batch') {
      this.#poll(lane);
      return;
    }
    if (lane.gather || this.#state !== 'running') return;
    lane.gather = setTimeout(() => {
      lane.gather = null;
      this.#poll(lane);
    }, lane.def.gatherMs);
    lane.gather.unref();
  }

  /** Stops claiming, waits up to `stopGraceMs` for running handlers, then lets go of the rest. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    for (const lane of this.#lanes.values()) {
      if (lane.timer) clearTimeout(lane.timer);
      if (lane.gather) clearTimeout(lane.gather);
      lane.timer = null;
      lane.gather = null;
    }
    for (const wake of this.#wakes.values()) if (wake.timer) clearTimeout(wake.timer);
    this.#wakes.clear();
    const deadline = Date.now() + this.#stopGraceMs;
    while (this.#busy.size > 0 && Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...this.#busy]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    if (this.#busy.size > 0) {
      this.#logger.warn(
        { running: this.#busy.size },
        'job queue stopped with handlers still running; their jobs run again once their locks expire',
      );
    }
    this.#generation++;
    this.#state = 'idle';
  }

  #track(p: Promise<void>) {
    this.#busy.add(p);
    p.finally(() => this.#busy.delete(p)).catch(() => {});
  }

  #poll(lane: Lane): void {
    if (this.#state !== 'running') return;
    if (lane.polling) {
      lane.again = true;
      return;
    }
    if (lane.timer) clearTimeout(lane.timer);
    lane.timer = null;
    lane.polling = true;
    // Claims, handlers and settlements are background work: requests get the database first.
    this.#track(runInBackground(() => this.#claimLoop(lane)));
  }

  async #claimLoop(lane: Lane): Promise<void> {
    const generation = this.#generation;
    try {
      do {
        lane.again = false;
        if (lane.kind === 'batch') {
          // One claim per batch; claim again while batches come back full and a slot is free.
          while (lane.running < lane.def.concurrency && this.#state === 'running') {
            const jobs = await this.#store.claim(lane.def, lane.def.batchSize);
            if (jobs.length > 0) this.#runBatch(lane, jobs, generation);
            lane.full = jobs.length >= lane.def.batchSize;
            if (!lane.full) break;
          }
          continue;
        }
        const free = lane.def.concurrency - lane.running;
        if (free <= 0) break;
        const jobs = await this.#store.claim(lane.def, free);
        // Jobs claimed while `stop` was starting still run: `stop` waits for them like any other.
        for (const job of jobs) this.#run(lane, job, generation);
        lane.full = jobs.length >= free;
      } while (lane.again && this.#state === 'running');
    } catch (err) {
      this.#logger.error({ err, job: lane.def.name }, 'job queue poll failed');
    } finally {
      lane.polling = false;
    }
    if (this.#state === 'running' && !lane.timer) {
      lane.timer = setTimeout(() => {
        lane.timer = null;
        this.#poll(lane);
      }, this.#idleDelay(lane));
    }
  }

  /**
   * Until the lane's next idle poll: each kind polls at its own phase of the interval, never
   * more than `pollMs` after its last poll. Lanes all started at once and re-armed `pollMs` after
   * each poll would stay in step, and a burst of one claim per kind (some twenty statements on
   * PostgreSQL every 2 s) then held up whatever request met it; spread, it is one claim at a time.
   */
  #idleDelay(lane: Lane): number {
    const now = Date.now();
    const offset = lane.phase * this.#pollMs;
    const next = (Math.floor((now - offset) / this.#pollMs) + 1) * this.#pollMs + offset;
    return Math.max(1, Math.round(next - now));
  }

  #run(lane: Lane & { kind: 'single' }, job: ClaimedJob, generation: number): void {
    lane.running++;
    this.#track(this.#execute(lane, job, generation));
  }

  async #execute(lane: Lane & { kind: 'single' }, job: ClaimedJob, generation: number): Promise<void> {
    const { def, handler } = lane;
    const ctx: JobContext = {
      id: job.id,
      attempt: job.attempt,
      maxAttempts: job.maxAttempts,
      completeWith: (db) => this.#store.completeIn(def, job, db),
    };
    let failure: unknown = null;
    let failed = false;
    try {
      // A handler that outlives its timeout keeps running, but no longer holds a slot or the job.
      await withTimeout(
        () => handler(job.payload, ctx),
        def.timeoutMs,
        () => `Job ${def.name} timed out after ${def.timeoutMs} ms (attempt ${job.attempt})`,
      );
    } catch (err) {
      failed = true;
      failure = err;
    }

    try {
      if (generation !== this.#generation) {
        this.#logger.warn(
          { job: def.name, jobId: job.id, attempt: job.attempt },
          'job finished after the queue stopped; not recorded, it runs again once its lock expires',
        );
        return;
      }
      if (!failed) {
        await this.#store.complete(def, job);
      } else {
        await this.#settleFailure(def, job, failure, true);
      }
    } catch (err) {
      // The job stays active in storage and runs again once its lock expires (at-least-once).
      this.#logger.error({ err, job: def.name, jobId: job.id }, 'could not record job outcome');
    } finally {
      lane.running--;
    }
    if (lane.full) this.#poll(lane);
  }

  #runBatch(lane: Lane & { kind: 'batch' }, jobs: ClaimedJob[], generation: number): void {
    lane.running++;
    this.#track(this.#executeBatch(lane, jobs, generation));
  }

  async #executeBatch(lane: Lane & { kind: 'batch' }, jobs: ClaimedJob[], generation: number): Promise<void> {
    const { def, handler } = lane;
    const items: BatchItem<unknown>[] = jobs.map((job) => ({
      payload: job.payload,
      job: { id: job.id, attempt: job.attempt, maxAttempts: job.maxAttempts },
    }));
    /** Per job: null when done, else why its attempt failed. */
    let failures: Array<{ error: unknown } | null> = [];
    /** The whole call failed: every job's attempt did (logged once here, not once per job). */
    let whole: { error: unknown } | null = null;
    try {
      const outcomes = await withTimeout(
        () => handler(items),
        def.timeoutMs,
        () => `Job ${def.name} batch of ${jobs.length} timed out after ${def.timeoutMs} ms`,
      );
      if (outcomes === undefined) {
        failures = jobs.map(() => null);
      } else if (!Array.isArray(outcomes) || outcomes.length !== jobs.length) {
        // A handler bug: completing the jobs it said nothing about could lose them.
        const error = new Error(
          `Batch handler of ${def.name} returned ${Array.isArray(outcomes) ? outcomes.length : typeof outcomes} outcomes for ${jobs.length} jobs`,
        );
        this.#logger.error(
          { err: error, job: def.name },
          'batch handler returned the wrong number of outcomes',
        );
        whole = { error };
      } else {
        failures = outcomes.map((o) => (o === null || o === undefined ? null : { error: o }));
      }
    } catch (err) {
      this.#logger.warn(
        { error: maskSecrets(errorText(err)), job: def.name, jobs: jobs.length },
        'batch handler failed; the attempt of each of its jobs failed',
      );
      whole = { error: err };
    }
    if (whole) failures = jobs.map(() => whole);

    try {
      if (generation !== this.#generation) {
        this.#logger.warn(
          { job: def.name, jobIds: jobs.map((j) => j.id) },
          'job batch finished after the queue stopped; not recorded, its jobs run again once their locks expire',
        );
        return;
      }
      const done = jobs.filter((_, i) => failures[i] === null);
      const settles: Promise<void>[] = [];
      if (done.length > 0) settles.push(this.#store.completeMany(def, done));
      jobs.forEach((job, i) => {
        const failure = failures[i];
        if (failure) settles.push(this.#settleFailure(def, job, failure.error, !whole));
      });
      const results = await Promise.allSettled(settles);
      for (const r of results) {
        // Those jobs stay active in storage and run again once their locks expire (at-least-once).
        if (r.status === 'rejected')
          this.#logger.error({ err: r.reason, job: def.name }, 'could not record job batch outcome');
      }
    } finally {
      lane.running--;
    }
    if (lane.full) this.#poll(lane);
  }

  /**
   * Retries the job after its backoff, or fails it on its last attempt. Logged: the error's text with
   * credentials masked (a provider's message may quote a header or a URL), never the payload.
   */
  async #settleFailure(def: JobDefinition<any>, job: ClaimedJob, failure: unknown, logRetry: boolean) {
    // (`logRetry` is false when the whole batch failed: that was logged once, not per job.)
    if (job.attempt < job.maxAttempts) {
      const delayMs = Math.max(0, Math.round(def.backoffMs(job.attempt)));
      if (logRetry)
        this.#logger.warn(
          {
            error: maskSecrets(errorText(failure)),
            job: def.name,
            jobId: job.id,
            attempt: job.attempt,
            retryInMs: delayMs,
          },
          'job attempt failed; will retry',
        );
      await this.#store.retry(def, job, errorText(failure), delayMs);
      // Looked for when due, not a poll interval later.
      if (this.#state === 'running')
        this.#addWakes(def.name, [Date.now() + Math.max(1, delayMs)], Date.now());
    } else {
      this.#logger.error(
        {
          error: maskSecrets(errorText(failure)),
          job: def.name,
          jobId: job.id,
          attempt: job.attempt,
          maxAttempts: job.maxAttempts,
        },
        'job failed on its last attempt; giving up',
      );
      await this.#store.fail(def, job, errorText(failure));
    }
  }
}

/** Runs `fn`, rejecting after `ms` (the call itself cannot be cancelled and may keep running). */
async function withTimeout<T>(fn: () => Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** When a job enqueued at `now` may first run: the later of `runAt` and `now + delayMs`. */
export function runAtFor(now: Date, opts: EnqueueOptions): Date {
  let at = now.getTime();
  if (opts.delayMs !== undefined && opts.delayMs > 0) at = Math.max(at, now.getTime() + opts.delayMs);
  if (opts.runAt) at = Math.max(at, opts.runAt.getTime());
  return new Date(at);
}

/**
 * What both storages' queues do alike: their handlers live in the shared worker loop, which each
 * queue makes (with its own storage of jobs) in its constructor.
 */
export abstract class PooledJobQueue {
  protected abstract readonly pool: WorkerPool;

  register<P>(job: JobDefinition<P>, handler: JobHandler<P>): void {
    this.pool.register(job, handler);
  }

  registerBatch<P>(job: JobDefinition<P>, handler: BatchJobHandler<P>): void {
    this.pool.registerBatch(job, handler);
  }

  /** Looks for due jobs now rather than at the next poll. */
  kick(): void {
    this.pool.kick();
  }
}
