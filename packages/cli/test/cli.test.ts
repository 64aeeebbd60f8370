import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { verifyWebhook } from '@parley/sdk';
import { createAiModule } from '../../../src/modules/ai/ai.module.ts';
import { modules } from '../../../src/modules/index.ts';
import { startReceiver, startServer, type TestServer } from '../../sdk/test/support/server.ts';
import { run } from '../src/cli.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

describe('parley CLI against a real server [sqlite]', () => {
  let server: TestServer;
  let ws: { id: string; live: string; test: string };
  let dir: string;

  before(async () => {
    // The AI answers 100 ms after a customer's last message, not 2 s: `chat` waits for two replies.
    server = await startServer({
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 100 }) : m)),
    });
    ws = await server.workspace();
    dir = mkdtempSync(join(tmpdir(), 'parley-cli-test-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a command line in process with its own config directory. */
  async function cli(
    argv: string[],
    env: Record<string, string> = {},
    extra: { signal?: AbortSignal; stdin?: string } = {},
  ): Promise<Outcome> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await run({
      argv,
      env: { XDG_CONFIG_HOME: join(dir, 'empty'), PARLEY_BASE_URL: server.url, ...env },
      io: { out: (t) => out.push(t), err: (t) => err.push(t) },
      signal: extra.signal,
      stdin: extra.stdin !== undefined ? Readable.from([extra.stdin]) : undefined,
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('init checks the key, stores it with the base URL (0600), and later commands use it', async () => {
    const cfg = join(dir, 'cfg1');
    const r = await cli(['init', '--api-key', ws.test, '--base-url', server.url], {
      XDG_CONFIG_HOME: cfg,
      PARLEY_BASE_URL: '',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Saved test key prl_test_/);
    const file = join(cfg, 'parley', 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { api_key: ws.test, base_url: server.url });
    const me = await cli(['me', '--json'], { XDG_CONFIG_HOME: cfg, PARLEY_BASE_URL: '' });
    assert.equal(me.code, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).workspace.id, ws.id);
  });

  it('init refuses a key the server does not know, and stores nothing', async () => {
    const cfg = join(dir, 'cfg2');
    const r = await cli(['init', '--api-key', 'prl_test_0000000000000000000000000'], {
      XDG_CONFIG_HOME: cfg,
    });
    assert.equal(r.code, 5);
    assert.match(r.stderr, /^Error: Invalid API key.*parley init/);
    assert.throws(() => statSync(join(cfg, 'parley', 'config.json')));
    const bad = await cli(['init', '--api-key', 'sk_live_nope'], { XDG_CONFIG_HOME: cfg });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a Parley API key/);
  });

  it('me prints a readable summary by default', async () => {
    const r = await cli(['me', '--api-key', ws.live]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Workspace: +SDK test \(ws_/);
    assert.match(r.stdout, /Mode: +live/);
  });

  it('no key configured: exit 3 with what to do', async () => {
    const r = await cli(['me']);
    assert.equal(r.code, 3);
    assert.equal(r.stderr.split('\n').length, 1);
    assert.match(r.stderr, /No API key\. Run `parley init --api-key/);
  });

  it('a revoked key: exit 5', async () => {
    const res = await fetch(`${server.url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cli-temp' }),
    });
    const key = (await res.json()) as { id: string; key: string };
    await fetch(`${server.url}/v1/api-keys/${key.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ws.test}` },
    });
    const r = await cli(['me', '--json'], { PARLEY_API_KEY: key.key });
    assert.equal(r.code, 5);
    assert.match(r.stderr, /revoked/);
    assert.equal(JSON.parse(r.stdout).error.code, 'unauthorized');
  });

  it('a server that is down or a base URL that is not Parley: exit 4', async () => {
    const down = await startReceiver();
    await down.close();
    const r = await cli(['me', '--api-key', ws.test, '--base-url', down.url]);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /Could not reach Parley at .*ECONNREFUSED.*--base-url/);
    const html = await startReceiver(() => ({
      status: 200,
      headers: { 'content-type': 'text/html' },
      body: '<html></html>',
    }));
    try {
      const w = await cli(['me', '--api-key', ws.test], { PARLEY_BASE_URL: html.url });
      assert.equal(w.code, 4);
      assert.match(w.stderr, /not JSON; is the base URL a Parley server/);
    } finally {
      await html.close();
    }
    const bad = await cli(['me', '--api-key', ws.test, '--base-url', 'localhost:3000']);
    assert.equal(bad.code, 2);
  });

  it('a rate limit: exit 6 with when to retry', async () => {
    const starter = await server.workspace({ plan: 'starter' });
    await Promise.all(
      Array.from({ length: 60 }, () =>
        fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${starter.test}` } }),
      ),
    );
    const r = await cli(['me', '--api-key', starter.test], { PARLEY_MAX_RETRIES: '0' });
    assert.equal(r.code, 6);
    assert.match(r.stderr, /Try again in \d+ s/);
  });

  it('usage errors: exit 2', async () => {
    assert.equal((await cli(['send', '+919876543210', '--api-key', ws.test])).code, 2);
    assert.equal((await cli(['conversations', 'frob', '--api-key', ws.test])).code, 2);
    assert.equal((await cli(['me', '--frob', '--api-key', ws.test])).code, 2);
    assert.equal((await cli(['conversations', 'list', '--limit', '0', '--api-key', ws.test])).code, 2);
    const listen = await cli(['webhooks', 'listen', '--api-key', ws.test]);
    assert.equal(listen.code, 2);
    assert.match(listen.stderr, /--forward-to/);
  });

  it('knowledge push adds, then updates by file name; unknown agent is exit 1', async (t) => {
    if (!server.routes.has('/v1/agents/{id}/knowledge/{doc_id}'))
      return t.skip('knowledge routes not built yet');
    const res = await fetch(`${server.url}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Glow' }),
    });
    const agent = (await res.json()) as { id: string };
    const file = join(dir, 'faq.md');
    writeFileSync(file, '# Hours\nOpen Mon-Sat 10-7.\n');
    const first = await cli(['knowledge', 'push', agent.id, file, '--api-key', ws.test]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Added kb_\w+ "faq.md" on agent/);
    writeFileSync(file, '# Hours\nOpen every day 9-9.\n');
    const second = await cli(['knowledge', 'push', agent.id, file, '--api-key', ws.test, '--json']);
    assert.equal(second.code, 0, second.stderr);
    const out = JSON.parse(second.stdout);
    assert.equal(out.created, false);
    assert.equal(out.document.doc_type, 'markdown');
    assert.match(out.document.content, /9-9/);
    const missing = await cli([
      'knowledge',
      'push',
      'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      file,
      '--api-key',
      ws.test,
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not_found, HTTP 404/);
    const nofile = await cli(['knowledge', 'push', agent.id, join(dir, 'nope.md'), '--api-key', ws.test]);
    assert.equal(nofile.code, 2);
    assert.match(nofile.stderr, /cannot read .*ENOENT/);
  });

  it('webhooks listen forwards live events, signed with the printed local secret', async (t) => {
    if (!server.routes.has('/v1/events/stream')) return t.skip('event stream not built yet');
    const receiver = await startReceiver();
    const controller = new AbortController();
    const lines: string[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const running = run({
      argv: [
        'webhooks',
        'listen',
        '--forward-to',
        `${receiver.url}/hook`,
        '--events',
        'contact.created',
        '--json',
        '--api-key',
        ws.test,
      ],
      env: { PARLEY_BASE_URL: server.url, XDG_CONFIG_HOME: join(dir, 'empty') },
      io: {
        out: (l) => {
          lines.push(l);
          if (lines.length === 1) ready();
          if (lines.length === 2) controller.abort();
        },
        err: () => {},
      },
      signal: controller.signal,
    });
    const timer = setTimeout(() => controller.abort(), 8000);
    try {
      await isReady;
      const start = JSON.parse(lines[0]);
      assert.equal(start.ready, true);
      assert.match(start.secret, /^whsec_/);
      await fetch(`${server.url}/v1/contacts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
        body: JSON.stringify({ phone: '+919833333301', name: 'Listen' }),
      });
      assert.equal(await running, 0);
      assert.equal(receiver.received.length, 1);
      const delivery = receiver.received[0];
      const event = verifyWebhook(start.secret, delivery.headers, delivery.body);
      assert.equal(event.event, 'contact.created');
      assert.equal(event.data.phone, '+919833333301');
      assert.equal(delivery.headers['x-parley-event'], 'contact.created');
      assert.deepEqual(JSON.parse(lines[1]), { id: event.id, event: 'contact.created', status: 200 });
    } finally {
      clearTimeout(timer);
      await receiver.close();
    }
  });

  it('send and conversations list/show, when those routes exist', async (t) => {
    if (!server.routes.has('/v1/messages') || !server.routes.has('/v1/conversations/{id}/messages'))
      return t.skip('messages/conversations routes not built yet');
    // Test mode enforces WhatsApp's 24-hour window: the customer writes first (simulated).
    const closed = await cli(['send', '+919876543210', 'Hello from the CLI', '--api-key', ws.test]);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, /whatsapp_outside_24h_window|24 hours/);
    const inbound = await fetch(`${server.url}/v1/sandbox/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+919876543210', text: 'Hi' }),
    });
    assert.equal(inbound.status, 200);
    const sent = await cli(['send', '+919876543210', 'Hello from the CLI', '--json', '--api-key', ws.test]);
    assert.equal(sent.code, 0, sent.stderr);
    const msg = JSON.parse(sent.stdout);
    assert.equal(msg.status, 'queued');
    const list = await cli(['conversations', 'list', '--api-key', ws.test]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^ID +CHANNEL/);
    assert.ok(list.stdout.includes(msg.conversation_id));
    // Paged by cursor: the hint names the next page's --after, which reads the one after it.
    await fetch(`${server.url}/v1/sandbox/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+919876543211', text: 'Hi too' }),
    });
    const first = await cli(['conversations', 'list', '--limit', '1', '--api-key', ws.test]);
    assert.equal(first.code, 0, first.stderr);
    const after = /next page: --after (\S+)/.exec(first.stderr)?.[1];
    assert.ok(after && first.stdout.includes(after), first.stderr);
    const second = await cli([
      'conversations',
      'list',
      '--limit',
      '1',
      '--after',
      after,
      '--api-key',
      ws.test,
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(!second.stdout.includes(after), second.stdout);
    assert.match(second.stdout, /conv_/);
    const note = await fetch(`${server.url}/v1/conversations/${msg.conversation_id}/reply`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'note', text: 'VIP customer, be nice' }),
    });
    assert.equal(note.status, 201);
    const show = await cli(['conversations', 'show', msg.conversation_id, '--api-key', ws.test]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /Hello from the CLI/);
    // A private note is marked as one, with no delivery status (it was never sent).
    const noteLine = show.stdout.split('\n').find((l) => l.includes('VIP customer, be nice'));
    assert.ok(noteLine, show.stdout);
    assert.match(noteLine, /\(private note\) VIP customer, be nice$/);
    const missing = await cli([
      'conversations',
      'show',
      'conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
      '--api-key',
      ws.test,
    ]);
    assert.equal(missing.code, 1);
  });

  it('call talks to an agent over a web call in text mode and hangs up at the end of input', async () => {
    const agent = (await (
      await fetch(`${server.url}/v1/agents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Phone agent', greeting: 'Hello from the phone agent.' }),
      })
    ).json()) as { id: string };
    const r = await cli(
      ['call', agent.id, '--api-key', ws.test],
      {},
      // A turn with a short answer: the call speaks it at a person's pace, in real time.
      { stdin: 'Thank you\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'agent> Hello from the phone agent.');
    assert.ok(lines.length >= 2, r.stdout);
    assert.match(r.stderr, /Call ended: customer_ended_call/);
    const bad = await cli(
      ['call', 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D', '--api-key', ws.test],
      {},
      { stdin: '' },
    );
    assert.equal(bad.code, 1);
  });

  it('chat sends through the sandbox and prints the agent reply, when the sandbox exists', async (t) => {
    if (!server.routes.has('/v1/sandbox/inbound') || !server.routes.has('/v1/conversations/{id}/messages'))
      return t.skip('sandbox route not built yet');
    const create = async (body: Record<string, unknown>) =>
      (await (
        await fetch(`${server.url}/v1/agents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ws.test}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as { id: string };
    // Another agent (Glow, made earlier) answers the default sandbox channel: a chat with this
    // one reaches this one, at its own number.
    const agent = await create({
      name: 'Chatty',
      greeting: 'Hi!',
      phone_number: '+14155550142',
      business: { hours: { mon: [{ open: '10:00', close: '19:00' }] } },
    });
    const r = await cli(
      ['chat', agent.id, '--json', '--timeout', '10', '--api-key', ws.test],
      {},
      { stdin: 'What are your hours?\nThanks\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    const turns = r.stdout.split('\n').map((l) => JSON.parse(l));
    assert.equal(turns.length, 2);
    assert.match(turns[0].conversation_id, /^conv_/);
    assert.equal(turns[1].conversation_id, turns[0].conversation_id);
    const conversation = (await (
      await fetch(`${server.url}/v1/conversations/${turns[0].conversation_id}`, {
        headers: { authorization: `Bearer ${ws.test}` },
      })
    ).json()) as { agent_id: string };
    assert.equal(conversation.agent_id, agent.id, 'this agent answers, not the default one');
    assert.match(turns[0].replies[0].text, /hours|open/i);
    // Each turn prints only its own replies.
    assert.notEqual(turns[1].replies[0]?.id, turns[0].replies[0].id);
    // An agent without a number, while another holds the default channel, cannot be reached: said plainly.
    const bare = await create({ name: 'No number' });
    const refused = await cli(['chat', bare.id, '--api-key', ws.test], {}, { stdin: 'Hi\n' });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /phone_number/);
    const badFrom = await cli(
      ['chat', agent.id, '--from', '12', '--api-key', ws.test],
      {},
      { stdin: 'Hi\n' },
    );
    assert.equal(badFrom.code, 1);
    assert.match(badFrom.stderr, /from/);
  });
});

describe('the parley binary', () => {
  let server: TestServer;
  let dir: string;
  let ws: { test: string };
  before(async () => {
    server = await startServer();
    ws = await server.workspace();
    dir = mkdtempSync(join(tmpdir(), 'parley-bin-test-'));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function parley(
    args: string[],
    env: Record<string, string> = {},
    opts: { closeStdout?: boolean } = {},
  ): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--disable-warning=ExperimentalWarning',
          '--conditions=parley-source',
          join(root, 'node_modules/.bin/parley'),
          ...args,
        ],
        {
          env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), ...env },
        },
      );
      let stdout = '';
      let stderr = '';
      // A reader that has gone (`| head`): the pipe is closed before the command writes.
      if (opts.closeStdout) child.stdout.destroy();
      else child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  it('--help exits 0 and documents the exit codes', async () => {
    const r = await parley(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes:/);
  });

  it('init writes a 0600 config, then me --json reads it; no key is exit 3', async () => {
    const none = await parley(['me']);
    assert.equal(none.code, 3);
    assert.equal(none.stderr.trim().split('\n').length, 1);
    const init = await parley(['init', '--api-key', ws.test, '--base-url', server.url]);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(statSync(join(dir, 'config', 'parley', 'config.json')).mode & 0o777, 0o600);
    const me = await parley(['me', '--json']);
    assert.equal(me.code, 0, me.stderr);
    assert.equal(JSON.parse(me.stdout).api_key.mode, 'test');
  });

  it('an API refusal (send to a bogus number) is exit 1 with its message printed once', async () => {
    const r = await parley(['send', 'bogus', 'x', '--api-key', ws.test, '--base-url', server.url]);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^Error: .*\(validation_failed, HTTP 400\)/);
    assert.equal(lines[0].split('must be a valid phone number').length - 1, 1, lines[0]);
    assert.equal(r.stdout, '');
  });

  it('output into a closed pipe (`| head`) ends quietly with the exit code, no stack trace', async () => {
    const r = await parley(['--help'], {}, { closeStdout: true });
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
  });

  it('an unknown command is exit 2 with a one-line error', async () => {
    const r = await parley(['frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'Error: Unknown command "frobnicate"; see `parley --help`.');
  });

  it('a known command with an unknown subcommand names the command, not "unknown command"', async () => {
    for (const [argv, line] of [
      [['export', 'bogus'], 'Error: parley export: unknown subcommand bogus; see `parley --help`.'],
      [['reports'], 'Error: parley reports: unknown subcommand (none); see `parley --help`.'],
      [['canned', 'frob'], 'Error: parley canned: unknown subcommand frob; see `parley --help`.'],
    ] as const) {
      const r = await parley([...argv]);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.stderr.trim(), line);
    }
  });
});
