import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { collectRoutes } from '../../src/app.ts';
import { modules } from '../../src/modules/index.ts';
import type { AnyRoute } from '../../src/platform/http/route.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { loadSecurityFixtures } from '../support/security.ts';

/**
 * The shared security checks, run on every authenticated route of every module: no key, a bad
 * key, a revoked key, a key without the route's scope, and another workspace's or the other
 * mode's object. A module plugs its id-taking routes in with a file in support/security-fixtures/.
 */
const fixtures = await loadSecurityFixtures();

const keyRoutes = collectRoutes(modules).filter((r) => r.auth === 'key');
const fill = (path: string, params: Record<string, string>) =>
  path.replace(/:([A-Za-z_]+)/g, (_, name: string) => params[name] ?? `missing_${name}`);
const placeholder = (path: string) => path.replace(/:([A-Za-z_]+)/g, 'x_01JD5Z8Q4X3N2M1K0H9G8F7E6D');
const label = (r: AnyRoute) => `${r.method} ${r.path}`;

forEachStorage('security', (storage) => {
  let t: TestApp;
  let a: Workspace;
  let b: Workspace;
  let revoked: string;
  let unscoped: string;

  before(async () => {
    t = await startTestApp(storage);
    a = await t.workspace({ plan: 'enterprise' });
    b = await t.workspace({ plan: 'enterprise' });
    const r = await t.call('POST', '/v1/api-keys', { key: a.live, body: { name: 'to revoke' } });
    revoked = r.body.key;
    await t.call('DELETE', `/v1/api-keys/${r.body.id}`, { key: a.live });
    // A scope no route asks for.
    unscoped = (await t.call('POST', '/v1/api-keys', { key: a.live, body: { scopes: ['nothing:read'] } }))
      .body.key;
  });
  after(async () => t.close());

  it('covers every module that has authenticated routes', () => {
    // A module whose routes were left out of the list (or lost their `auth: 'key'`) would be
    // silently unchecked below.
    const covered = new Set(keyRoutes.map(label));
    for (const m of modules) {
      const own = (m.routes ?? []).filter((r) => r.auth === 'key');
      for (const r of own) assert.ok(covered.has(label(r)), `${m.name}: ${label(r)}`);
    }
    for (const path of [
      '/v1/messages',
      '/v1/conversations/:id',
      '/v1/contacts/:id',
      '/v1/webhooks/:id',
      '/v1/agents/:id',
    ]) {
      assert.ok(
        keyRoutes.some((r) => r.path === path),
        `${path} is checked`,
      );
    }
  });

  it('refuses a missing, malformed, unknown or revoked key on every route', async () => {
    const unknownKey = `prl_live_${'A'.repeat(32)}`;
    for (const route of keyRoutes) {
      const url = placeholder(route.path);
      for (const [what, headers] of [
        ['no key', {}],
        ['malformed key', { authorization: 'Bearer hello' }],
        ['unknown key', { authorization: `Bearer ${unknownKey}` }],
        ['revoked key', { 'x-api-key': revoked }],
      ] as const) {
        const res = await t.call(route.method, url, { headers: { ...headers } });
        assert.equal(res.status, 401, `${label(route)} with ${what}`);
        assert.equal(res.body.error.code, 'unauthorized', `${label(route)} with ${what}`);
      }
    }
  });

  it('refuses a key without the scope on every scoped route', async () => {
    for (const route of keyRoutes.filter((r) => r.scope)) {
      const res = await t.call(route.method, placeholder(route.path), { key: unscoped });
      assert.equal(res.status, 403, label(route));
      assert.equal(res.body.error.code, 'forbidden', label(route));
      assert.equal(res.body.error.required_scope, route.scope);
    }
  });

  it('finds no object of another workspace or of the other mode', async () => {
    // A person's own, for inbox sessions only: any API key is a 403 before the id is looked up
    // (their owners' checks: accounts.test.ts, team-day-rules.test.ts, saved-views.test.ts).
    const personOnly = new Set([
      'DELETE /v1/me/sessions/:id',
      'PUT /v1/conversations/:id/presence',
      'DELETE /v1/saved-views/:id',
    ]);
    const idRoutes = keyRoutes.filter((r) => r.path.includes('/:') && !personOnly.has(label(r)));
    const uncovered = idRoutes.filter((r) => !fixtures.some((f) => f.paths.includes(r.path)));
    assert.deepEqual(uncovered.map(label), [], 'every route that takes an id has a security fixture');
    for (const fixture of fixtures) {
      for (const path of fixture.paths) {
        const routes = idRoutes.filter((r) => r.path === path);
        assert.ok(routes.length > 0, `fixture path ${path} matches a route`);
        for (const route of routes) {
          // Fresh objects for each route: a DELETE or state change must not mask the next check.
          const params = await fixture.create(t, a.live);
          const url = fill(route.path, params);
          const body = fixture.body?.(route.method, route.path);
          for (const [who, key] of [
            ['another workspace', b.live],
            ['the other mode', a.test],
          ] as const) {
            const res = await t.call(route.method, url, { key, ...(body === undefined ? {} : { body }) });
            assert.equal(
              res.status,
              404,
              `${label(route)} from ${who}: ${res.status} ${res.text.slice(0, 200)}`,
            );
            assert.equal(res.body.error.code, 'not_found');
          }
          // The owner still reaches it (so the 404s above were about ownership, not a bad request).
          if (route.method === 'GET') {
            const own = await t.call(route.method, url, { key: a.live });
            const refusal = fixture.ownerRefusal?.[path];
            if (refusal) {
              assert.equal(own.status, 404, `${label(route)} by its owner: ${own.text.slice(0, 200)}`);
              assert.match(own.body.error.message, refusal);
              continue;
            }
            assert.ok(
              own.status < 300,
              `${label(route)} by its owner: ${own.status} ${own.text.slice(0, 200)}`,
            );
          }
        }
      }
    }
  });
});
