import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../support/harness.ts';

/** Issue 25 item 9: `/docs` shares the origin of `/app`, so it gets the same protections. */
const directives = (csp: string) =>
  new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0], d.split(/\s+/).slice(1).join(' ')] as const),
  );

describe('/docs security', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(() => t?.close());

  it('serves the API reference with the same security headers as the inbox', async () => {
    const app = await t.call('GET', '/app');
    assert.equal(app.status, 200);
    for (const path of ['/docs', '/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
      const res = await t.call('GET', path);
      assert.equal(res.status, 200, path);
      for (const h of ['x-frame-options', 'x-content-type-options', 'referrer-policy'])
        assert.equal(res.headers[h], app.headers[h], `${path}: ${h}`);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      const csp = directives(String(res.headers['content-security-policy'] ?? ''));
      assert.equal(csp.get('frame-ancestors'), "'none'", `${path}: frame-ancestors`);
      // Scripts only from this origin, as in the inbox: no inline script, no eval.
      assert.equal(csp.get('script-src'), "'self'", `${path}: script-src`);
      assert.equal(csp.get('default-src'), "'self'");
      assert.equal(csp.get('connect-src'), "'self'");
      assert.equal(csp.get('object-src'), "'none'");
      assert.equal(csp.get('base-uri'), "'none'");
    }
  });

  it('the docs page runs no inline script', async () => {
    const page = await t.call('GET', '/docs');
    const inline = [...page.text.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)];
    assert.deepEqual(inline, []);
  });

  it('Swagger UI does not persist the pasted API key', async () => {
    const init = await t.call('GET', '/docs/init.js');
    const m = /SwaggerUIBundle\((\{.*\})\);/s.exec(init.text);
    assert.ok(m, init.text);
    const options = JSON.parse(m[1]);
    assert.equal(options.persistAuthorization, false);
    assert.equal(options.url, '/openapi.json');
    assert.equal(options.validatorUrl, null);
    // The only use of localStorage removes what an earlier version kept there.
    const uses = [...init.text.matchAll(/localStorage\.(\w+)/g)].map((x) => x[1]);
    assert.deepEqual(uses, ['removeItem']);
    assert.match(init.text, /localStorage\.removeItem\('authorized'\)/);
  });
});
