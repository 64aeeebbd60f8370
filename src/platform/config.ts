import { z } from 'zod';
import { type PlanName, planNames } from './limits.ts';

/**
 * Every setting Parley reads from the environment, parsed once at start.
 * A wrong value stops the start with a message that names the variable.
 * docs/configuration.md is checked against this list by a test.
 */
const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const configVariables = {
  PORT: { schema: int(0, 65535), default: '3000', doc: 'TCP port the API listens on.' },
  HOST: { schema: z.string().min(1), default: '0.0.0.0', doc: 'Interface the API binds to.' },
  PARLEY_DATA_DIR: {
    schema: z.string().min(1),
    default: './data',
    doc: "Directory for the embedded SQLite database, the generated secret key and the first start's keys (`first-start-keys.env`, mode 0600: delete it once stored).",
  },
  DATABASE_URL: {
    schema: z
      .string()
      .regex(/^(postgres|postgresql):\/\//, 'must be a postgres:// URL')
      .optional(),
    default: undefined,
    doc: 'PostgreSQL connection URL. When set, Parley stores everything in PostgreSQL and runs jobs on pg-boss.',
  },
  REDIS_URL: {
    schema: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .optional(),
    default: undefined,
    doc: 'Redis URL. When set, rate limits and live event fan-out are shared by every process.',
  },
  PARLEY_ROLE: {
    schema: z.enum(['api', 'worker', 'all']),
    default: 'all',
    doc: '`api` serves HTTP only, `worker` runs background jobs only, `all` does both.',
  },
  PARLEY_ADMIN_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    default: undefined,
    doc: 'Bearer token for the admin routes (`POST /v1/admin/workspaces`, `PATCH /v1/admin/workspaces/{id}`). Unset: they answer 404.',
  },
  PARLEY_DEFAULT_PLAN: {
    schema: z.enum(planNames),
    default: 'enterprise',
    doc: 'Plan of the workspace created on first start, and of workspaces created through the admin API without a `plan`. The default, `enterprise` (3,000 requests a minute, no message or knowledge cap), suits an install that belongs to its owner; pick `starter` or `growth` to give tenants tighter limits. `PATCH /v1/admin/workspaces/{id}` changes one workspace later.',
  },
  PARLEY_SECRET_KEY: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9+/=_-]{43,}$/, 'must be a base64 key of at least 32 bytes')
      .optional(),
    default: undefined,
    doc: 'Key that encrypts provider credentials at rest (32 bytes, base64). Embedded default: generated once into the data directory.',
  },
  PARLEY_BODY_LIMIT_BYTES: {
    schema: int(1024, 200 * 1024 * 1024),
    default: String(1024 * 1024),
    doc: 'Largest JSON request body accepted; larger bodies get 413 `payload_too_large`.',
  },
  PARLEY_UPLOAD_LIMIT_BYTES: {
    schema: int(1024, 1024 * 1024 * 1024),
    default: String(50 * 1024 * 1024),
    doc: 'Largest CSV or file upload accepted (imports, knowledge files).',
  },
  PARLEY_WIDGET_SESSION_IDLE_DAYS: {
    schema: int(1, 3650),
    default: '30',
    doc: "A website visitor's session token expires after this many days without use (the widget then starts a new session, or re-identifies the visitor).",
  },
  PARLEY_PUBLIC_URL: {
    schema: z.string().url().optional(),
    default: undefined,
    doc: 'Public base URL of this server, used to build the inbound webhook URLs shown for channels. Defaults to http://localhost:PORT.',
  },
  PARLEY_META_GRAPH_URL: {
    schema: z.string().url(),
    default: 'https://graph.facebook.com',
    doc: "Base URL of Meta's Graph API (tests point it at a local fake).",
  },
  PARLEY_META_GRAPH_VERSION: {
    schema: z.string().regex(/^v\d+\.\d+$/, 'must look like v26.0'),
    default: 'v26.0',
    doc: 'Graph API version used for WhatsApp calls.',
  },
  PARLEY_LIVEKIT_URL: {
    schema: z.string().url().optional(),
    default: undefined,
    doc: "Base URL of LiveKit's server API for every LiveKit channel (tests point it at a local fake); unset: each channel's own `url`.",
  },
  PARLEY_DEEPGRAM_URL: {
    schema: z.string().url(),
    default: 'https://api.deepgram.com',
    doc: "Base URL of Deepgram's API (speech-to-text streaming and speech) when an agent's engine sets no `base_url`.",
  },
  PARLEY_DEEPGRAM_API_KEY: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'Deepgram key for agents whose `deepgram` engine has no `api_key` of its own.',
  },
  PARLEY_ELEVENLABS_URL: {
    schema: z.string().url(),
    default: 'https://api.elevenlabs.io',
    doc: "Base URL of ElevenLabs' API when an agent's engine sets no `base_url`.",
  },
  PARLEY_ELEVENLABS_API_KEY: {
    schema: z.string().min(1).optional(),
    default: undefined,
    doc: 'ElevenLabs key for agents whose `elevenlabs` engine has no `api_key` of its own.',
  },
  PARLEY_TWILIO_API_URL: {
    schema: z.string().url(),
    default: 'https://api.twilio.com',
    doc: "Base URL of Twilio's REST API (tests point it at a local fake).",
  },
  PARLEY_TELEGRAM_API_URL: {
    schema: z.string().url(),
    default: 'https://api.telegram.org',
    doc: "Base URL of Telegram's Bot API (tests point it at a local fake).",
  },
  PARLEY_WEBHOOK_ALLOW_PRIVATE: {
    schema: bool,
    default: '0',
    doc: 'Allow webhook deliveries and knowledge page fetches to reach loopback and private addresses (local development and tests only: it lets API callers reach this server’s network).',
  },
  PARLEY_SSO_ALLOW_PRIVATE: {
    schema: bool,
    default: '0',
    doc: 'Let single sign-on reach an identity provider (OIDC issuer) on loopback or private addresses, and over plain http: a Keycloak or Authentik on your own network, local development and tests. Off, an issuer must be a public https URL.',
  },
  PARLEY_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'Log level of the structured (pino) logs: at `info`, one access line per request (probes at `debug`), failed jobs, AI provider failures, disabled webhook endpoints (docs/logs.md).',
  },
  PARLEY_DRAIN_SECONDS: {
    schema: int(0, 86_400),
    default: '300',
    doc: 'On SIGTERM, how long a process lets its live calls finish before it ends the rest (`server_shutdown`); meanwhile `/readyz` answers 503 `draining` and no new call starts there. 0: end them at once.',
  },
  PARLEY_MEDIA_IDLE_SECONDS: {
    schema: int(0, 86_400),
    default: '60',
    doc: 'A media WebSocket (a web call) that sends nothing at all (no audio, no message) for this long is closed with code 4408. 0: never.',
  },
  PARLEY_PROCESSES: {
    schema: int(1, 64),
    default: '1',
    doc: '`npm start` runs this many server processes sharing the port (node:cluster), each a whole Parley holding the calls whose sockets reach it. Above 1 it needs DATABASE_URL and REDIS_URL. SIGTERM to the primary drains them all; one that dies is started again. Ignored with PARLEY_ROLE=worker.',
  },
  PARLEY_PRESENCE_TTL_SECONDS: {
    schema: int(3, 3600),
    default: '60',
    doc: "How long an inbox's live connection keeps its person `online` after the process holding it stops refreshing it (a process killed without closing its connections); refreshed every third of it.",
  },
  PARLEY_JOB_POLL_MS: {
    schema: int(10, 60_000),
    default: '250',
    doc: 'How often idle workers look for due jobs (the embedded queue is also woken at once by local enqueues; on PostgreSQL other processes wake them over LISTEN/NOTIFY, and the poll is then at least every 2 s).',
  },
  PARLEY_DB_POOL_SIZE: {
    schema: int(2, 500),
    default: '20',
    doc: "Connections each process keeps to PostgreSQL for requests and jobs' writes; pg-boss's own pool takes half as many more, and LISTEN and the lease reaper one each. Every process counts against PostgreSQL's `max_connections` (100 by default): with N processes keep N × (1.5 × this + 2) below it.",
  },
  PARLEY_JWT_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    default: undefined,
    doc: 'Secret signing the inbox session tokens from `POST /v1/auth/login`. Defaults to one derived from the secret key.',
  },
  PARLEY_TRUST_PROXY: {
    schema: bool,
    default: '0',
    doc: 'Take the client address from `X-Forwarded-For` (set it when Parley runs behind a reverse proxy that sets that header; unset, any client could claim any address). When on, `/metrics` needs `PARLEY_METRICS_TOKEN`.',
  },
  PARLEY_HEADERS_TIMEOUT_MS: {
    schema: int(1000, 600_000),
    default: '10000',
    doc: 'A client must send all request headers within this time, or the connection gets 408 `request_timeout` and is closed.',
  },
  PARLEY_REQUEST_TIMEOUT_MS: {
    schema: int(1000, 3_600_000),
    default: '30000',
    doc: 'A client must send the whole request (headers and body) within this time, or it gets 408 `request_timeout`. Responses that stream (the live event stream) are not limited by it.',
  },
  PARLEY_KEEPALIVE_TIMEOUT_MS: {
    schema: int(100, 600_000),
    default: '5000',
    doc: 'An idle keep-alive connection is closed after this time.',
  },
  PARLEY_MAX_CONNECTIONS_PER_CLIENT: {
    schema: int(1, 1_000_000),
    default: '256',
    doc: 'Open connections one client address may hold at once; further connections are closed at once (a slow-body client cannot exhaust file descriptors).',
  },
  PARLEY_METRICS_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    default: undefined,
    doc: '`GET /metrics` requires `Authorization: Bearer <token>` with this token. Unset: `/metrics` answers only clients on the loopback interface (127.0.0.1, ::1) whose request carries no forwarding header (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`...), and never with `PARLEY_TRUST_PROXY` on.',
  },
  PARLEY_LOGIN_MAX_ATTEMPTS: {
    schema: int(1, 100_000),
    default: '10',
    doc: 'Failed sign-ins (`POST /v1/auth/login`) allowed per email address and client address together in 15 minutes; from the third on, each next attempt waits longer (1 s, 2 s, 4 s, ...). Past it that address gets 429 `rate_limited` with `Retry-After` for that email; the user signing in from elsewhere is not affected.',
  },
  PARLEY_LOGIN_MAX_ATTEMPTS_PER_EMAIL: {
    schema: int(1, 1_000_000),
    default: '100',
    doc: 'Failed sign-ins allowed per email address in 15 minutes, from every client address together (the ceiling for an attack from many addresses); past it every sign-in to that email gets 429 until the window ends.',
  },
  PARLEY_LOGIN_MAX_ATTEMPTS_PER_CLIENT: {
    schema: int(1, 1_000_000),
    default: '100',
    doc: 'Sign-in attempts allowed per client address in 15 minutes, whatever the email.',
  },
  PARLEY_CSAT_LINKS_PER_MINUTE: {
    schema: int(1, 1_000_000),
    default: '30',
    doc: 'Emailed CSAT links (`GET /v1/csat/respond/{token}`, no key) a client address may open in a minute; past it the answer is 429 with `Retry-After`.',
  },
  PARLEY_VOICE_STT: {
    schema: z.enum(['sandbox', 'builtin', 'openai', 'openai_compatible', 'deepgram']).optional(),
    default: undefined,
    doc: 'Speech-to-text engine for agents that choose none: `sandbox` (exact text, test mode), `builtin` (pocketsphinx, when installed), `openai`, `openai_compatible` or `deepgram` (streaming; PARLEY_DEEPGRAM_API_KEY). Unset: sandbox in test mode; in live mode builtin when pocketsphinx is installed, else openai when OPENAI_API_KEY is set.',
  },
  PARLEY_VOICE_TTS: {
    schema: z
      .enum(['sandbox', 'builtin', 'openai', 'openai_compatible', 'deepgram', 'elevenlabs'])
      .optional(),
    default: undefined,
    doc: 'Text-to-speech engine for agents that choose none (`builtin` is espeak-ng, when installed; `deepgram` and `elevenlabs` stream from the cloud with their PARLEY_*_API_KEY). Unset: sandbox in test mode; in live mode builtin when espeak-ng is installed, else openai when OPENAI_API_KEY is set.',
  },
  PARLEY_VOICE_SPEECH_URL: {
    schema: z.string().url().optional(),
    default: undefined,
    doc: 'Base URL of an OpenAI-compatible audio server (`.../v1`: speaches, whisper.cpp server, Groq) for agents whose engine is `openai_compatible` and that set no `base_url`.',
  },
  PARLEY_VOICE_SANDBOX_PACE: {
    schema: z.enum(['realtime', 'virtual']),
    default: 'realtime',
    doc: 'How sandbox calls (test mode) pass time: `realtime` as a live call would; `virtual` runs each simulated call as fast as the machine allows, on its own clock (tests).',
  },
  PARLEY_VOICE_JOIN_TIMEOUT_SECONDS: {
    schema: int(5, 3600),
    default: '120',
    doc: 'A web call nobody joins over its media WebSocket within this many seconds fails (`failed_to_connect`) and frees its concurrency slot.',
  },
  PARLEY_BUILTIN_STT_MAX: {
    schema: int(0, 1000),
    default: '8',
    doc: 'Most pocketsphinx recognisers running at once in a process (each holds ~40 MB); a call past it ends with `stt_error`.',
  },
  PARLEY_VOICE_TTS_CACHE_MB: {
    schema: int(0, 4096),
    default: '32',
    doc: 'Synthesised speech kept in memory per process (MB; 0: none), per engine, voice and sentence: a sentence said again (a greeting, a fixed reply) is played from memory, not synthesised again; the least recently used goes first.',
  },
  OPENAI_API_KEY: {
    schema: z.string().optional(),
    default: undefined,
    doc: 'Default API key for agents whose model provider is `openai` and which set no key of their own.',
  },
  ANTHROPIC_API_KEY: {
    schema: z.string().optional(),
    default: undefined,
    doc: 'Default API key for agents whose model provider is `anthropic` and which set no key of their own.',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: z.string().url().optional(),
    default: undefined,
    doc: 'Base URL of an OpenTelemetry collector (OTLP over HTTP, JSON; spans go to `<url>/v1/traces`). Set: Parley sends traces of requests, jobs, provider sends, LLM and tool calls (docs/traces.md). Unset: no traces.',
  },
  OTEL_SERVICE_NAME: {
    schema: z.string().min(1),
    default: 'parley',
    doc: 'The `service.name` of the traces this process sends.',
  },
} as const;

