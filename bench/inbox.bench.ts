/**
 * Issue 17: the web inbox in a real browser (Debian's Chromium through playwright-core) against
 * the built server. Measures the first load (bytes transferred, time until usable), an event
 * reaching the screen, switching conversations and opening a 5,000-message thread.
 */
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { registerSearchText } from '../src/platform/db/search-text.ts';
import { CHROMIUM, chromiumMissing, launchChromium } from '../test/support/browser.ts';
import { raiseLimits, startServer } from './support.ts';

if (chromiumMissing) {
  console.log(`inbox benchmark skipped: ${chromiumMissing}`);
  process.exit(0);
}

/** A message id from a given time (ids are ULIDs: they sort by the time in their first 10 digits). */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function msgIdAt(ms: number, n: number): string {
  let time = '';
  for (let t = ms, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  let rest = '';
  for (let k = n, i = 0; i < 16; i++, k = Math.floor(k / 32)) rest = CROCKFORD[k % 32] + rest;
  return `msg_${time}${rest}`;
}

const THREAD = Number(process.env.BENCH_THREAD ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

const server = await startServer();
// A failed run must not leave the server behind.
process.on('exit', () => server.child.kill());
raiseLimits(server.dataDir);
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.testKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const inbound = (from: string, text: string) => api('POST', '/v1/sandbox/inbound', { from, text });

const password = 'benchmark password';
await api('POST', '/v1/users', {
  name: 'Bench Agent',
  email: 'bench@example.com',
  role: 'agent',
  password,
});

// Twenty ordinary conversations, and one with THREAD messages written straight into the database
// (through the API it would take minutes; the inbox only reads them).
const small: string[] = [];
for (let i = 0; i < 20; i++) {
  const r = await inbound(`+9198110${String(10000 + i)}`, `Hello from customer ${i}`);
  await inbound(`+9198110${String(10000 + i)}`, `A second message from customer ${i}`);
  small.push(r.conversation_id);
}
const big = (await inbound('+919899999999', 'The first message of a long thread')).conversation_id as string;
{
  const db = new DatabaseSync(join(server.dataDir, 'parley.db'));
  // The search index's triggers call it when messages are written (0241).
  registerSearchText(db);
  db.exec('PRAGMA busy_timeout = 5000');
  const first = db.prepare('select * from messages where conversation_id = ?').get(big) as Record<
    string,
    unknown
  >;
  const columns = Object.keys(first);
  const insert = db.prepare(
    `insert into messages (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
  );
  const start = Date.parse(first.created_at as string) - THREAD * 60_000;
  db.exec('begin');
  for (let i = 0; i < THREAD - 1; i++) {
    const at = new Date(start + i * 60_000).toISOString();
    const inboundMsg = i % 2 === 0;
    const row: Record<string, unknown> = {
      ...first,
      id: msgIdAt(start + i * 60_000, i),
      direction: inboundMsg ? 'inbound' : 'outbound',
      sender_type: inboundMsg ? 'customer' : 'ai',
      status: inboundMsg ? 'received' : 'read',
      text: `Message ${i + 1} of a long thread: ${'lorem ipsum '.repeat(1 + (i % 5))}`,
      provider_message_id: null,
      created_at: at,
      updated_at: at,
    };
    insert.run(...(columns.map((c) => row[c]) as never[]));
  }
  db.exec('commit');
  db.close();
}

console.log('seeded');
const chrome = await launchChromium();
const context = await chrome.browser.newContext({ viewport: { width: 1400, height: 900 } });
const page = await context.newPage();

// 1. First load: a browser with an empty cache opens /app (the sign-in page loads the inbox's code).
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
let transferred = 0;
const requests = new Map<string, string>();
cdp.on('Network.requestWillBeSent', (e) => requests.set(e.requestId, e.request.url));
cdp.on('Network.loadingFinished', (e) => {
  transferred += e.encodedDataLength;
});
await page.goto(`${server.url}/app`, { waitUntil: 'networkidle' });
await page.getByLabel('Email').waitFor();
const firstLoadBytes = transferred;
const firstLoadRequests = requests.size;
await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });

console.log('first load measured');
// Usable: from navigation start to the screen the app marks as ready (performance.mark in the app):
// the sign-in form with an empty cache, then, signed in with a warm cache, the conversation list.
const mark = (name: string) =>
  page.evaluate(`performance.getEntriesByName('${name}')[0]?.startTime ?? null`) as Promise<number | null>;
const coldUsable: number[] = [];
for (let i = 0; i < 5; i++) {
  const fresh = await chrome.browser.newContext();
  const p = await fresh.newPage();
  await p.goto(`${server.url}/app`, { waitUntil: 'commit' });
  await p.getByLabel('Email').waitFor();
  coldUsable.push(
    (await p.evaluate(`performance.getEntriesByName('parley:sign-in-ready')[0].startTime`)) as number,
  );
  await fresh.close();
}
const login = await (
  await fetch(`${server.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bench@example.com', password }),
  })
).json();
await context.addInitScript((s) => sessionStorage.setItem('parley.session', s), JSON.stringify(login));
const usable: number[] = [];
for (let i = 0; i < 5; i++) {
  await page.goto(`${server.url}/app`, { waitUntil: 'commit' });
  await page.locator('.conv-list .card').first().waitFor();
  usable.push((await mark('parley:list-ready')) ?? Number.NaN);
}
console.log('usable measured');
// 2. Event to screen: a customer writes (POST at t0); the page notes when the card shows it.
await page.goto(`${server.url}/app`);
await page.locator('.conn[data-state=live]').waitFor();
await page.evaluate(`
  window.seen = {};
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('.card .preview')) {
      const m = /probe (\\d+)/.exec(el.textContent);
      if (m && !window.seen[m[1]]) window.seen[m[1]] = Date.now();
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
`);
const eventMs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const t0 = Date.now();
  await inbound(`+9198110${String(10000 + (i % 20))}`, `probe ${i}`);
  // (A function, not a string: the inbox's CSP forbids eval, and so string predicates.)
  await page.waitForFunction((n) => (globalThis as any).seen?.[n], i);
  eventMs.push(((await page.evaluate(`window.seen[${i}]`)) as number) - t0);
}

console.log('event to screen measured');
// 3. Switching conversations: click a card until its thread's messages are on screen.
const switchMs: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const id = small[i % small.length];
  const ms = (await page.evaluate(`(async () => {
    const card = document.querySelector('.card[data-id="${id}"]');
    const t = performance.now();
    card.click();
    await new Promise((resolve) => {
      const check = () => {
        const el = document.querySelector('.thread .bubble.in');
        const thread = document.querySelector('.thread');
        if (el && thread && location.pathname.endsWith('${id}') && thread.textContent.includes('customer ${i % small.length}')) resolve();
        else requestAnimationFrame(check);
      };
      check();
    });
    return performance.now() - t;
  })()`)) as number;
  switchMs.push(ms);
}

