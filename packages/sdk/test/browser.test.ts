import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type LiveState, liveDelay, Parley, type ParleyError, parseSse } from '../src/browser.ts';

/**
 * What a browser app (the web inbox) needs of the SDK: a credential read per request, uploads,
 * no User-Agent, and live events that stay open. A scripted fetch answers, so every case is exact.
 */

interface Step {
  status: number;
  chunks?: string[];
  /** Keep the body open after the chunks (until the request is aborted). */
  hold?: boolean;
  contentType?: string;
  body?: string;
}
interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

function scriptedFetch(script: Step[]) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({
      url,
      method: String(init.method),
      headers: init.headers as Record<string, string>,
      body: init.body,
    });
    const signal = init.signal!;
    if (signal.aborted) throw signal.reason;
    const step = script.shift() ?? { status: 200, hold: true };
    if (step.body !== undefined || step.status !== 200) {
      return new Response(step.body ?? null, {
        status: step.status,
        headers: { 'content-type': step.contentType ?? 'application/json' },
      });
    }
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of step.chunks ?? []) controller.enqueue(new TextEncoder().encode(c));
        if (!step.hold) controller.close();
        signal.addEventListener('abort', () => controller.error(signal.reason));
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

const json = (status: number, body: unknown): Step => ({ status, body: JSON.stringify(body) });

describe('the SDK in a browser app', () => {
  it('reads a changing credential on every request, and sends none when there is none', async () => {
    const { fetch, calls } = scriptedFetch([json(200, {}), json(200, {}), json(200, {})]);
    let token: string | null = 'sess_1';
    const client = new Parley({ baseUrl: 'http://x', fetch, apiKey: () => token });
    await client.raw('get', '/v1/me');
    token = 'sess_2';
    await client.raw('get', '/v1/me');
    token = null;
    await client.raw('get', '/v1/me');
    assert.deepEqual(
      calls.map((c) => c.headers.authorization),
      ['Bearer sess_1', 'Bearer sess_2', undefined],
    );
  });

  it("calls the global fetch as a function, not as the client's method (a browser's throws then)", async (t) => {
    const original = globalThis.fetch;
    t.after(() => {
      globalThis.fetch = original;
    });
    const receivers: unknown[] = [];
    // As a browser's fetch does: "Illegal invocation" unless called on the global object.
    globalThis.fetch = async function (this: unknown) {
      receivers.push(this);
      if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
      return new Response('{}', { headers: { 'content-type': 'application/json' } });
    } as typeof fetch;
    const res = await new Parley({ baseUrl: 'http://x' }).raw('get', '/v1/me');
    assert.equal(res.status, 200);
    assert.equal(receivers.length, 1);
  });

  it('sends a form as it is (fetch writes the multipart type), and JSON otherwise', async () => {
    const { fetch, calls } = scriptedFetch([json(201, { id: 'f_1' }), json(201, { id: 'x' })]);
    const client = new Parley({ baseUrl: 'http://x', fetch, apiKey: 'k' });
    const form = new FormData();
    form.set('file', new Blob(['hello']), 'a.txt');
    const res = await client.raw('post', '/v1/files', { body: form });
    assert.deepEqual(res.data, { id: 'f_1' });
    assert.equal(calls[0].body, form);
    assert.equal(calls[0].headers['content-type'], undefined);
    await client.raw('post', '/v1/contacts', { body: { name: 'A' } });
    assert.equal(calls[1].body, '{"name":"A"}');
    assert.equal(calls[1].headers['content-type'], 'application/json');
  });

  it('can leave POSTs without an idempotency key, and sends no User-Agent when told (or in a page)', async () => {
    const { fetch, calls } = scriptedFetch([json(200, {}), json(200, {}), json(200, {})]);
    const plain = new Parley({ baseUrl: 'http://x', fetch, autoIdempotencyKey: false, userAgent: null });
    await plain.raw('post', '/v1/auth/logout');
    await plain.raw('post', '/v1/x', { idempotencyKey: 'given' });
    assert.equal(calls[0].headers['idempotency-key'], undefined);
    assert.equal(calls[0].headers['user-agent'], undefined);
    assert.equal(calls[1].headers['idempotency-key'], 'given');
    const node = new Parley({ baseUrl: 'http://x', fetch });
    await node.raw('post', '/v1/x');
    assert.match(calls[2].headers['user-agent'], /^parley-sdk-node\//);
    assert.match(calls[2].headers['idempotency-key'], /^[0-9a-f-]{36}$/);
  });

  it('timeoutMs 0 waits as long as the server takes', async () => {
    let release: () => void = () => {};
    const slow = (async (_url: string, init: RequestInit) => {
      await new Promise<void>((r) => {
        release = r;
      });
      assert.equal(init.signal?.aborted, false);
      return new Response('{}', { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const client = new Parley({ baseUrl: 'http://x', fetch: slow, timeoutMs: 0 });
    const pending = client.raw('get', '/v1/me');
    await new Promise((r) => setImmediate(r));
    release();
    assert.equal((await pending).status, 200);
  });

  it('parses a ReadableStream with its reader (Safari cannot iterate one), split anywhere', async () => {
    const text = ': hi\r\nid: e1\r\ndata: a\r\n\r\nid: e2\ndata: b\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode(text.slice(0, cut)));
          c.enqueue(new TextEncoder().encode(text.slice(cut)));
          c.close();
        },
      });
      // No async iterator: only getReader, as in Safari.
      const safari = { getReader: () => body.getReader() } as unknown as ReadableStream<Uint8Array>;
      const got: string[] = [];
      for await (const m of parseSse(safari)) got.push(`${m.id}:${m.data}`);
      assert.deepEqual(got, ['e1:a', 'e2:b'], `cut at ${cut}`);
    }
  });

  it('the browser entry and everything it imports use no Node built-in', () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(new URL(file, new URL('../src/', import.meta.url)), 'utf8');
      assert.doesNotMatch(text, /from\s+['"]node:|require\(|\bBuffer\.|\bprocess\./, file);
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'\.\/([\w.-]+)'/gm)) {
        visit(m[1]);
      }
    };
    visit('browser.ts');
    assert.ok(seen.has('live.ts') && seen.has('client.ts') && !seen.has('webhooks.ts'), [...seen].join());
  });
});

