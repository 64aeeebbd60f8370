import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { Parley, SDK_VERSION } from '@parley/sdk';
import * as canned from './canned.ts';
import * as commands from './commands.ts';
import { configPath, type Env, readConfig, resolveSettings } from './config.ts';
import { CliError, describeFailure, EXIT, usageError } from './errors.ts';
import { serveMcp } from './mcp/server.ts';
import type { Io } from './output.ts';
import { exportCsv, reportsOverview } from './reports.commands.ts';
import * as teamops from './teamops.ts';
import * as tools from './tools.commands.ts';

export const HELP = `parley: the Parley command line (API ${SDK_VERSION})

Usage: parley <command> [arguments] [options]

Commands:
  init --api-key <key>                 Store the key and base URL in the config file (checks the key first)
  me                                   Show the workspace and key in use
  send <to> <text>                     Send a text message (--channel, --from, --agent)
  conversations list                   List conversations (--status, --channel, --agent, --contact, --q, --limit,
                                       --after <id> for the next page, or --page)
  conversations show <id>              Show a conversation and its messages (--limit)
  canned list|show|create|delete|send  Canned responses: list (--q), show <id>, create <code> <title> <content>,
                                       delete <id>, send <conversation> <id> (filled in for that conversation)
  teams queue <team_id>                A team's queue, oldest first, with waiting times (--limit)
  assign <conversation>                Assign a conversation: --user <id>, --team <id> (routed by the team's rule) or --none
  availability [set <state>]           Show or set your availability: online, busy, offline or auto
                                       (a person's own: use an inbox session token as the key)
  knowledge push <agent> <file>        Add or replace a document of an agent's knowledge (--title, --type)
  webhooks listen --forward-to <url>   Forward live events to a local URL, signed with a local secret (--events a,b)
  chat <agent>                         Talk to an agent through the sandbox (test key; --from, --timeout)
  call <agent>                         Call an agent through the voice loop, in text mode (a web call)
  mcp                                  Serve Parley's tools to an AI assistant (Model Context Protocol, stdio)
  tools list|show|test|calls          Workspace tools: list, show <id>, test <id> (--args '<json>', --live for
                                       a write tool, --contact <id>, --tool <name> of an MCP tool),
                                       calls <conversation> (its tool calls)
  tools create|update|delete          create <file.json>, update <id> <file.json> (- reads standard input), delete <id>
  secrets list|set|delete             Secrets tools use as {{secret.name}}: list, set <name> (the value is read
                                       from standard input, never an argument), delete <name>
  reports overview                     Totals over a range (--from, --to as dates, --channel, --agent, --interval)
  export conversations|calls           The CSV export, streamed (--from, --to, --channel, --agent, --out <file>)

Options for every command:
  --api-key <key>     Default: PARLEY_API_KEY, then the config file
  --base-url <url>    Default: PARLEY_BASE_URL, then the config file, then http://localhost:3000
  --json              Machine-readable output on stdout
  -h, --help          This help;  --version  the version

Environment: PARLEY_API_KEY, PARLEY_BASE_URL, PARLEY_MAX_RETRIES (retries of a 429/503 after its
Retry-After, default 2; 0 fails at once).
Config file: $XDG_CONFIG_HOME/parley/config.json (else ~/.config/parley/config.json), mode 0600.

Exit codes:
  0  success
  1  the API refused the request (validation, not found, conflict, server error)
  2  usage error (unknown command or option, missing or invalid argument)
  3  no API key configured
  4  the server cannot be reached or is not a Parley API (down, wrong base URL, timeout)
  5  the key was refused (unknown or revoked: 401) or lacks the scope (403)
  6  rate limited, even after waiting out Retry-After
  7  waited too long (chat: no reply from the agent)
Errors are one line on stderr; with --json, also {"error": {...}} on stdout.
`;

