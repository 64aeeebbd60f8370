/**
 * Issue 6's goals, on SQLite:
 *  1. ingest >= 2,000 signed inbound WhatsApp webhooks/s (verify the signature, store the payload,
 *     enqueue its processing: what a webhook request does before its 200), each one a new wamid;
 *  2. hold a configured 80 messages/s per number within 2% over a 60-second send of 5,000
 *     messages to the fake Graph API (the send job honouring the adapter's pacing).
 * The server runs in a child process (this file re-run with `--server`), so the load generator
 * and the fake Graph API do not share its event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import autocannon from 'autocannon';
import { signMetaPayload } from '../src/modules/channels/whatsapp/meta-protocol.ts';
import { FakeMetaGraph, type FakeNumber, messagesPayload, textMessage } from '../test/fakes/meta-graph.ts';
import { raiseLimits } from './support.ts';

if (process.argv.includes('--server')) {
  const { loadConfig } = await import('../src/platform/config.ts');
  const { startParley } = await import('../src/server.ts');
  const { providerTestModules } = await import('../test/support/provider-modules.ts');
  const parley = await startParley(loadConfig(process.env), { modules: providerTestModules() });
  process.stdout.write(`${JSON.stringify({ url: parley.url, ...parley.firstRun })}\n`);
  process.on('SIGTERM', () => void parley.close().then(() => process.exit(0)));
} else {
  await main();
}

async function startChild(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; liveKey: string; workspaceId: string; dataDir: string }> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', new URL(import.meta.url).pathname, '--server'],
    {
      env: { ...process.env, HOST: '127.0.0.1', PARLEY_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const info = await new Promise<{ url: string; liveKey: string; workspaceId: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return { child, dataDir: env.PARLEY_DATA_DIR, ...info };
}

async function createChannel(server: { url: string; liveKey: string }, number: FakeNumber): Promise<string> {
  const res = await fetch(`${server.url}/v1/channels`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.liveKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'whatsapp',
      provider: 'meta',
      address: '+14155550111',
      settings: { messages_per_second: 80 },
      credentials: {
        phone_number_id: number.phoneNumberId,
        business_account_id: number.businessAccountId,
        access_token: number.accessToken,
        app_secret: number.appSecret,
        verify_token: 'bench',
      },
    }),
  });
  const body = (await res.json()) as { id: string };
  if (!res.ok) throw new Error(`channel creation failed: ${JSON.stringify(body)}`);
  return body.id;
}

async function stopChild(child: ChildProcess) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

async function main() {
  const fake = new FakeMetaGraph('v21.0');
  await fake.start();
  const number = fake.addNumber({ displayPhoneNumber: '14155550111' });
  const customer = (i: number) => `+1415${String(2000000 + (i % 5000)).padStart(7, '0')}`;

  // 1. Ingest, on an `api` process (the request path: verify, store, enqueue; workers drain later).
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-wa-'));
  const api = await startChild({
    PORT: String(20000 + Math.floor(Math.random() * 20000)),
    PARLEY_DATA_DIR: dataDir,
    PARLEY_ROLE: 'api',
  });
  const channelId = await createChannel(api, number);
  let seq = 0;
  const ingest = await autocannon({
    url: `${api.url}/hooks/whatsapp/${channelId}`,
    method: 'POST',
    connections: 32,
    duration: 10,
    requests: [
      {
        setupRequest: (req: any) => {
          const i = seq++;
          const raw = JSON.stringify(
            messagesPayload(number, [
              textMessage(
                customer(i),
                `bench message ${i}`,
                `wamid.bench${i}x${randomBytes(4).toString('hex')}`,
              ),
            ]),
          );
          return {
            ...req,
            body: raw,
            headers: {
              'content-type': 'application/json',
              'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
            },
          };
        },
      },
    ],
  });
  await stopChild(api.child);
  const db = new DatabaseSync(join(dataDir, 'parley.db'));
  const stored = (db.prepare('select count(*) as n from provider_inbound').get() as { n: number }).n;
  const jobs = (
    db.prepare("select count(*) as n from jobs where queue = 'providers.process_inbound'").get() as
      | { n: number }
      | undefined
  )?.n;
  db.close();

  // 2. Paced send: an approved template to 5,000 customers at a configured 80/s. The 5,000
  // messages are queued first by an `api` process (so the API's own speed is not what is
  // measured), then one `all` process works the backlog through the send job and the pacing.
  const sendDir = mkdtempSync(join(tmpdir(), 'parley-bench-wa-'));
  const sendEnv = { PARLEY_DATA_DIR: sendDir, PARLEY_META_GRAPH_URL: fake.url, PARLEY_JOB_POLL_MS: '50' };
  const port = () => String(20000 + Math.floor(Math.random() * 20000));
  let server = await startChild({ ...sendEnv, PORT: port() });
  raiseLimits(server.dataDir);
  const sendChannel = await createChannel(server, number);
  number.webhookUrl = `${server.url}/hooks/whatsapp/${sendChannel}`;
  fake.statusWebhooks = false;
  const auth = { authorization: `Bearer ${server.liveKey}`, 'content-type': 'application/json' };
  const tpl = await fetch(`${server.url}/v1/templates`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({
      name: 'order_shipped',
      language: 'en',
      category: 'utility',
      body: 'Your order {{1}} has shipped.',
    }),
  });
  if (!tpl.ok) throw new Error(`template creation failed: ${await tpl.text()}`);
  while (!fake.templates.some((t) => t.body.name === 'order_shipped'))
    await new Promise((r) => setTimeout(r, 100));
  await fake.reviewTemplate(number, 'order_shipped', 'en', 'APPROVED');
  await new Promise((r) => setTimeout(r, 500));
  await stopChild(server.child);

  const queuer = await startChild({ ...sendEnv, PORT: port(), PARLEY_ROLE: 'api' });
  const total = 5000;
  let next = 0;
  let refused = 0;
  let firstRefusal = '';
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < total) {
        const i = next++;
        const res = await fetch(`${queuer.url}/v1/messages`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({
            to: customer(i),
            type: 'template',
            template: { name: 'order_shipped', language: 'en', variables: [`A-${i}`] },
          }),
        });
        if (res.status !== 201) {
          refused++;
          firstRefusal ||= await res.text();
        } else await res.arrayBuffer();
      }
    }),
  );
  const enqueuedIn = Date.now() - t0;
  await stopChild(queuer.child);

  fake.requests.length = 0;
  server = await startChild({ ...sendEnv, PORT: port() });
  const sendDeadline = Date.now() + 180_000;
  while (fake.sends(number.phoneNumberId).length < total - refused && Date.now() < sendDeadline)
    await new Promise((r) => setTimeout(r, 500));
  const sends = fake
    .sends(number.phoneNumberId)
    .map((r) => r.at)
    .sort((a, b) => a - b);
  const span = (sends[sends.length - 1] - sends[0]) / 1000;
  const rate = (sends.length - 1) / span;
  const perSecond = new Map<number, number>();
  for (const at of sends) {
    const sec = Math.floor((at - sends[0]) / 1000);
    perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
  }
  const fullSeconds = [...perSecond.entries()].filter(([sec]) => sec < Math.floor(span)).map(([, n]) => n);
  await stopChild(server.child);
  await fake.stop();

  console.log('whatsapp: signed inbound webhooks and paced sends (SQLite, server in its own process)');
  console.log(
    `  ingest: ${Math.round(ingest.requests.average)} webhooks/s (goal >= 2,000), p50 ${ingest.latency.p50} ms, p99 ${ingest.latency.p99} ms, non-2xx ${ingest.non2xx}, errors ${ingest.errors}`,
  );
  console.log(
    `          ${ingest.requests.total} answered 200, ${stored} payloads stored, ${jobs ?? '?'} processing jobs enqueued`,
  );
  console.log(
    `  send:   ${sends.length}/${total} sent (${refused} refused by the API${firstRefusal ? `: ${firstRefusal.slice(0, 200)}` : ''}; all enqueued in ${(enqueuedIn / 1000).toFixed(1)} s)`,
  );
  console.log(
    `          ${rate.toFixed(2)} messages/s over ${span.toFixed(1)} s (configured 80, goal within 2%: ${Math.abs(rate - 80) / 80 <= 0.02 ? 'met' : 'NOT met'}); per-second min ${Math.min(...fullSeconds)}, max ${Math.max(...fullSeconds)}`,
  );
}