const ev = (id: string, n: number) =>
  `id: ${id}\ndata: ${JSON.stringify({ id, event: 'message.received', data: { n } })}\n\n`;

describe('events.live: a stream that stays open', () => {
  it('reconnects after a drop and a refusal, resumes with Last-Event-ID, and reports each state', async () => {
    const { fetch, calls } = scriptedFetch([
      { status: 200, chunks: [ev('evt_1', 1), ev('evt_2', 2)] },
      json(503, { error: { code: 'unavailable', message: 'Later.' } }),
      { status: 200, chunks: [': heartbeat\n\n', ev('evt_3', 3)], hold: true },
    ]);
    const client = new Parley({ baseUrl: 'http://x', fetch, apiKey: () => 'tok', maxRetries: 0 });
    const got: number[] = [];
    const states: Array<[LiveState, number]> = [];
    let third: () => void = () => {};
    const reached = new Promise<void>((r) => {
      third = r;
    });
    const live = client.events.live({
      lastEventId: 'evt_0',
      onEvent: (e) => {
        got.push(e.data.n);
        if (e.data.n === 3) third();
      },
      onState: (s, info) => states.push([s, info.delayMs]),
      onUnauthorized: () => assert.fail('not a 401'),
    });
    await reached;
    live.stop();
    await live.done;
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(live.lastEventId, 'evt_3');
    assert.deepEqual(
      calls.map((c) => [c.url, c.headers['last-event-id'], c.headers.authorization]),
      [
        ['http://x/v1/events/stream', 'evt_0', 'Bearer tok'],
        ['http://x/v1/events/stream', 'evt_2', 'Bearer tok'],
        ['http://x/v1/events/stream', 'evt_2', 'Bearer tok'],
      ],
    );
    assert.deepEqual(states, [
      ['connecting', 0],
      ['live', 0],
      ['reconnecting', 500],
      ['reconnecting', 1000],
      ['live', 0],
    ]);
  });

  it('stops at a 401 and says so once', async () => {
    const { fetch, calls } = scriptedFetch([json(401, { error: { code: 'unauthorized', message: 'No.' } })]);
    const client = new Parley({ baseUrl: 'http://x', fetch, maxRetries: 0 });
    const errors: ParleyError[] = [];
    const live = client.events.live({ onEvent: () => {}, onUnauthorized: (e) => errors.push(e) });
    await live.done;
    assert.equal(errors.length, 1);
    assert.equal(errors[0].code, 'unauthorized');
    assert.equal(calls.length, 1);
  });

  it('breaks a connection that went silent, and retrySoon ends the wait at once', async () => {
    const { fetch, calls } = scriptedFetch([
      { status: 200, chunks: [ev('evt_1', 1)], hold: true },
      { status: 200, chunks: [ev('evt_2', 2)], hold: true },
    ]);
    const client = new Parley({ baseUrl: 'http://x', fetch });
    const states: LiveState[] = [];
    let second: () => void = () => {};
    const reached = new Promise<void>((r) => {
      second = r;
    });
    const live = client.events.live({
      idleMs: 50,
      onEvent: (e) => e.data.n === 2 && second(),
      onState: (s) => {
        states.push(s);
        // The network is back: no need to wait out the backoff.
        if (s === 'reconnecting') live.retrySoon();
      },
    });
    await reached;
    live.stop();
    await live.done;
    assert.deepEqual(states.slice(0, 4), ['connecting', 'live', 'reconnecting', 'live']);
    assert.equal(calls[1].headers['last-event-id'], 'evt_1');
  });

  it('backs off 0.5 s, 1 s, 2 s ... up to 10 s', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 20].map(liveDelay),
      [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000],
    );
  });
});