console.log('switching measured');
// 4. The 5,000-message thread: from the click to its newest messages on screen.
const bigMs: number[] = [];
let rendered = 0;
for (let i = 0; i < 5; i++) {
  await page.goto(`${server.url}/app/c/${small[0]}`);
  await page.locator('.thread .bubble').first().waitFor();
  await page.getByLabel('Search conversations').fill('+919899999999');
  await page.locator(`.card[data-id="${big}"]`).waitFor();
  const ms = (await page.evaluate(`(async () => {
    const t = performance.now();
    document.querySelector('.card[data-id="${big}"]').click();
    await new Promise((resolve) => {
      const check = () => {
        const bubbles = document.querySelectorAll('.thread .bubble');
        if (bubbles.length && bubbles[bubbles.length - 1].textContent.includes('The first message of a long thread')) resolve();
        else requestAnimationFrame(check);
      };
      check();
    });
    return performance.now() - t;
  })()`)) as number;
  bigMs.push(ms);
  rendered = await page.locator('.thread .bubble').count();
}
console.log('big thread measured');
// Scrolling up loads the next 50.
await page.locator('.messages').evaluate((el) => {
  el.scrollTop = 0;
});
await page.waitForFunction(
  (n) => (globalThis as any).document.querySelectorAll('.thread .bubble').length > n,
  rendered,
);
const afterScroll = await page.locator('.thread .bubble').count();

await chrome.close();
await server.stop();

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => `${x.toFixed(0)} ms`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
console.log(`Chromium: ${CHROMIUM}; server: the built artifact (npm start)`);
console.log(
  `first load (empty cache, /app): ${(firstLoadBytes / 1024).toFixed(1)} KB transferred in ${firstLoadRequests} requests — goal < 100 KB: ${verdict(firstLoadBytes < 100 * 1024)}`,
);
console.log(
  `usable, empty cache (navigation → sign-in form on screen, 5 fresh browsers): p50 ${ms(q(coldUsable, 50))}, max ${ms(Math.max(...coldUsable))} — goal < 1 s: ${verdict(Math.max(...coldUsable) < 1000)}`,
);
console.log(
  `usable, signed in (navigation → conversation list on screen, 5 loads): p50 ${ms(q(usable, 50))}, max ${ms(Math.max(...usable))} — goal < 1 s: ${verdict(Math.max(...usable) < 1000)}`,
);
console.log(
  `event to screen (${ROUNDS} customer messages, POST sent → card updated): p50 ${ms(q(eventMs, 50))}, p95 ${ms(q(eventMs, 95))}, max ${ms(Math.max(...eventMs))} — goal < 500 ms: ${verdict(Math.max(...eventMs) < 500)}`,
);
console.log(
  `switching conversations (${ROUNDS} clicks → thread shown): p50 ${ms(q(switchMs, 50))}, p95 ${ms(q(switchMs, 95))}, max ${ms(Math.max(...switchMs))} — goal < 150 ms: ${verdict(q(switchMs, 95) < 150)}`,
);
console.log(
  `${THREAD}-message thread (click → newest messages shown): p50 ${ms(q(bigMs, 50))}, max ${ms(Math.max(...bigMs))}; ${rendered} messages rendered, ${afterScroll} after one scroll up — goal < 1 s: ${verdict(Math.max(...bigMs) < 1000)}`,
);
