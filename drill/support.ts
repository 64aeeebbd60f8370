/**
 * What the fault drill needs besides the test support: a TCP proxy the drill can cut and
 * restore (a database or Redis going away without stopping the shared server), a steady send
 * load that records what was acknowledged, and a Parley server wired to a fake WhatsApp Cloud API.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEWEST_GRAPH_VERSION } from '../src/modules/channels/whatsapp/graph-versions.ts';
import { signMetaPayload } from '../src/modules/channels/whatsapp/meta-protocol.ts';
import { FakeMetaGraph, type FakeNumber, messagesPayload, textMessage } from '../test/fakes/meta-graph.ts';
import { createPgDatabase } from '../test/support/harness.ts';
import { startReceiver } from '../test/support/webhook-receiver.ts';

/** Customers the load writes to in turn: WhatsApp paces one recipient to one message per 6 s. */
export const CUSTOMERS = Array.from(
  { length: 300 },
  (_, i) => `+91987650${String(1000 + i).padStart(4, '0')}`,
);

/** Forwards TCP to `target`; `cut()` drops every connection and refuses new ones until `restore()`. */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #cut = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  async start() {
    this.#server = createServer((client) => {
      if (this.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(this.#target.port, this.#target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  cut() {
    this.#cut = true;
    for (const s of this.#sockets) s.destroy();
  }

  restore() {
    this.#cut = false;
  }

  async stop() {
    this.cut();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }
}

export interface SendOutcome {
  n: number;
  text: string;
  /** The message id when Parley acknowledged (201); else the status or error. */
  id?: string;
  status: number | string;
}

/** The loads still running: a scenario that fails half-way leaves its own to `stopLoads`. */
const running = new Set<{ stop(): Promise<SendOutcome[]> }>();

/** Stops every load still running (a failed scenario's), so none outlives its test. */
export async function stopLoads(): Promise<void> {
  await Promise.all([...running].map((load) => load.stop()));
}

/** Sends `text` messages at `perSecond` until `stop()`, recording every outcome. */
export function steadyLoad(base: () => string, key: string, perSecond: number, label: string) {
  const outcomes: SendOutcome[] = [];
  const inflight = new Set<Promise<void>>();
  let n = 0;
  const tick = () => {
    const i = n++;
    const text = `${label} ${i}`;
    const p = fetch(`${base()}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: CUSTOMERS[i % CUSTOMERS.length], type: 'text', text }),
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (res) => {
        const body = (await res.json().catch(() => ({}))) as { id?: string };
        outcomes.push({ n: i, text, status: res.status, ...(res.status === 201 ? { id: body.id } : {}) });
      })
      .catch((err: Error) => {
        outcomes.push({ n: i, text, status: err.name === 'TimeoutError' ? 'timeout' : 'refused' });
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const timer = setInterval(tick, Math.round(1000 / perSecond));
  const load = {
    outcomes,
    async stop() {
      clearInterval(timer);
      running.delete(load);
      await Promise.all([...inflight]);
      return outcomes;
    },
  };
  running.add(load);
  return load;
}

/** A fake WhatsApp Cloud API number and a webhook receiver for one drill scenario. */
export async function providerWorld() {
  // The Graph version the server calls by default (the drill's servers set none).
  const meta = new FakeMetaGraph(NEWEST_GRAPH_VERSION);
  // Status webhooks back to Parley would race the kills; the drill checks sends and events only.
  meta.statusWebhooks = false;
  await meta.start();
  const number = meta.addNumber({ displayPhoneNumber: '14155550142' });
  const receiver = await startReceiver();
  return { meta, number, receiver };
}

export const ADMIN_TOKEN = `drill-admin-${randomBytes(12).toString('hex')}`;

async function call(base: string, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
}

/**
 * A workspace with a live WhatsApp channel on the fake Cloud API, a webhook endpoint for
 * `message.sent` and `message.failed`, and the customer's 24-hour window opened by a signed inbound message.
 */
export async function liveWorkspace(base: string, number: FakeNumber, receiverUrl: string) {
  const ws = await call(base, 'POST', '/v1/admin/workspaces', ADMIN_TOKEN, { name: 'Drill' });
  assert.equal(ws.status, 201, ws.text);
  const live = (ws.body.api_keys as Array<{ mode: string; key: string }>).find((k) => k.mode === 'live')!.key;
  const ch = await call(base, 'POST', '/v1/channels', live, {
    type: 'whatsapp',
    provider: 'meta',
    address: '+14155550142',
    credentials: {
      phone_number_id: number.phoneNumberId,
      business_account_id: number.businessAccountId,
      access_token: number.accessToken,
      app_secret: number.appSecret,
      verify_token: 'drill',
    },
  });
  assert.equal(ch.status, 201, ch.text);
  const hook = await call(base, 'POST', '/v1/webhooks', live, {
    url: `${receiverUrl}/ok/drill`,
    events: ['message.sent', 'message.failed'],
  });
  assert.equal(hook.status, 201, hook.text);
  // One signed webhook with a message from every customer opens all their windows.
  const raw = JSON.stringify(
    messagesPayload(
      number,
      CUSTOMERS.map((c) => textMessage(c, 'hi, I am here')),
    ),
  );
  const inbound = await fetch(`${base}/hooks/whatsapp/${ch.body.id}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': signMetaPayload(raw, number.appSecret),
    },
    body: raw,
  });
  assert.equal(inbound.status, 200);
  // The windows are open once the inbound messages are stored.
  for (let i = 0; i < 400; i++) {
    const convs = await call(base, 'GET', '/v1/conversations?channel=whatsapp&per_page=1', live);
    if (convs.body?.meta?.total === CUSTOMERS.length) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { live, channelId: ch.body.id as string };
}

type Received = Array<{ path: string; headers: Record<string, unknown>; body: string }>;

/** The drill endpoint's events: message id, event type, event id, the message's error code. */
function drillEvents(received: Received) {
  return received
    .filter((r) => r.path.startsWith('/ok/drill'))
    .map((r) => {
      const body = JSON.parse(r.body) as {
        id: string;
        event: string;
        data: { id: string; error: { code: string } | null };
      };
      assert.ok(['message.sent', 'message.failed'].includes(body.event), `unexpected event ${body.event}`);
      return { r, body, messageId: body.data.id, type: body.event, code: body.data.error?.code ?? null };
    });
}

/**
 * Waits until every acknowledged message's outcome (`message.sent`, or `message.failed`) has
 * reached the webhook receiver (nothing accepted is lost, and its event is delivered); returns
 * the ids still without one.
 */
export async function allSettled(received: Received, ids: string[], timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const missing = new Set(ids);
  let read = 0;
  while (missing.size && Date.now() < deadline) {
    const upTo = received.length;
    for (const e of drillEvents(received.slice(read, upTo))) missing.delete(e.messageId);
    read = upTo;
    if (missing.size) await new Promise((r) => setTimeout(r, 200));
  }
  return [...missing];
}

/** How many times the fake provider received each text. */
export function sendCounts(meta: FakeMetaGraph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of meta.sends()) {
    const text = r.body?.text?.body as string | undefined;
    if (text) counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return counts;
}

/**
 * Exactly once: every acknowledged message was either reported `sent` and reached the provider
 * once, or reported failed with `send_outcome_unknown` (a process died after handing it to the
 * provider and before recording the answer: it reached the provider once or not at all, and was
 * never sent again). No message reached the provider twice, none failed for another reason.
 */
export function assertSentOnce(meta: FakeMetaGraph, received: Received, outcomes: SendOutcome[]) {
  const counts = sendCounts(meta);
  const acked = outcomes.filter((o) => o.id);
  const events = drillEvents(received);
  const sentIds = new Set(events.filter((e) => e.type === 'message.sent').map((e) => e.messageId));
  const failed = new Map(
    events.filter((e) => e.type === 'message.failed').map((e) => [e.messageId, e.code] as const),
  );
  const twice = [...counts].filter(([, c]) => c > 1).map(([t]) => t);
  assert.deepEqual(twice, [], 'messages sent more than once');
  const otherFailures = [...failed].filter(([, code]) => code !== 'send_outcome_unknown');
  assert.deepEqual(otherFailures, [], 'messages failed for another reason than an unknown outcome');
  const both = acked.filter((o) => sentIds.has(o.id!) && failed.has(o.id!)).map((o) => o.text);
  assert.deepEqual(both, [], 'messages reported both sent and failed');
  const unknown = acked.filter((o) => failed.has(o.id!));
  const missing = acked
    .filter((o) => !failed.has(o.id!) && (counts.get(o.text) ?? 0) === 0)
    .map((o) => o.text);
  assert.deepEqual(missing, [], 'acknowledged messages reported sent but never sent');
  return {
    acknowledged: acked.length,
    sent: acked.length - unknown.length,
    /** Failed `send_outcome_unknown`, and of those how many the provider had in fact received. */
    unknown: unknown.length,
    unknownReceived: unknown.filter((o) => (counts.get(o.text) ?? 0) > 0).length,
  };
}

/** Each acknowledged message's outcome event arrived at least once, always with one webhook-id. */
export function assertEventsDelivered(received: Received, acknowledgedIds: string[]) {
  const byMessage = new Map<string, Set<string>>();
  for (const { r, body, messageId } of drillEvents(received)) {
    assert.equal(r.headers['webhook-id'], body.id, 'webhook-id is the event id');
    const ids = byMessage.get(messageId) ?? new Set();
    ids.add(body.id);
    byMessage.set(messageId, ids);
  }
  const missing = acknowledgedIds.filter((id) => !byMessage.has(id));
  assert.deepEqual(missing, [], 'message.sent or message.failed never delivered');
  for (const [msg, ids] of byMessage) assert.equal(ids.size, 1, `one event id for ${msg}`);
  return byMessage.size;
}

/** A drill's storage: its name and the server environment that selects it. */
export interface DrillStorage {
  name: 'sqlite' | 'postgres';
  env: Record<string, string>;
}

/** Runs `drill` on a fresh SQLite data folder, or a fresh PostgreSQL database, and removes it after. */
export async function onStorage(name: DrillStorage['name'], drill: (s: DrillStorage) => Promise<void>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-drill-'));
  const db = name === 'postgres' ? await createPgDatabase() : undefined;
  try {
    await drill({
      name,
      env: db ? { DATABASE_URL: db.url, PARLEY_DATA_DIR: dataDir } : { PARLEY_DATA_DIR: dataDir },
    });
  } finally {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Polls `check` every `everyMs` until it is true or `timeoutMs` has passed (a throw counts as false). */
export async function until(check: () => Promise<boolean>, timeoutMs: number, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/**
 * fetch, tried again once when the connection it reused was the killed server's (undici may hand
 * out a kept-alive socket whose end it has not read yet: "other side closed").
 */
export async function fetchAgain(url: string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

/** The API as a drill calls it with a key: JSON in and out, a non-2xx fails the drill with its answer. */
export function apiClient(base: string, key: string) {
  return async (method: string, path: string, body?: unknown) => {
    const res = await fetchAgain(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
}

/** A new enterprise workspace made with the admin token; its test key. */
export async function testWorkspaceKey(base: string, name: string): Promise<string> {
  const ws = await fetchAgain(`${base}/v1/admin/workspaces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, plan: 'enterprise' }),
  });
  assert.equal(ws.status, 201, await ws.clone().text());
  const workspace = (await ws.json()) as { api_keys: Array<{ mode: string; key: string }> };
  return workspace.api_keys.find((k) => k.mode === 'test')!.key;
}
