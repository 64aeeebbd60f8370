import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/harness.ts';

/**
 * Issue 25 item 8: a reverse proxy on the same host connects from 127.0.0.1 for every client
 * behind it, so without a token `/metrics` must not answer a request that came through one.
 */
const scrape = (t: TestApp, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
  t.parley.app.inject({ method: 'GET', url: '/metrics', remoteAddress, headers });

describe('/metrics behind a reverse proxy', () => {
  const token = 'metrics-token-0123456789';
  let plain: TestApp;
  let proxied: TestApp;
  let proxiedWithToken: TestApp;
  before(async () => {
    plain = await startTestApp('sqlite');
    proxied = await startTestApp('sqlite', { env: { PARLEY_TRUST_PROXY: '1' } });
    proxiedWithToken = await startTestApp('sqlite', {
      env: { PARLEY_TRUST_PROXY: '1', PARLEY_METRICS_TOKEN: token },
    });
  });
  after(async () => {
    await plain?.close();
    await proxied?.close();
    await proxiedWithToken?.close();
  });

  it('without a token, refuses a loopback request that carries a forwarding header', async () => {
    assert.equal((await scrape(plain)).statusCode, 200);
    const sets: Record<string, string>[] = [
      { 'x-forwarded-for': '203.0.113.9' },
      { 'x-forwarded-for': '127.0.0.1' },
      { forwarded: 'for=203.0.113.9;proto=https' },
      { 'x-real-ip': '203.0.113.9' },
      { 'x-forwarded-proto': 'https' },
    ];
    for (const headers of sets) {
      const res = await scrape(plain, headers);
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.equal(res.json().error.code, 'forbidden');
      assert.doesNotMatch(res.body, /parley_http_requests_total/);
    }
  });

  it('with PARLEY_TRUST_PROXY on and no token, answers no one', async () => {
    for (const headers of [{}, { 'x-forwarded-for': '127.0.0.1' }] as Record<string, string>[]) {
      const res = await scrape(proxied, headers);
      assert.equal(res.statusCode, 403, JSON.stringify(headers));
      assert.match(res.json().error.message, /PARLEY_METRICS_TOKEN/);
    }
  });

  it('with PARLEY_TRUST_PROXY on and a token, needs the token, through the proxy or not', async () => {
    assert.equal((await scrape(proxiedWithToken, { 'x-forwarded-for': '203.0.113.9' })).statusCode, 401);
    assert.equal((await scrape(proxiedWithToken)).statusCode, 401);
    const ok = await scrape(proxiedWithToken, {
      'x-forwarded-for': '203.0.113.9',
      authorization: `Bearer ${token}`,
    });
    assert.equal(ok.statusCode, 200);
    assert.match(ok.body, /parley_http_requests_total/);
  });
});