const globalOptions = {
  'api-key': { type: 'string' },
  'base-url': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

const commandOptions = {
  init: { 'no-verify': { type: 'boolean' } },
  me: {},
  send: { channel: { type: 'string' }, from: { type: 'string' }, agent: { type: 'string' } },
  'conversations list': {
    status: { type: 'string' },
    channel: { type: 'string' },
    agent: { type: 'string' },
    contact: { type: 'string' },
    q: { type: 'string' },
    limit: { type: 'string' },
    page: { type: 'string' },
    after: { type: 'string' },
  },
  'conversations show': { limit: { type: 'string' } },
  'canned list': { q: { type: 'string' } },
  'canned show': {},
  'canned create': {},
  'canned delete': {},
  'canned send': {},
  'teams queue': { limit: { type: 'string' } },
  assign: { user: { type: 'string' }, team: { type: 'string' }, none: { type: 'boolean' } },
  availability: {},
  'availability set': {},
  'knowledge push': { title: { type: 'string' }, type: { type: 'string' } },
  'webhooks listen': {
    'forward-to': { type: 'string' },
    events: { type: 'string' },
    secret: { type: 'string' },
  },
  chat: { from: { type: 'string' }, timeout: { type: 'string' } },
  call: {},
  mcp: {},
  'tools list': {},
  'tools show': {},
  'tools test': {
    args: { type: 'string' },
    live: { type: 'boolean' },
    contact: { type: 'string' },
    tool: { type: 'string' },
  },
  'tools calls': {},
  'tools create': {},
  'tools update': {},
  'tools delete': {},
  'secrets list': {},
  'secrets set': {},
  'secrets delete': {},
  'reports overview': {
    from: { type: 'string' },
    to: { type: 'string' },
    channel: { type: 'string' },
    agent: { type: 'string' },
    interval: { type: 'string' },
  },
  'export conversations': {
    from: { type: 'string' },
    to: { type: 'string' },
    channel: { type: 'string' },
    agent: { type: 'string' },
    out: { type: 'string' },
  },
  'export calls': {
    from: { type: 'string' },
    to: { type: 'string' },
    agent: { type: 'string' },
    out: { type: 'string' },
  },
} as const;

type CommandName = keyof typeof commandOptions;
const allOptions = Object.assign({}, globalOptions, ...Object.values(commandOptions));

export interface RunEnv {
  argv: string[];
  env: Env;
  io: Io;
  /** Lines typed by the user (for `chat`); defaults to stdin. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where `mcp` writes its protocol messages; defaults to stdout. */
  stdout?: Writable;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** Runs one command line and returns its exit code; never calls process.exit (testable in process). */
export async function run(r: RunEnv): Promise<number> {
  let baseUrl = r.env.PARLEY_BASE_URL || 'http://localhost:3000';
  let jsonOut = r.argv.includes('--json');
  try {
    // First pass: find the command words (values of known options are consumed correctly).
    const loose = parseArgs({ args: r.argv, options: allOptions, strict: false, allowPositionals: true });
    const [first, second] = loose.positionals;
    const name = (first && `${first} ${second}` in commandOptions ? `${first} ${second}` : first) as
      | CommandName
      | undefined;
    if (loose.values.version) return out(r.io, SDK_VERSION);
    if (loose.values.help) return out(r.io, HELP);
    if (!name) {
      r.io.err(HELP);
      return EXIT.usage;
    }
    if (!(name in commandOptions)) {
      throw usageError(
        // A command that takes a subcommand (`export conversations`, `reports overview`, ...).
        Object.keys(commandOptions).some((c) => c.startsWith(`${first} `))
          ? `parley ${first}: unknown subcommand ${second ?? '(none)'}; see \`parley --help\`.`
          : `Unknown command "${first}"; see \`parley --help\`.`,
      );
    }
    let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
    try {
      parsed = parseArgs({
        args: r.argv,
        options: { ...globalOptions, ...commandOptions[name] },
        strict: true,
        allowPositionals: true,
      }) as typeof parsed;
    } catch (err) {
      throw usageError(`parley ${name}: ${(err as Error).message}`);
    }
    const v = parsed.values;
    const args = parsed.positionals.slice(name.split(' ').length);
    jsonOut = v.json === true;
    const config = readConfig(r.env);
    const settings = resolveSettings(
      { apiKey: v['api-key'] as string, baseUrl: v['base-url'] as string },
      r.env,
      config,
    );
    baseUrl = settings.baseUrl;
    if (!/^https?:\/\/[^/]+/.test(baseUrl))
      throw usageError(`The base URL must be http(s)://host[:port] (got ${baseUrl}).`);

    if (name === 'init') {
      expectArgs(name, args, 0);
      await commands.init(
        { apiKey: v['api-key'] as string | undefined, baseUrl, verify: v['no-verify'] !== true, env: r.env },
        r.io,
        jsonOut,
        r.fetch,
      );
      return EXIT.ok;
    }

    if (!settings.apiKey) {
      throw new CliError(
        EXIT.notConfigured,
        'not_configured',
        `No API key. Run \`parley init --api-key prl_test_...\`, set PARLEY_API_KEY, or pass --api-key (config: ${configPath(r.env)}).`,
      );
    }
    const ctx: commands.CommandContext = {
      client: new Parley({
        apiKey: settings.apiKey,
        baseUrl,
        fetch: r.fetch,
        userAgent: `parley-cli/${SDK_VERSION}`,
        maxRetries:
          r.env.PARLEY_MAX_RETRIES === undefined
            ? undefined
            : envInt('PARLEY_MAX_RETRIES', r.env.PARLEY_MAX_RETRIES, 0, 10),
      }),
      io: r.io,
      json: jsonOut,
      signal: r.signal,
    };
    switch (name) {
      case 'me':
        expectArgs(name, args, 0);
        await commands.me(ctx);
        break;
      case 'send':
        expectArgs(name, args, 2, '<to> <text>');
        await commands.send(ctx, args[0], args[1], {
          channel: str(v.channel),
          from: str(v.from),
          agent: str(v.agent),
        });
        break;
      case 'conversations list':
        expectArgs(name, args, 0);
        await commands.conversationsList(ctx, {
          status: str(v.status),
          channel: str(v.channel),
          agent: str(v.agent),
          contact: str(v.contact),
          q: str(v.q),
          limit: int(name, 'limit', v.limit, 1, 100),
          page: int(name, 'page', v.page, 1, 1_000_000),
          after: str(v.after),
        });
        break;
      case 'conversations show':
        expectArgs(name, args, 1, '<id>');
        await commands.conversationsShow(ctx, args[0], { limit: int(name, 'limit', v.limit, 1, 10_000) });
        break;
      case 'canned list':
        expectArgs(name, args, 0);
        await canned.cannedList(ctx, { q: str(v.q) });
        break;
      case 'canned show':
        expectArgs(name, args, 1, '<id>');
        await canned.cannedShow(ctx, args[0]);
        break;
      case 'canned create':
        expectArgs(name, args, 3, '<short_code> <title> <content>');
        await canned.cannedCreate(ctx, args[0], args[1], args[2]);
        break;
      case 'canned delete':
        expectArgs(name, args, 1, '<id>');
        await canned.cannedDelete(ctx, args[0]);
        break;
      case 'canned send':
        expectArgs(name, args, 2, '<conversation> <canned_id>');
        await canned.cannedSend(ctx, args[0], args[1]);
        break;
      case 'teams queue':
        expectArgs(name, args, 1, '<team_id>');
        await teamops.teamsQueue(ctx, args[0], int(name, 'limit', v.limit, 1, 500));
        break;
      case 'assign':
        expectArgs(name, args, 1, '<conversation_id>');
        await teamops.assign(ctx, args[0], { user: str(v.user), team: str(v.team), none: v.none === true });
        break;
      case 'availability':
        expectArgs(name, args, 0);
        await teamops.availability(ctx);
        break;
      case 'availability set':
        expectArgs(name, args, 1, 'online|busy|offline|auto');
        await teamops.availability(ctx, args[0]);
        break;
      case 'knowledge push':
        expectArgs(name, args, 2, '<agent> <file>');
        await commands.knowledgePush(ctx, args[0], args[1], { title: str(v.title), type: str(v.type) });
        break;
      case 'webhooks listen': {
        expectArgs(name, args, 0);
        const forwardTo = str(v['forward-to']);
        if (!forwardTo)
          throw usageError(
            'parley webhooks listen: --forward-to <url> is required, e.g. --forward-to http://localhost:4000/webhooks.',
          );
        const events = str(v.events)
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        await commands.webhooksListen(ctx, { forwardTo, events, secret: str(v.secret) });
        break;
      }
      case 'chat': {
        expectArgs(name, args, 1, '<agent>');
        const timeout = int(name, 'timeout', v.timeout, 1, 3600) ?? 30;
        const stdin = r.stdin ?? process.stdin;
        const interactive = stdin.isTTY === true && !jsonOut;
        const rl = createInterface({ input: stdin, terminal: false });
        // Start buffering lines at once: lines read (or the end of input) before an iterator
        // exists would be lost, and an iterator made after 'close' never ends.
        const iterator = rl[Symbol.asyncIterator]();
        const lines = { [Symbol.asyncIterator]: () => iterator };
        const stop = () => rl.close();
        r.signal?.addEventListener('abort', stop, { once: true });
        try {
          await commands.chat(ctx, args[0], {
            from: str(v.from),
            timeoutMs: timeout * 1000,
            lines,
            interactive,
            prompt: interactive ? () => r.io.err('you> ') : undefined,
          });
        } finally {
          r.signal?.removeEventListener('abort', stop);
          rl.close();
        }
        break;
      }
      case 'tools list':
      case 'tools show':
      case 'tools test':
      case 'tools calls':
      case 'tools create':
      case 'tools update':
      case 'tools delete':
      case 'secrets list':
      case 'secrets set':
      case 'secrets delete':
        await toolCommand(ctx, name, args, v, r.stdin ?? process.stdin);
        break;
      case 'reports overview':
        expectArgs(name, args, 0);
        await reportsOverview(ctx, {
          from: str(v.from),
          to: str(v.to),
          channel: str(v.channel),
          agent: str(v.agent),
          interval: str(v.interval),
        });
        break;
      case 'export conversations':
      case 'export calls':
        expectArgs(name, args, 0);
        await exportCsv(
          ctx,
          name === 'export calls' ? 'calls' : 'conversations',
          { from: str(v.from), to: str(v.to), channel: str(v.channel), agent: str(v.agent), out: str(v.out) },
          r.stdout as Writable | undefined,
        );
        break;
      case 'mcp':
        expectArgs(name, args, 0);
        // stdout carries the protocol only: the one log line goes to stderr.
        await serveMcp(ctx.client, {
          stdin: r.stdin as Readable | undefined,
          stdout: r.stdout,
          signal: r.signal,
          log: r.io.err,
        });
        break;
      case 'call': {
        expectArgs(name, args, 1, '<agent>');
        const stdin = r.stdin ?? process.stdin;
        const interactive = stdin.isTTY === true && !jsonOut;
        const rl = createInterface({ input: stdin, terminal: false });
        const iterator = rl[Symbol.asyncIterator]();
        const lines = { [Symbol.asyncIterator]: () => iterator };
        try {
          await commands.call(ctx, args[0], {
            lines,
            prompt: interactive ? () => r.io.err('you> ') : undefined,
          });
        } finally {
          rl.close();
        }
        break;
      }
    }
    return EXIT.ok;
  } catch (err) {
    if (r.signal?.aborted) return EXIT.ok;
    const failure = describeFailure(err, baseUrl);
    r.io.err(`Error: ${failure.message}`);
    if (jsonOut) {
      r.io.out(
        JSON.stringify({
          error: {
            code: failure.code,
            message: failure.message,
            request_id: failure.requestId ?? null,
            exit_code: failure.exitCode,
          },
        }),
      );
    }
    return failure.exitCode;
  }
}

function out(io: Io, text: string): number {
  io.out(text);
  return EXIT.ok;
}

/** `parley tools ...` and `parley secrets ...` (docs/tools.md). */
async function toolCommand(
  ctx: commands.CommandContext,
  name: CommandName,
  args: string[],
  v: Record<string, string | boolean | undefined>,
  stdin: NodeJS.ReadableStream & { isTTY?: boolean },
) {
  const usage: Partial<Record<CommandName, string>> = {
    'tools show': '<id>',
    'tools test': '<id>',
    'tools calls': '<conversation>',
    'tools create': '<file.json>',
    'tools update': '<id> <file.json>',
    'tools delete': '<id>',
    'secrets set': '<name>',
    'secrets delete': '<name>',
  };
  const u = usage[name] ?? '';
  expectArgs(name, args, u ? u.split(' ').length : 0, u);
  const [a, b] = args as [string, string];
  if (name === 'tools list') return tools.toolsList(ctx);
  if (name === 'tools show') return tools.toolsShow(ctx, a);
  if (name === 'tools test')
    return tools.toolsTest(ctx, a, {
      args: str(v.args),
      live: v.live === true,
      contact: str(v.contact),
      tool: str(v.tool),
    });
  if (name === 'tools calls') return tools.toolsCalls(ctx, a);
  if (name === 'tools create') return tools.toolsCreate(ctx, a, stdin);
  if (name === 'tools update') return tools.toolsUpdate(ctx, a, b, stdin);
  if (name === 'tools delete') return tools.toolsDelete(ctx, a);
  if (name === 'secrets list') return tools.secretsList(ctx);
  if (name === 'secrets set') return tools.secretsSet(ctx, a, stdin);
  return tools.secretsDelete(ctx, a);
}

function expectArgs(name: string, args: string[], n: number, usage = '') {
  if (args.length === n) return;
  const what =
    args.length < n
      ? `missing ${usage.split(' ').slice(args.length).join(' ')}`
      : `unexpected argument "${args[n]}"`;
  throw usageError(`parley ${name}: ${what}. Usage: parley ${name}${usage ? ` ${usage}` : ''}.`);
}

function envInt(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw usageError(`${name} must be a whole number from ${min} to ${max} (got ${v}).`);
  return n;
}

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);

function int(
  name: string,
  flag: string,
  v: string | boolean | undefined,
  min: number,
  max: number,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < min || n > max) {
    throw usageError(`parley ${name}: --${flag} must be a whole number from ${min} to ${max} (got ${v}).`);
  }
  return n;
}
