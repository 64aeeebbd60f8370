import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { InProcessBus, type MessageBus } from './bus.ts';
import type { Config } from './config.ts';
import { SecretBox } from './crypto.ts';
import { type DatabaseHandle, type Db, type Dialect, openDatabase } from './db/database.ts';
import type { Eraser } from './erasure.ts';
import { eventChannel, newEvents, type ParleyEvent, type Tx, writeEvents } from './events.ts';
import { API_KEYS_CHANGED, ApiKeyCache } from './http/api-key-cache.ts';
import type { Auth } from './http/route.ts';
import { MemoryRateLimitStore, type RateLimitStore, RedisRateLimitStore } from './limits.ts';
import { Metrics } from './metrics.ts';
import type { Ports } from './ports.ts';
import { createJobQueue } from './queue/index.ts';
import type { JobQueue } from './queue/queue.ts';
import type { QueueDepths } from './queue/stats.ts';
import { Reactions } from './reactions.ts';
import type { Retainer } from './retention.ts';
import { type Clock, systemClock } from './time.ts';
import { createTracing, rootSpan, type Tracing } from './tracing.ts';

/**
 * Each module's instance (what its `setup(ctx)` returned), by module name. A module declares its
 * entry by declaration merging in its `*.module.ts`:
 * `declare module '../../platform/context.ts' { interface AppModules { channels: ChannelsInstance } }`.
 * Entries exist once that module's setup has run (startParley runs every setup before serving).
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the modules (declaration merging).
export interface AppModules {}

/** Verifies a bearer token that is not an API key (an inbox session); installed by the users module. */
export type SessionVerifier = (ctx: AppContext, token: string) => Promise<Auth | null>;

/**
 * Everything a module's routes, services and jobs use, built once per app. Nothing an app owns
 * lives at module scope: registries, hooks and caches hang off the context or its modules' instances,
 * so two apps in one process never see each other's.
 */
export interface AppContext {
  config: Config;
  db: Db;
  dialect: Dialect;
  dbHandle: DatabaseHandle;
  queue: JobQueue;
  bus: MessageBus;
  rateLimits: RateLimitStore;
  /** Recently authenticated API keys (see ApiKeyCache). */
  apiKeys: ApiKeyCache;
  secrets: SecretBox;
  clock: Clock;
  logger: Logger;
  /** Traces (OpenTelemetry; off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; docs/traces.md). */
  tracing: Tracing;
  /** The Prometheus registry and the product's metrics (`GET /metrics`; docs/metrics.md). */
  metrics: Metrics;
  /** How modules react to recorded events, inside their transaction (see reactions.ts). */
  reactions: Reactions;
  /** The modules' instances (see AppModules). */
  modules: AppModules;
  /** What modules provide to the modules below them (see ports.ts); set once every module is set up. */
  ports: Partial<Ports>;
  /** Each module's part of an erasure, in module order (set when the app starts; see erasure.ts). */
  erasers: Eraser[];
  /** Each module's retention steps (set when the app starts; see retention.ts). */
  retainers: Retainer[];
  /** Bearer tokens that are not API keys are tried with this (the users module's inbox sessions). */
  sessionVerifier: SessionVerifier | undefined;
  /** What `/readyz` reports besides its checks, by name (the voice module: the speech engines it can run). */
  readyReports: Map<string, () => unknown>;
  /** Set when the process drains before a shutdown: `/readyz` says `draining` so balancers stop sending. */
  draining: boolean;
  /** Runs `fn` in one transaction; its `afterCommit` hooks and event fan-out run once it commits. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Closes connections; the process may exit after. */
  close(): Promise<void>;
}

/**
 * Paths, headers and fields never written to logs: secret-named fields at the top of a logged
 * object and one and two levels down (`{err: {config: {headers: ...}}}` is as far as a logged
 * error of an HTTP client goes), and the headers that carry credentials.
 */
const secretFields = [
  'authorization',
  'cookie',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'app_secret',
  'api_key',
  'apiKey',
  'token',
  'access_token',
  'refresh_token',
  'auth_token',
  'key',
  'credentials',
];
export const logRedactions = [
  ...['req', 'res', '*', '*.*', ''].flatMap((at) =>
    ['authorization', 'cookie', '["set-cookie"]', '["x-api-key"]', '["proxy-authorization"]'].map(
      (h) => `${at ? `${at}.` : ''}headers${h.startsWith('[') ? h : `.${h}`}`,
    ),
  ),
  ...secretFields.filter((f) => f !== 'key'),
  ...secretFields.map((f) => `*.${f}`),
  ...secretFields.filter((f) => f !== 'key').map((f) => `*.*.${f}`),
];

/** The process's logger (stdout; tests may give another `destination` to read what is logged). */
export function createLogger(config: Config, destination?: pino.DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: logRedactions, censor: '[redacted]' },
    base: { service: 'parley' },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The key that seals provider credentials: from PARLEY_SECRET_KEY, else generated once in the data dir. */
