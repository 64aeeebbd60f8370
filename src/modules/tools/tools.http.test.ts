import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConnectionPool, type OutgoingRequest, type Reach, send } from './tools.http.ts';

/**
 * Tool requests over the keep-alive pool, against a local server that counts its TCP connections
 * and the requests each carried: reads share a socket, the SSRF guard still decides every new
 * socket, and a socket the server closed is retried for a read, never for a write.
 */
interface Seen {
  method: string;
  path: string;
  /** Which connection (1, 2...) carried it, and its place on that connection (1 = first). */
  connection: number;
  onConnection: number;
}

async function startCountingServer() {
  const seen: Seen[] = [];
  let connections = 0;
  /** When set, a second request on a kept-alive connection has its socket cut before any answer. */
  const behaviour = { cutReused: false };
  const server = http.createServer((req, res) => {
    const socket = req.socket as Socket & { n?: number; count?: number };
    socket.count = (socket.count ?? 0) + 1;
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method!, path: req.url!, connection: socket.n!, onConnection: socket.count! });
      if (behaviour.cutReused && socket.count! > 1) return socket.destroy();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
  });
  server.on('connection', (socket: Socket & { n?: number }) => {
    socket.n = ++connections;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    behaviour,
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const get = (url: string, extra: Partial<OutgoingRequest> = {}): OutgoingRequest => ({
  method: 'GET',
  url,
  headers: {},
  body: null,
  ...extra,
});
const signal = () => AbortSignal.timeout(5000);
const loopbackAllowed: Reach = { allowPrivate: false, allowedHosts: ['127.0.0.1', 'localhost'] };

describe('tool requests over the keep-alive pool', () => {
  let shop: Awaited<ReturnType<typeof startCountingServer>>;
  let pool: ConnectionPool;
  before(async () => {
    shop = await startCountingServer();
  });
  after(async () => {
    pool?.close();
    await shop?.close();
  });

  it('two sequential reads to one server use one TCP connection', async () => {
    pool = new ConnectionPool();
    const before = shop.connections();
    const a = await send(get(`http://127.0.0.1:${shop.port}/orders/1`), loopbackAllowed, signal(), pool);
    const b = await send(get(`http://127.0.0.1:${shop.port}/orders/2`), loopbackAllowed, signal(), pool);
    assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
    assert.equal(shop.connections() - before, 1, 'the second read reused the first one’s socket');
    const last = shop.seen.slice(-2);
    assert.equal(last[0]!.connection, last[1]!.connection);
    assert.equal(last[1]!.onConnection, 2);
    pool.close();
  });

  it('a host the guard refuses is still refused once a pooled connection to another host exists', async () => {
    pool = new ConnectionPool();
    const ok = await send(get(`http://127.0.0.1:${shop.port}/orders/3`), loopbackAllowed, signal(), pool);
    assert.ok(ok.ok, JSON.stringify(ok));
    // localhost is the same address and port, but not a host this policy lists.
    const strict: Reach = { allowPrivate: false, allowedHosts: ['127.0.0.1'] };
    const named = await send(get(`http://localhost:${shop.port}/orders/4`), strict, signal(), pool);
    assert.equal(named.ok, false);
    assert.equal(!named.ok && named.code, 'blocked_address', JSON.stringify(named));
    // A socket opened where localhost was allowed is not lent to a stricter policy for the same origin.
    const lax = await send(get(`http://localhost:${shop.port}/orders/5`), loopbackAllowed, signal(), pool);
    assert.ok(lax.ok, JSON.stringify(lax));
    const again = await send(get(`http://localhost:${shop.port}/orders/6`), strict, signal(), pool);
    assert.equal(!again.ok && again.code, 'blocked_address', JSON.stringify(again));
    // And with no private address allowed at all, the literal is refused before any socket.
    const none = await send(
      get(`http://127.0.0.1:${shop.port}/orders/7`),
      { allowPrivate: false, allowedHosts: [] },
      signal(),
      pool,
    );
    assert.equal(!none.ok && none.code, 'blocked_address');
    assert.ok(
      !shop.seen.some((s) => s.path === '/orders/4' || s.path === '/orders/6' || s.path === '/orders/7'),
    );
    pool.close();
  });

  it('a read whose pooled socket the server closed is sent once more, on a new socket', async () => {
    pool = new ConnectionPool();
    shop.behaviour.cutReused = true;
    try {
      const first = await send(get(`http://127.0.0.1:${shop.port}/stock/1`), loopbackAllowed, signal(), pool);
      assert.ok(first.ok, JSON.stringify(first));
      const second = await send(
        get(`http://127.0.0.1:${shop.port}/stock/2`),
        loopbackAllowed,
        signal(),
        pool,
      );
      assert.ok(second.ok, JSON.stringify(second));
      const tries = shop.seen.filter((s) => s.path === '/stock/2');
      assert.equal(tries.length, 2, 'cut on the reused socket, then answered on a new one');
      assert.equal(tries[0]!.onConnection, 2);
      assert.equal(tries[1]!.onConnection, 1);
    } finally {
      shop.behaviour.cutReused = false;
      pool.close();
    }
  });

  it('a write is never sent twice: it goes on a socket of its own', async () => {
    pool = new ConnectionPool();
    shop.behaviour.cutReused = true;
    try {
      const read = await send(get(`http://127.0.0.1:${shop.port}/stock/3`), loopbackAllowed, signal(), pool);
      assert.ok(read.ok, JSON.stringify(read));
      const write = await send(
        {
          method: 'POST',
          url: `http://127.0.0.1:${shop.port}/refunds`,
          headers: { 'content-type': 'application/json' },
          body: '{"order_id":"123"}',
          write: true,
        },
        loopbackAllowed,
        signal(),
        pool,
      );
      assert.ok(write.ok, JSON.stringify(write));
      const sent = shop.seen.filter((s) => s.path === '/refunds');
      assert.equal(sent.length, 1);
      assert.equal(sent[0]!.onConnection, 1, 'the write did not take the kept-alive socket');
    } finally {
      shop.behaviour.cutReused = false;
      pool.close();
    }
  });
});
