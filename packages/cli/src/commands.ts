import { readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { generateWebhookSecret, Parley, ParleyError, type ParleyEvent, signWebhook } from '@parley/sdk';
import { configPath, type Env, readConfig, writeConfig } from './config.ts';
import { CliError, EXIT, usageError } from './errors.ts';
import { fields, type Io, json, maskKey, table } from './output.ts';

/** What every command gets: a configured client, where to write, and how. */
export interface CommandContext {
  client: Parley;
  io: Io;
  /** Machine-readable output on stdout (one JSON document, or one JSON line per event for streams). */
  json: boolean;
  /** Aborted on Ctrl-C: long-running commands stop cleanly. */
  signal?: AbortSignal;
}

const KEY_PATTERN = /^prl_(live|test)_[A-Za-z0-9_-]{20,}$/;

/** `parley init`: checks the key against the server, then stores key and base URL (mode 0600). */
export async function init(
  opts: { apiKey: string | undefined; baseUrl: string; verify: boolean; env: Env },
  io: Io,
  jsonOut: boolean,
  fetchImpl?: typeof fetch,
): Promise<void> {
  if (!opts.apiKey)
    throw usageError('parley init: --api-key is required, e.g. `parley init --api-key prl_test_...`.');
  if (!KEY_PATTERN.test(opts.apiKey)) {
    throw usageError(
      'parley init: that is not a Parley API key (they look like prl_live_... or prl_test_...).',
    );
  }
  let workspace: { id: string; name: string } | undefined;
  if (opts.verify) {
    const me = await new Parley({
      apiKey: opts.apiKey,
      baseUrl: opts.baseUrl,
      fetch: fetchImpl,
      maxRetries: 0,
    }).me();
    workspace = { id: me.workspace.id, name: me.workspace.name };
  }
  const file = writeConfig(opts.env, {
    ...readConfig(opts.env),
    api_key: opts.apiKey,
    base_url: opts.baseUrl,
  });
  const mode = opts.apiKey.startsWith('prl_live_') ? 'live' : 'test';
  if (jsonOut) {
    io.out(
      json({
        config_path: file,
        base_url: opts.baseUrl,
        mode,
        key: maskKey(opts.apiKey),
        workspace: workspace ?? null,
      }),
    );
  } else {
    const ws = workspace ? ` for workspace "${workspace.name}" (${workspace.id})` : '';
    io.out(`Saved ${mode} key ${maskKey(opts.apiKey)}${ws} and base URL ${opts.baseUrl} to ${file}`);
  }
}

/** Where `init` writes, for `parley --help`. */
export const configLocation = (env: Env) => configPath(env);

export async function me(ctx: CommandContext): Promise<void> {
  const me = await ctx.client.me();
  if (ctx.json) return ctx.io.out(json(me));
  const key = me.api_key;
  ctx.io.out(
    fields([
      ['Workspace', `${me.workspace.name} (${me.workspace.id})`],
      ['Plan', me.workspace.plan],
      ['Mode', me.livemode ? 'live' : 'test'],
      ['Key', key ? `${key.prefix}… (${key.id})` : '-'],
      ['Scopes', key ? key.scopes.join(', ') : '-'],
      ['API', `${me.api_version} at ${ctx.client.baseUrl}`],
    ]),
  );
}

export async function send(
  ctx: CommandContext,
  to: string,
  text: string,
  opts: { channel?: string; from?: string; agent?: string } = {},
): Promise<void> {
  const body: Record<string, unknown> = { to, type: 'text', text };
  if (opts.channel) body.channel = opts.channel;
  if (opts.from) body.from = opts.from;
  if (opts.agent) body.agent_id = opts.agent;
  const msg = await ctx.client.messages.send(body as never);
  if (ctx.json) return ctx.io.out(json(msg));
  ctx.io.out(`Queued ${msg.id} to ${msg.to} (conversation ${msg.conversation_id}, status ${msg.status}).`);
}

export async function conversationsList(
  ctx: CommandContext,
  opts: {
    status?: string;
    channel?: string;
    agent?: string;
    contact?: string;
    q?: string;
    limit?: number;
    page?: number;
    /** The page after this conversation (`starting_after`): the last id of the page before. */
    after?: string;
  },
): Promise<void> {
  const query: Record<string, unknown> = {
    status: opts.status,
    channel: opts.channel,
    agent_id: opts.agent,
    contact_id: opts.contact,
    q: opts.q,
    per_page: opts.limit ?? 20,
    page: opts.after ? undefined : (opts.page ?? 1),
    starting_after: opts.after,
  };
  const page = await ctx.client.conversations.list(query as never);
  if (ctx.json) return ctx.io.out(json(page));
  const rows = page.data as Array<Record<string, any>>;
  ctx.io.out(
    table(rows, [
      { header: 'id', value: (c) => c.id, max: 40 },
      { header: 'channel', value: (c) => c.channel },
      { header: 'contact', value: (c) => c.contact?.name || c.contact?.phone || c.contact_phone, max: 24 },
      { header: 'status', value: (c) => c.status + (c.ai_paused ? ' (human)' : '') },
      { header: 'last message', value: (c) => lastText(c.last_message), max: 48 },
      { header: 'last at', value: (c) => c.last_message_at },
    ]),
  );
  const meta = page.meta;
  const last = rows.at(-1)?.id;
  // The next page by cursor: it neither repeats nor skips a conversation that moved meanwhile.
  if (meta?.has_more && last) ctx.io.err(`${meta.total} conversations; next page: --after ${last}`);
}

export async function conversationsShow(
  ctx: CommandContext,
  id: string,
  opts: { limit?: number } = {},
): Promise<void> {
  const conversation = await ctx.client.conversations.get(id);
  const limit = opts.limit ?? 50;
  const messages: Array<Record<string, any>> = [];
  for await (const m of ctx.client.conversations.iterateMessages(id, { signal: ctx.signal }))
    messages.push(m);
  messages.sort(
    (a, b) =>
      String(a.created_at).localeCompare(String(b.created_at)) || String(a.id).localeCompare(String(b.id)),
  );
  const shown = messages.slice(-limit);
  if (ctx.json) return ctx.io.out(json({ conversation, messages: shown }));
  const c = conversation as Record<string, any>;
  ctx.io.out(
    fields([
      ['Conversation', c.id],
      ['Channel', c.channel],
      ['Contact', [c.contact?.name, c.contact?.phone ?? c.contact_phone].filter(Boolean).join(' ') || '-'],
      ['Status', c.status],
      ['AI', c.ai_paused ? 'paused (a human has it)' : 'answering'],
      ['Assignee', c.assignee ? `${c.assignee.type} ${c.assignee.id}` : '-'],
      ['Tags', (c.tags ?? []).join(', ') || '-'],
    ]),
  );
  ctx.io.out('');
  if (!shown.length) return ctx.io.out('(no messages)');
  if (messages.length > shown.length)
    ctx.io.out(`(${messages.length - shown.length} earlier messages not shown; use --limit)`);
  for (const m of shown) {
    // A private note is never sent to the customer: marked as such, with no delivery status.
    const note = m.type === 'note';
    const status = !note && m.status && m.direction === 'outbound' ? `  [${m.status}]` : '';
    ctx.io.out(
      `${m.created_at}  ${who(m).padEnd(8)} ${note ? '(private note) ' : ''}${messageText(m)}${status}`,
    );
  }
}

const textTypes: Record<string, 'markdown' | 'text'> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.text': 'text',
};

