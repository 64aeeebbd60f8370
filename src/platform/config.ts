import { z } from 'zod';

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
    doc: 'Directory for the embedded SQLite database and the generated secret key.',
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
    doc: 'Bearer token for `POST /v1/admin/workspaces`. Unset: the admin route answers 404.',
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
    schema: z.string().regex(/^v\d+\.\d+$/, 'must look like v21.0'),
    default: 'v21.0',
    doc: 'Graph API version used for WhatsApp calls.',
  },
  PARLEY_TWILIO_API_URL: {
    schema: z.string().url(),
    default: 'https://api.twilio.com',
    doc: "Base URL of Twilio's REST API (tests point it at a local fake).",
  },
  PARLEY_WEBHOOK_ALLOW_PRIVATE: {
    schema: bool,
    default: '0',
    doc: 'Allow webhook deliveries and knowledge page fetches to reach loopback and private addresses (local development and tests only: it lets API callers reach this server’s network).',
  },
  PARLEY_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'Log level of the structured (pino) logs.',
  },
  PARLEY_JOB_POLL_MS: {
    schema: int(10, 60_000),
    default: '250',
    doc: 'How often idle workers look for due jobs (the embedded queue is also woken at once by local enqueues).',
  },
  PARLEY_JWT_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    default: undefined,
    doc: 'Secret signing the inbox session tokens from `POST /v1/auth/login`. Defaults to one derived from the secret key.',
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
} as const;

type Vars = typeof configVariables;

const secretVariables = new Set<string>([
  'PARLEY_ADMIN_TOKEN',
  'PARLEY_SECRET_KEY',
  'PARLEY_JWT_SECRET',
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
  secretKey: string | undefined;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  publicUrl: string | undefined;
  metaGraphUrl: string;
  metaGraphVersion: string;
  twilioApiUrl: string;
  webhookAllowPrivate: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  jobPollMs: number;
  jwtSecret: string | undefined;
  openaiApiKey: string | undefined;
  anthropicApiKey: string | undefined;
  /** Test-only switches, never read from the environment. */
  testing?: {
    /** Validate every response against its route's declared schema (catches docs drifting from code). */
    validateResponses?: boolean;
    /** Clock override for time-dependent rules. */
    now?: () => Date;
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
    secretKey: read('PARLEY_SECRET_KEY'),
    bodyLimitBytes: read('PARLEY_BODY_LIMIT_BYTES'),
    uploadLimitBytes: read('PARLEY_UPLOAD_LIMIT_BYTES'),
    publicUrl: read('PARLEY_PUBLIC_URL'),
    metaGraphUrl: read('PARLEY_META_GRAPH_URL'),
    metaGraphVersion: read('PARLEY_META_GRAPH_VERSION'),
    twilioApiUrl: read('PARLEY_TWILIO_API_URL'),
    webhookAllowPrivate: read('PARLEY_WEBHOOK_ALLOW_PRIVATE'),
    logLevel: read('PARLEY_LOG_LEVEL'),
    jobPollMs: read('PARLEY_JOB_POLL_MS'),
    jwtSecret: read('PARLEY_JWT_SECRET'),
    openaiApiKey: read('OPENAI_API_KEY'),
    anthropicApiKey: read('ANTHROPIC_API_KEY'),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
