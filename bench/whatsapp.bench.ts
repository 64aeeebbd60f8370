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
import { FakeMetaGraph, messagesPayload, textMessage } from '../test/fakes/meta-graph.ts';
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
): Promise<{ child: ChildProcess; url: string; liveKey: string; workspaceId: string }> {
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
  return { child, ...info };
}

async function main() {
  const fake = new FakeMetaGraph('v21.0');
  await fake.start();
  const number = fake.addNumber({ displayPhoneNumber: '14155550111' });
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-bench-wa-'));
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const server = await startChild({
    PORT: port,
    PARLEY_DATA_DIR: dataDir,
    PARLEY_META_GRAPH_URL: fake.url,
    PARLEY_JOB_POLL_MS: '50',
  });
  raiseLimits(dataDir, server.workspaceId);
  const auth = { authorization: `Bearer ${server.liveKey}`, 'content-type': 'application/json' };

  const created = await fetch(`${server.url}/v1/channels`, {
    method: 'POST',
    headers: auth,
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
  const channel = (await created.json()) as { id: string };
  if (!created.ok) throw new Error(`channel creation failed: ${JSON.stringify(channel)}`);
  const hookPath = `/hooks/whatsapp/${channel.id}`;

  // 1. Ingest: every request a new signed payload from one of 5,000 customers.
  let seq = 0;
  const customer = (i: number) => `+1415${String(2000000 + (i % 5000)).padStart(7, '0')}`;
  const ingest = await autocannon({
    url: `${server.url}${hookPath}`,
    method: 'POST',
    connections: 20,
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
                `wamid.bench${i}${randomBytes(4).toString('hex')}`,
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
  const db = new DatabaseSync(join(dataDir, 'parley.db'));
  db.exec('PRAGMA busy_timeout = 5000');
  const stored = (db.prepare('select count(*) as n from provider_inbound').get() as { n: number }).n;

  // Let the inbound jobs open the customers' 24-hour windows before sending to them.
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const pending = (
      db.prepare('select count(*) as n from provider_inbound where processed_at is null').get() as {
        n: number;
      }
    ).n;
    if (pending === 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const ingestedMessages = (
    db.prepare("select count(*) as n from messages where direction = 'inbound'").get() as { n: number }
  ).n;

  // 2. Paced send: 5,000 text messages to 5,000 customers at a configured 80/s.
  fake.statusWebhooks = false;
  const total = 5000;
  let next = 0;
  let refused = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < total) {
        const i = next++;
        const res = await fetch(`${server.url}/v1/messages`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ to: customer(i), type: 'text', text: `Your order ${i} has shipped.` }),
        });
        if (res.status !== 201) refused++;
        await res.arrayBuffer();
      }
    }),
  );
  const enqueuedIn = Date.now() - t0;
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
  for (const at of sends)
    perSecond.set(
      Math.floor((at - sends[0]) / 1000),
      (perSecond.get(Math.floor((at - sends[0]) / 1000)) ?? 0) + 1,
    );
  const fullSeconds = [...perSecond.entries()].filter(([s]) => s < Math.floor(span)).map(([, n]) => n);

  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.once('exit', r));
  await fake.stop();
  db.close();

  const ingestRps = Math.round(ingest.requests.average);
  console.log('whatsapp: signed inbound webhooks and paced sends (SQLite, server in its own process)');
  console.log(
    `  ingest: ${ingestRps} webhooks/s (goal >= 2,000), p50 ${ingest.latency.p50} ms, p99 ${ingest.latency.p99} ms, non-2xx ${ingest.non2xx}, errors ${ingest.errors}`,
  );
  console.log(
    `          ${ingest.requests.total} answered, ${stored} payloads stored, ${ingestedMessages} messages ingested by the jobs`,
  );
  console.log(
    `  send:   ${sends.length}/${total} sent (${refused} refused by the API; all enqueued in ${(enqueuedIn / 1000).toFixed(1)} s)`,
  );
  console.log(
    `          ${rate.toFixed(2)} messages/s over ${span.toFixed(1)} s (configured 80, goal within 2%: ${Math.abs(rate - 80) / 80 <= 0.02 ? 'met' : 'NOT met'}); per-second min ${Math.min(...fullSeconds)}, max ${Math.max(...fullSeconds)}`,
  );
}