/**
 * `parley knowledge push <agent> <file>`: markdown and text files go as text; anything else
 * (PDF, HTML ...) as a file the server extracts. Pushing the same title again replaces it.
 */
export async function knowledgePush(
  ctx: CommandContext,
  agentId: string,
  file: string,
  opts: { title?: string; type?: string } = {},
): Promise<void> {
  let bytes: Buffer;
  try {
    if (!statSync(file).isFile()) throw usageError(`parley knowledge push: ${file} is not a file.`);
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw usageError(
      `parley knowledge push: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  const title = opts.title ?? basename(file);
  const docType = opts.type ?? textTypes[extname(file).toLowerCase()] ?? 'file';
  let doc: Record<string, unknown>;
  if (docType === 'file')
    doc = {
      title,
      doc_type: 'file',
      file: { filename: basename(file), content_base64: bytes.toString('base64') },
    };
  else if (['text', 'markdown', 'faq'].includes(docType))
    doc = { title, doc_type: docType, content: bytes.toString('utf8') };
  else
    throw usageError(`parley knowledge push: --type must be text, markdown, faq or file (got ${docType}).`);
  const { created, document } = await ctx.client.knowledge.push(agentId, doc as never, {
    signal: ctx.signal,
  });
  if (ctx.json) return ctx.io.out(json({ created, document }));
  const d = document as Record<string, any>;
  ctx.io.out(
    `${created ? 'Added' : 'Updated'} ${d.id} "${d.title}" on agent ${agentId}: ${d.chunk_count ?? '?'} passages, ${d.char_count ?? '?'} characters indexed.`,
  );
}

/**
 * `parley webhooks listen --forward-to <url>`: live events from the event stream, each POSTed to
 * the local URL signed as Parley signs deliveries, with a secret made for this session (or
 * `--secret`). Reconnects (resuming after the last event) when the stream drops.
 */
export async function webhooksListen(
  ctx: CommandContext,
  opts: {
    forwardTo: string;
    events?: string[];
    secret?: string;
    maxReconnects?: number;
    reconnectDelayMs?: number;
  },
): Promise<void> {
  let target: URL;
  try {
    target = new URL(opts.forwardTo);
    if (!/^https?:$/.test(target.protocol)) throw new Error('not http');
  } catch {
    throw usageError(`parley webhooks listen: --forward-to must be an http(s) URL (got ${opts.forwardTo}).`);
  }
  const secret = opts.secret ?? generateWebhookSecret();
  const maxReconnects = opts.maxReconnects ?? 5;
  let lastEventId: string | undefined;
  let failures = 0;
  let announced = false;
  while (!ctx.signal?.aborted) {
    try {
      const stream = ctx.client.events.stream({
        types: opts.events,
        lastEventId,
        signal: ctx.signal,
        onOpen: () => {
          failures = 0;
          if (announced) return;
          announced = true;
          if (ctx.json)
            ctx.io.out(
              JSON.stringify({ ready: true, forward_to: target.href, secret, events: opts.events ?? ['*'] }),
            );
          else {
            ctx.io.out(`Ready! Forwarding ${opts.events?.join(', ') || 'all'} events to ${target.href}`);
            ctx.io.out(`Your local webhook signing secret is ${secret} (Ctrl-C to stop)`);
          }
        },
      });
      for await (const event of stream) {
        lastEventId = event.id;
        const result = await forwardEvent(event, target.href, secret, ctx.signal);
        if (ctx.json) ctx.io.out(JSON.stringify({ id: event.id, event: event.event, ...result }));
        else
          ctx.io.out(
            `${new Date().toISOString()}  ${event.event.padEnd(28)} ${event.id}  -> ${result.status ? `[${result.status}]` : `[failed: ${result.error}]`}`,
          );
      }
    } catch (err) {
      if (ctx.signal?.aborted) return;
      // Refusals (bad key, missing scope) will not heal by reconnecting.
      if (!(err instanceof ParleyError) || (err.status !== 0 && err.status < 500)) throw err;
      if (++failures > maxReconnects) throw err;
    }
    if (ctx.signal?.aborted) return;
    if (announced) ctx.io.err('The event stream closed; reconnecting...');
    await new Promise((r) => setTimeout(r, (opts.reconnectDelayMs ?? 1000) * Math.max(1, failures)));
  }
}

/** POSTs one event to the local receiver with Parley's delivery headers; never throws. */
export async function forwardEvent(
  event: ParleyEvent,
  url: string,
  secret: string,
  signal?: AbortSignal,
): Promise<{ status?: number; error?: string }> {
  const body = JSON.stringify(event);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'parley-cli-listen',
        ...signWebhook(secret, { id: event.id, body, event: event.event }),
      },
      body,
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(10_000)]) : AbortSignal.timeout(10_000),
    });
    await res.body?.cancel();
    return { status: res.status };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? (err as Error).message };
  }
}

/**
 * `parley chat <agent>`: each line typed is a customer message through the sandbox
 * (`POST /v1/sandbox/inbound`, a test key), and the agent's reply is printed when it lands on
 * the conversation. Without a reply within the timeout it says so (exit 7 when not interactive).
 */
export async function chat(
  ctx: CommandContext,
  agentId: string,
  opts: {
    from?: string;
    timeoutMs?: number;
    pollMs?: number;
    lines: AsyncIterable<string>;
    prompt?: () => void;
    interactive?: boolean;
  },
): Promise<void> {
  const agent = (await ctx.client.agents.get(agentId)) as Record<string, any>;
  // 555-01xx numbers are reserved for fiction: a valid number no one owns.
  const from = opts.from ?? `+1415555${String(100 + Math.floor(Math.random() * 100)).padStart(4, '0')}`;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const seen = new Set<string>();
  if (!ctx.json)
    ctx.io.err(
      `Chatting with ${agent.name ?? agentId} as ${from} through the sandbox. Ctrl-D or Ctrl-C to end.`,
    );
  opts.prompt?.();
  for await (const raw of opts.lines) {
    const text = raw.trim();
    if (!text) {
      opts.prompt?.();
      continue;
    }
    // The message goes to this agent (at its number, or on the default sandbox channel), never
    // silently to the workspace's default agent.
    const body: Record<string, unknown> = { from, text, agent_id: agent.id ?? agentId };
    const res = (await ctx.client.sandbox.inbound(body as never, { signal: ctx.signal })) as Record<
      string,
      any
    >;
    const conversationId: string | undefined =
      res.conversation_id ?? res.conversation?.id ?? res.message?.conversation_id;
    if (!conversationId)
      throw new CliError(
        EXIT.api,
        'unexpected_response',
        'The sandbox did not say which conversation the message went to.',
      );
    const replies = await waitForReplies(ctx, conversationId, text, seen, timeoutMs, opts.pollMs ?? 250);
    if (ctx.json)
      ctx.io.out(
        JSON.stringify({
          conversation_id: conversationId,
          you: text,
          replies: replies.map((m) => ({ id: m.id, text: messageText(m) })),
        }),
      );
    else if (replies.length)
      for (const m of replies) ctx.io.out(`${agent.name ?? 'agent'}> ${messageText(m)}`);
    if (!replies.length) {
      const message = `No reply from the agent within ${Math.round(timeoutMs / 1000)} s (handed off to a human?).`;
      if (!opts.interactive) throw new CliError(EXIT.timeout, 'timeout', message);
      ctx.io.err(message);
    }
    opts.prompt?.();
  }
}

/**
 * Polls the conversation until outbound messages newer than the customer's message (and not
 * printed before) appear, then returns them.
 */
async function waitForReplies(
  ctx: CommandContext,
  conversationId: string,
  sentText: string,
  seen: Set<string>,
  timeoutMs: number,
  pollMs: number,
): Promise<Array<Record<string, any>>> {
  const deadline = Date.now() + timeoutMs;
  let found: Array<Record<string, any>> = [];
  while (Date.now() < deadline && !ctx.signal?.aborted) {
    const all: Array<Record<string, any>> = [];
    for await (const m of ctx.client.conversations.iterateMessages(conversationId, { signal: ctx.signal }))
      all.push(m as Record<string, any>);
    // Older turns of a reused conversation are not replies to this message.
    const since =
      all
        .filter((m) => m.direction === 'inbound' && m.text === sentText)
        .map((m) => String(m.created_at))
        .sort()
        .at(-1) ?? '';
    const fresh = all.filter(
      (m) => m.direction === 'outbound' && !seen.has(m.id) && String(m.created_at) >= since,
    );
    // One more poll after the first reply lands catches a reply sent in several parts.
    if (fresh.length && fresh.length === found.length) break;
    found = fresh;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  found.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  for (const m of found) seen.add(m.id);
  return found;
}

function who(m: Record<string, any>): string {
  if (m.direction === 'inbound') return 'customer';
  return m.sender?.type === 'user'
    ? 'human'
    : m.sender?.type === 'ai'
      ? 'agent'
      : (m.sender?.type ?? 'outbound');
}

function messageText(m: Record<string, any>): string {
  if (m.text) return m.text;
  if (m.template) return `[template ${m.template.name ?? ''}]`;
  if (m.media) return `[${m.type}${m.media.caption ? `: ${m.media.caption}` : ''}]`;
  return `[${m.type ?? 'message'}]`;
}

function lastText(last: unknown): unknown {
  if (last && typeof last === 'object') return messageText(last as Record<string, any>);
  return last;
}

/**
 * `parley call <agent>`: a web call with the agent through the voice loop, in text mode. It
 * places the call (`POST /v1/calls`, `transport: web`), joins its media WebSocket, prints what
 * the agent says as each sentence starts, and sends each line typed as the caller's turn.
 * End of input hangs up; the call's end (the agent's goodbye, silence, a hangup) ends it.
 */
export async function call(
  ctx: CommandContext,
  agentId: string,
  opts: { lines: AsyncIterable<string>; prompt?: () => void; WebSocketImpl?: typeof WebSocket },
): Promise<void> {
  const placed = (await ctx.client.post('/v1/calls', {
    body: { calls: [{ agent_id: agentId, transport: 'web' }] },
    signal: ctx.signal,
  } as never)) as { results: Array<Record<string, any>>; errors: Array<Record<string, any>> };
  const result = placed.results[0];
  if (!result) {
    const e = placed.errors[0] ?? {};
    throw new CliError(EXIT.api, e.code ?? 'call_failed', e.message ?? 'The call was not placed.');
  }
  const session = result.media_session as { url: string; token: string };
  // The server builds the URL from its public URL; join through the base URL this CLI uses.
  const path = new URL(session.url).pathname;
  const wsUrl = `${ctx.client.baseUrl.replace(/^http/, 'ws')}${path}?token=${encodeURIComponent(session.token)}`;
  const Impl = opts.WebSocketImpl ?? WebSocket;
  const ws = new Impl(wsUrl);
  if (!ctx.json) ctx.io.err(`Calling ${agentId} (call ${result.call.id}). Type to talk; Ctrl-D hangs up.`);
  let ended: Record<string, any> | null = null;
  // Lines sent since the agent last finished talking: at the end of input, wait for its answer.
  let unanswered = 0;
  // The agent spoke since the last line was sent: only then does `listening` mean it answered
  // (and not that it finished a greeting the line interrupted).
  let spokeSinceSend = false;
  let answered: (() => void) | null = null;
  // Lines are sent once the agent has finished its greeting, as a person on the line would wait.
  let greeted: () => void = () => {};
  const greeting = new Promise<void>((resolve) => {
    greeted = resolve;
  });
  const finished = new Promise<void>((resolve, reject) => {
    ws.addEventListener('message', (ev) => {
      if (typeof ev.data !== 'string') return;
      const msg = JSON.parse(ev.data) as Record<string, any>;
      if (ctx.json) ctx.io.out(JSON.stringify(msg));
      else if (msg.type === 'agent_text') ctx.io.out(`agent> ${msg.text}`);
      else if (msg.type === 'transcript' && msg.interrupted)
        ctx.io.err(`(agent cut off after: "${msg.text}")`);
      else if (msg.type === 'listening') opts.prompt?.();
      if (msg.type === 'agent_text' && unanswered > 0) spokeSinceSend = true;
      if (msg.type === 'listening') greeted();
      if (msg.type === 'listening' && unanswered > 0 && spokeSinceSend) {
        unanswered = 0;
        answered?.();
      } else if (msg.type === 'error') ctx.io.err(`(${msg.message})`);
      if (msg.type === 'ended') {
        ended = msg;
        greeted();
        answered?.();
      }
    });
    ws.addEventListener('close', (ev) => {
      if (ev.code >= 4000)
        reject(new CliError(EXIT.api, 'media_refused', ev.reason || `closed with ${ev.code}`));
      else resolve();
    });
    ws.addEventListener('error', () =>
      reject(
        new CliError(
          EXIT.unreachable,
          'unreachable',
          `Cannot open the call's media socket at ${wsUrl.split('?')[0]}.`,
        ),
      ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    finished.catch(reject);
  });
  const typing = (async () => {
    await greeting;
    for await (const raw of opts.lines) {
      const text = raw.trim();
      if (!text) continue;
      if (ws.readyState !== ws.OPEN) return;
      ws.send(JSON.stringify({ type: 'text', text }));
      unanswered++;
      spokeSinceSend = false;
    }
    if (unanswered > 0 && ws.readyState === ws.OPEN)
      await new Promise<void>((resolve) => {
        answered = resolve;
      });
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'hangup' }));
  })();
  const stop = () => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'hangup' }));
  };
  ctx.signal?.addEventListener('abort', stop, { once: true });
  try {
    await finished;
  } finally {
    ctx.signal?.removeEventListener('abort', stop);
  }
  void typing;
  const end = ended as Record<string, any> | null;
  if (!ctx.json) ctx.io.err(`Call ended: ${end?.ended_reason ?? 'closed'}.`);
}