export function loadSecretKey(config: Config): Buffer {
  if (config.secretKey) return Buffer.from(config.secretKey, 'base64');
  if (config.databaseUrl) {
    throw new Error(
      'PARLEY_SECRET_KEY: must be set when DATABASE_URL is set (every process must share the key)',
    );
  }
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, 'secret.key');
  if (!existsSync(file)) {
    writeFileSync(
      file,
      `${(globalThis.crypto.getRandomValues(Buffer.alloc(32)) as Buffer).toString('base64')}\n`,
      { mode: 0o600 },
    );
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

export async function createContext(
  config: Config,
  /** `bus` and `clock` replace the app's own (the module test harness's fakes). */
  opts: { logger?: Logger; clock?: Clock; bus?: MessageBus } = {},
): Promise<AppContext> {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? (config.testing?.now ? { now: config.testing.now } : systemClock);
  const secrets = new SecretBox(loadSecretKey(config));
  const dbHandle = await openDatabase({
    databaseUrl: config.databaseUrl,
    sqlitePath: join(config.dataDir, 'parley.db'),
    poolSize: config.testing?.pgPools?.db ?? config.dbPoolSize,
  });
  const tracing = await createTracing({ endpoint: config.otlpEndpoint, serviceName: config.otelServiceName });
  const queue = await createJobQueue(dbHandle, {
    pollMs: config.jobPollMs,
    databaseUrl: config.databaseUrl,
    poolSize: config.testing?.pgPools?.queue ?? Math.max(2, Math.ceil(config.dbPoolSize / 2)),
    monitorIntervalSeconds: config.testing?.queueMonitorSeconds,
    logger,
  });
  let bus: MessageBus;
  let rateLimits: RateLimitStore;
  if (opts.bus) {
    bus = opts.bus;
    rateLimits = new MemoryRateLimitStore();
  } else if (config.redisUrl) {
    // Redis is loaded only for the scaled shape.
    const [{ Redis }, { RedisBus }] = await Promise.all([import('ioredis'), import('./redis-bus.ts')]);
    const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
    bus = new RedisBus(config.redisUrl);
    rateLimits = new RedisRateLimitStore(redis, {
      onDegraded: (err) =>
        logger.warn(
          { err: (err as Error)?.message },
          'redis unreachable: rate limits are counted per process until it answers again',
        ),
    });
  } else {
    bus = new InProcessBus();
    rateLimits = new MemoryRateLimitStore();
  }
  if (tracing.enabled) traceJobs(queue, tracing);
  const reactions = new Reactions();
  const apiKeys = new ApiKeyCache();
  bus.subscribe(API_KEYS_CHANGED, () => apiKeys.clear());

  const ctx: AppContext = {
    config,
    db: dbHandle.db,
    dialect: dbHandle.dialect,
    dbHandle,
    queue,
    bus,
    rateLimits,
    apiKeys,
    secrets,
    clock,
    logger,
    tracing,
    metrics: new Metrics(dbHandle.db, dbHandle.dialect, { queue: queue as Partial<QueueDepths> }),
    reactions,
    modules: {} as AppModules,
    ports: {},
    erasers: [],
    retainers: [],
    sessionVerifier: undefined,
    readyReports: new Map(),
    draining: false,
    async transaction(fn) {
      const hooks: Array<() => void | Promise<void>> = [];
      const events: ParleyEvent[] = [];
      const result = await dbHandle.transaction(async (trx) => {
        const tx: Tx = {
          db: trx,
          afterCommit: (h) => {
            hooks.push(h);
          },
          async emit(input) {
            return (await tx.emitMany([input]))[0]!;
          },
          async emitMany(inputs) {
            if (inputs.length === 0) return [];
            const recorded = newEvents(inputs, clock.now());
            events.push(...recorded);
            // The insert is issued first (rows the reactions write may refer to the events); the
            // reactions do not wait for it, so on PostgreSQL their look-ups go out with it.
            await reactions.react(tx, recorded, writeEvents(trx, recorded));
            return recorded;
          },
        };
        return fn(tx);
      });
      queue.kick();
      if (events.length) ctx.metrics.observe(events);
      for (const event of events) {
        bus
          .publish(eventChannel(event.workspace_id, event.livemode), JSON.stringify(event))
          .catch((err) => logger.warn({ err: err.message }, 'live event publish failed'));
      }
      for (const h of hooks) {
        try {
          await h();
        } catch (err) {
          logger.error({ err }, 'after-commit hook failed');
        }
      }
      return result;
    },
    async close() {
      await queue.stop();
      await bus.close();
      await rateLimits.close();
      await dbHandle.close();
      await tracing.shutdown();
    },
  };
  return ctx;
}

/** The conversation a job is about, when its payload names one. */
function conversationOf(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  const id = p.conversationId ?? p.conversation_id;
  return typeof id === 'string' ? id : undefined;
}

/** Every job run (or batch of runs) in a span of its own: the queue's name, the job's id and attempt. */
function traceJobs(queue: JobQueue, tracing: Tracing) {
  const register = queue.register.bind(queue);
  const registerBatch = queue.registerBatch.bind(queue);
  queue.register = (job, handler) =>
    register(job, (payload, run) =>
      rootSpan(
        tracing,
        `job ${job.name}`,
        { 'parley.job.queue': job.name, 'parley.job.id': run.id, 'parley.job.attempt': run.attempt },
        conversationOf(payload),
        () => handler(payload, run),
      ),
    );
  queue.registerBatch = (job, handler) =>
    registerBatch(job, (items) =>
      rootSpan(
        tracing,
        `job ${job.name}`,
        {
          'parley.job.queue': job.name,
          'parley.job.id': items.map((i) => i.job.id),
          'parley.job.batch_size': items.length,
        },
        items.length === 1 ? conversationOf(items[0]!.payload) : undefined,
        () => handler(items),
      ),
    );
}