type Vars = typeof configVariables;

const secretVariables = new Set<string>([
  'PARLEY_ADMIN_TOKEN',
  'PARLEY_SECRET_KEY',
  'PARLEY_JWT_SECRET',
  'PARLEY_METRICS_TOKEN',
  'DATABASE_URL',
  'REDIS_URL',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
]);
type VarName = keyof Vars;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  role: 'api' | 'worker' | 'all';
  adminToken: string | undefined;
  defaultPlan: PlanName;
  secretKey: string | undefined;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  /** A widget visitor's session token expires after this many days without use. */
  widgetSessionIdleDays: number;
  publicUrl: string | undefined;
  metaGraphUrl: string;
  metaGraphVersion: string;
  twilioApiUrl: string;
  telegramApiUrl: string;
  livekitUrl: string | undefined;
  deepgramUrl: string;
  deepgramApiKey: string | undefined;
  elevenLabsUrl: string;
  elevenLabsApiKey: string | undefined;
  webhookAllowPrivate: boolean;
  /** PARLEY_SSO_ALLOW_PRIVATE: an OIDC issuer may be on a private address and plain http. */
  ssoAllowPrivate: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  jobPollMs: number;
  /** Connections in this process's PostgreSQL pool (PARLEY_DB_POOL_SIZE); pg-boss's pool is half as many. */
  dbPoolSize: number;
  /** PARLEY_PRESENCE_TTL_SECONDS: a presence row not refreshed for this long counts no more. */
  presenceTtlSeconds: number;
  /** Seconds a SIGTERM lets live calls finish before they are ended (PARLEY_DRAIN_SECONDS). */
  drainSeconds: number;
  /** Seconds a media WebSocket may send nothing before it is closed (PARLEY_MEDIA_IDLE_SECONDS; 0: never). */
  mediaIdleSeconds: number;
  /** Server processes `npm start` runs (PARLEY_PROCESSES). */
  processes: number;
  jwtSecret: string | undefined;
  trustProxy: boolean;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnectionsPerClient: number;
  metricsToken: string | undefined;
  loginMaxAttempts: number;
  loginMaxAttemptsPerClient: number;
  loginMaxAttemptsPerEmail: number;
  csatLinksPerMinute: number;
  voice: {
    stt: 'sandbox' | 'builtin' | 'openai' | 'openai_compatible' | 'deepgram' | undefined;
    tts: 'sandbox' | 'builtin' | 'openai' | 'openai_compatible' | 'deepgram' | 'elevenlabs' | undefined;
    speechUrl: string | undefined;
    sandboxPace: 'realtime' | 'virtual';
    joinTimeoutSeconds: number;
    builtinSttMax: number;
    ttsCacheMb: number;
  };
  openaiApiKey: string | undefined;
  anthropicApiKey: string | undefined;
  /** Where traces go (OTEL_EXPORTER_OTLP_ENDPOINT); unset: tracing is off. */
  otlpEndpoint: string | undefined;
  otelServiceName: string;
  /** Test-only switches, never read from the environment. */
  testing?: {
    /** Validate every response against its route's declared schema (catches docs drifting from code). */
    validateResponses?: boolean;
    /** Clock override for time-dependent rules. */
    now?: () => Date;
    /**
     * PostgreSQL connections per app (the statement pool, pg-boss's pool): smaller in the tests,
     * where several test processes share one server's max_connections. Default 20 and 10.
     */
    pgPools?: { db: number; queue: number };
    /** How often pg-boss counts queue depths for the metrics (default 30 s). */
    queueMonitorSeconds?: number;
    /**
     * Time limit of each request to Meta's Graph API, read as each request starts (default: each
     * request kind's own, 15 s for a send): a test of a send that times out sets it for that send.
     */
    graphTimeoutMs?: number;
    /**
     * How long a retry waits for the first request with its Idempotency-Key to answer before its
     * 409 (default 5 s), read as each request starts: a test of the wait running out sets it for
     * that request.
     */
    idempotencyWaitMs?: number;
  };
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const read = <K extends VarName>(name: K): z.output<Vars[K]['schema']> => {
    const spec = configVariables[name];
    const raw = env[name] === undefined || env[name] === '' ? spec.default : env[name];
    const parsed = (spec.schema as z.ZodType).safeParse(raw);
    if (!parsed.success) {
      // Secrets are never echoed, not even when they are wrong.
      const shown = secretVariables.has(name) ? '' : ` (got ${JSON.stringify(raw)})`;
      problems.push(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid value'}${shown}`);
      return undefined as never;
    }
    return parsed.data as never;
  };
  const config: Config = {
    port: read('PORT'),
    host: read('HOST'),
    dataDir: read('PARLEY_DATA_DIR'),
    databaseUrl: read('DATABASE_URL'),
    redisUrl: read('REDIS_URL'),
    role: read('PARLEY_ROLE'),
    adminToken: read('PARLEY_ADMIN_TOKEN'),
    defaultPlan: read('PARLEY_DEFAULT_PLAN'),
    secretKey: read('PARLEY_SECRET_KEY'),
    bodyLimitBytes: read('PARLEY_BODY_LIMIT_BYTES'),
    uploadLimitBytes: read('PARLEY_UPLOAD_LIMIT_BYTES'),
    widgetSessionIdleDays: read('PARLEY_WIDGET_SESSION_IDLE_DAYS'),
    publicUrl: read('PARLEY_PUBLIC_URL'),
    metaGraphUrl: read('PARLEY_META_GRAPH_URL'),
    metaGraphVersion: read('PARLEY_META_GRAPH_VERSION'),
    twilioApiUrl: read('PARLEY_TWILIO_API_URL'),
    telegramApiUrl: read('PARLEY_TELEGRAM_API_URL'),
    livekitUrl: read('PARLEY_LIVEKIT_URL'),
    deepgramUrl: read('PARLEY_DEEPGRAM_URL'),
    deepgramApiKey: read('PARLEY_DEEPGRAM_API_KEY'),
    elevenLabsUrl: read('PARLEY_ELEVENLABS_URL'),
    elevenLabsApiKey: read('PARLEY_ELEVENLABS_API_KEY'),
    webhookAllowPrivate: read('PARLEY_WEBHOOK_ALLOW_PRIVATE'),
    ssoAllowPrivate: read('PARLEY_SSO_ALLOW_PRIVATE'),
    logLevel: read('PARLEY_LOG_LEVEL'),
    jobPollMs: read('PARLEY_JOB_POLL_MS'),
    dbPoolSize: read('PARLEY_DB_POOL_SIZE'),
    presenceTtlSeconds: read('PARLEY_PRESENCE_TTL_SECONDS'),
    drainSeconds: read('PARLEY_DRAIN_SECONDS'),
    mediaIdleSeconds: read('PARLEY_MEDIA_IDLE_SECONDS'),
    processes: read('PARLEY_PROCESSES'),
    jwtSecret: read('PARLEY_JWT_SECRET'),
    trustProxy: read('PARLEY_TRUST_PROXY'),
    headersTimeoutMs: read('PARLEY_HEADERS_TIMEOUT_MS'),
    requestTimeoutMs: read('PARLEY_REQUEST_TIMEOUT_MS'),
    keepAliveTimeoutMs: read('PARLEY_KEEPALIVE_TIMEOUT_MS'),
    maxConnectionsPerClient: read('PARLEY_MAX_CONNECTIONS_PER_CLIENT'),
    metricsToken: read('PARLEY_METRICS_TOKEN'),
    loginMaxAttempts: read('PARLEY_LOGIN_MAX_ATTEMPTS'),
    loginMaxAttemptsPerClient: read('PARLEY_LOGIN_MAX_ATTEMPTS_PER_CLIENT'),
    loginMaxAttemptsPerEmail: read('PARLEY_LOGIN_MAX_ATTEMPTS_PER_EMAIL'),
    csatLinksPerMinute: read('PARLEY_CSAT_LINKS_PER_MINUTE'),
    voice: {
      stt: read('PARLEY_VOICE_STT'),
      tts: read('PARLEY_VOICE_TTS'),
      speechUrl: read('PARLEY_VOICE_SPEECH_URL'),
      sandboxPace: read('PARLEY_VOICE_SANDBOX_PACE'),
      joinTimeoutSeconds: read('PARLEY_VOICE_JOIN_TIMEOUT_SECONDS'),
      builtinSttMax: read('PARLEY_BUILTIN_STT_MAX'),
      ttsCacheMb: read('PARLEY_VOICE_TTS_CACHE_MB'),
    },
    openaiApiKey: read('OPENAI_API_KEY'),
    anthropicApiKey: read('ANTHROPIC_API_KEY'),
    otlpEndpoint: read('OTEL_EXPORTER_OTLP_ENDPOINT'),
    otelServiceName: read('OTEL_SERVICE_NAME'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
