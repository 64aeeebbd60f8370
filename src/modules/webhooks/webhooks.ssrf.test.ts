import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { guardedLookup, isPrivateAddress } from '../../platform/ssrf.ts';
import { sendWebhook } from './webhooks.http.ts';
import { retryDelay } from './webhooks.jobs.ts';

describe('private address checks', () => {
  it('refuses loopback, private, shared, link-local, metadata and mapped addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:a9fe:a9fe',
      '224.0.0.1',
    ]) {
      assert.equal(isPrivateAddress(ip), true, ip);
    }
  });
  it('allows public addresses', () => {
    for (const ip of [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1111',
      '::ffff:8.8.8.8',
    ]) {
      assert.equal(isPrivateAddress(ip), false, ip);
    }
  });
  it('refuses a name that resolves to a private address', async () => {
    const err = await new Promise<Error | null>((resolve) =>
      guardedLookup('localhost', {}, (e) => resolve(e)),
    );
    assert.match(String(err?.message), /private or reserved/);
  });
  it('refuses to deliver to a private target unless allowed, before connecting', async () => {
    let hits = 0;
    const server = http.createServer((_, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const base = { headers: {}, body: '{}', timeoutMs: 1000, excerptBytes: 1024 };
      const literal = await sendWebhook({ ...base, url: `http://127.0.0.1:${port}/`, allowPrivate: false });
      assert.equal(literal.ok, false);
      assert.match(String(literal.error), /private/);
      const named = await sendWebhook({ ...base, url: `http://localhost:${port}/`, allowPrivate: false });
      assert.equal(named.ok, false);
      assert.match(String(named.error), /private/);
      assert.equal(hits, 0);
      const allowed = await sendWebhook({ ...base, url: `http://127.0.0.1:${port}/`, allowPrivate: true });
      assert.equal(allowed.ok, true);
      assert.equal(hits, 1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('retry schedule', () => {
  it('jitters each delay by at most 10% and stops after the last', () => {
    const schedule = [5000, 300_000];
    assert.equal(
      retryDelay(schedule, 1, () => 0),
      4500,
    );
    assert.equal(
      retryDelay(schedule, 1, () => 0.999999),
      5500,
    );
    assert.equal(
      retryDelay(schedule, 2, () => 0.5),
      300_000,
    );
    assert.equal(retryDelay(schedule, 3), null);
  });
});
