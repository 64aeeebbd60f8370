/**
 * Issue 49's scale goal: BENCH_VISITORS (10,000) website-widget visitors connected to one Parley
 * process (the built server, as `npm start` runs it, on SQLite) over Server-Sent Events, idle,
 * while BENCH_RATE (100) visitor messages a second flow for BENCH_SECONDS (30), each from one of
 * the connected visitors and fanned out to that visitor's stream. Prints:
 *  - fan-out latency: from the moment a message's POST was due (open loop: a late send counts as
 *    late) to its arrival on its visitor's stream, p50/p90/p99/max (goal: p99 < 50 ms); it holds
 *    the whole way (the message stored, its conversation, the event kept and published);
 *  - memory per idle visitor connection: the server's RSS with every stream open and idle, less
 *    its RSS with the same visitors' sessions made and no stream open, divided by the visitors;
 *  - that every stream was still open at the end and every message arrived exactly once.
 * Each visitor has an address of its own (X-Forwarded-For, PARLEY_TRUST_PROXY on), as visitors
 * behind a proxy do: the widget's per-IP limit is not what is measured.
 * Knobs: BENCH_VISITORS, BENCH_RATE, BENCH_SECONDS, BENCH_TIMEOUT_SECONDS (600: the run fails past it).
 * Run: `npm run bench -- widget`, or small: `BENCH_VISITORS=200 BENCH_SECONDS=5 node bench/widget.bench.ts`.
 */
import http from 'node:http';
import { ms, pct, raiseLimits, startServer } from './support.ts';

const VISITORS = Number(process.env.BENCH_VISITORS ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const TIMEOUT_SECONDS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600);
const ORIGIN = 'https://www.bench-salon.example';

const timeout = setTimeout(() => {
  console.error(`widget bench: over BENCH_TIMEOUT_SECONDS (${TIMEOUT_SECONDS} s); stopped`);
  process.exit(2);
}, TIMEOUT_SECONDS * 1000);
timeout.unref();

const server = await startServer({
  PARLEY_TRUST_PROXY: '1',
  PARLEY_MAX_CONNECTIONS_PER_CLIENT: String(VISITORS * 2 + 1000),
});
process.on('exit', () => server.child.kill());
raiseLimits(server.dataDir);
const { hostname, port } = new URL(server.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request's status and JSON body (keep-alive, as the widget's fetches are). */
function call(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: hostname,
        port,
        method,
        path,
        agent,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const channel = await call(
  'POST',
  '/v1/channels',
  {
    type: 'web',
    provider: 'widget',
    address: 'www.bench-salon.example',
    settings: { allowed_domains: ['www.bench-salon.example'] },
  },
  { authorization: `Bearer ${server.testKey}` },
);
if (channel.status !== 201) throw new Error(`channel: ${channel.status} ${JSON.stringify(channel.body)}`);
const base = `/widget/${channel.body.id}`;

// The visitors' sessions, 20 at a time.
const tokens: string[] = new Array(VISITORS);
const madeAt = performance.now();
for (let next = 0; next < VISITORS; ) {
  const batch: Promise<void>[] = [];
  for (let k = 0; k < 20 && next < VISITORS; k++, next++) {
    const i = next;
    batch.push(
      call('POST', `${base}/session`, {}, { origin: ORIGIN, 'x-forwarded-for': ipOf(i) }).then((r) => {
        if (r.status !== 201) throw new Error(`session ${i}: ${r.status} ${JSON.stringify(r.body)}`);
        tokens[i] = r.body.token;
      }),
    );
  }
  await Promise.all(batch);
}
console.log(`${VISITORS} visitor sessions made in ${((performance.now() - madeAt) / 1000).toFixed(1)} s`);

const settle = () => new Promise((r) => setTimeout(r, 3000));
await settle();
const rssBefore = server.rssMb();

/** Sent-at (performance.now) of each message by its number; arrivals' latencies. */
const dueAt = new Map<number, number>();
const latencies: number[] = [];
const arrived = new Set<number>();
let duplicates = 0;
let openNow = 0;
let closedEarly = 0;
const requests: http.ClientRequest[] = [];

function onEvents(block: string) {
  const m = /"text":"bench (\d+)"/.exec(block);
  if (!m || !block.includes('"from":"visitor"')) return;
  const n = Number(m[1]);
  const due = dueAt.get(n);
  if (due === undefined) return;
  if (arrived.has(n)) duplicates++;
  else {
    arrived.add(n);
    latencies.push(performance.now() - due);
  }
}

/** Opens visitor i's stream; resolves once the server said `connected`. */
function openStream(i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: hostname,
        port,
        path: `${base}/stream`,
        agent: false,
        headers: { origin: ORIGIN, authorization: `Bearer ${tokens[i]}`, 'x-forwarded-for': ipOf(i) },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream ${i}: ${res.statusCode}`));
        res.setEncoding('utf8');
        let buffer = '';
        let connected = false;
        openNow++;
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            onEvents(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
            cut = buffer.indexOf('\n\n');
          }
          if (!connected) {
            connected = true;
            resolve();
          }
        });
        res.on('close', () => {
          openNow--;
          if (!stopping) closedEarly++;
        });
      },
    );
    req.on('error', (err) => {
      if (!stopping) reject(err);
    });
    requests.push(req);
  });
}

let stopping = false;
const connectAt = performance.now();
for (let next = 0; next < VISITORS; ) {
  const batch: Promise<void>[] = [];
  for (let k = 0; k < 100 && next < VISITORS; k++, next++) batch.push(openStream(next));
  await Promise.all(batch);
}
console.log(
  `${openNow} streams open in ${((performance.now() - connectAt) / 1000).toFixed(1)} s (server RSS ${rssBefore.toFixed(0)} MB before)`,
);
await settle();
const rssIdle = server.rssMb();
const perConn = ((rssIdle - rssBefore) * 1024) / VISITORS;
console.log(
  `idle: server RSS ${rssIdle.toFixed(0)} MB, ${perConn.toFixed(1)} KB per idle visitor connection`,
);

// The flow: message n is due at start + n / RATE (open loop), from visitor n mod VISITORS.
const total = Math.round(RATE * SECONDS);
let non2xx = 0;
let errors = 0;
const postLatencies: number[] = [];
const flowAt = performance.now();
const posts: Promise<void>[] = [];
for (let n = 0; n < total; n++) {
  const due = flowAt + (n * 1000) / RATE;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const i = n % VISITORS;
  dueAt.set(n, due);
  posts.push(
    call(
      'POST',
      `${base}/messages`,
      { text: `bench ${n}` },
      {
        origin: ORIGIN,
        authorization: `Bearer ${tokens[i]}`,
        'x-forwarded-for': ipOf(i),
        'idempotency-key': `bench-${n}-key`,
      },
    ).then(
      (r) => {
        postLatencies.push(performance.now() - due);
        if (r.status !== 201) {
          non2xx++;
          if (non2xx <= 3) console.error(`message ${n}: ${r.status} ${JSON.stringify(r.body)}`);
        }
      },
      () => {
        errors++;
      },
    ),
  );
}
await Promise.all(posts);
const waitUntil = performance.now() + 10_000;
while (arrived.size < total - non2xx - errors && performance.now() < waitUntil)
  await new Promise((r) => setTimeout(r, 50));
const rssEnd = server.rssMb();
const sorted = latencies.sort((a, b) => a - b);
const postSorted = postLatencies.sort((a, b) => a - b);
console.log(
  `flow: ${total} messages at ${RATE}/s over ${SECONDS} s, ${non2xx} non-2xx, ${errors} errors; arrived ${arrived.size}, duplicates ${duplicates}, streams closed early ${closedEarly}, open at the end ${openNow}`,
);
console.log(
  `fan-out latency (due -> on the visitor's stream): p50 ${ms(pct(sorted, 50))}, p90 ${ms(pct(sorted, 90))}, p99 ${ms(pct(sorted, 99))}, max ${ms(sorted.at(-1) ?? Number.NaN)} (goal p99 < 50 ms)`,
);
console.log(
  `visitor's POST answered: p50 ${ms(pct(postSorted, 50))}, p99 ${ms(pct(postSorted, 99))}; server RSS at the end ${rssEnd.toFixed(0)} MB`,
);
stopping = true;
for (const r of requests) r.destroy();
agent.destroy();
await server.stop();
const ok = arrived.size === total && duplicates === 0 && closedEarly === 0;
if (!ok) console.error('widget bench: messages lost or duplicated, or streams closed early');
process.exit(ok ? 0 : 1);
