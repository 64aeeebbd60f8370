import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { collectRoutes } from '../../src/app.ts';
import { modules } from '../../src/modules/index.ts';
import { BUILT_IN_ROLES } from '../../src/modules/users/roles.service.ts';
import { hasScope } from '../../src/platform/http/auth.ts';
import { EFFECT_SCOPES, type Effect } from '../../src/platform/http/permissions.ts';
import type { AnyRoute } from '../../src/platform/http/route.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Issue 25 item 7: one permission rule per effect, whichever route reaches it. Each role (an
 * inbox admin, an inbox agent, keys scoped to one resource) walks every route that writes
 * audiences, contacts, users, teams, channels or API keys; the answer is a 403 exactly when the
 * role may not cause one of the request's effects.
 */
const WALKED = ['audiences', 'contacts', 'users', 'teams', 'channels', 'api_keys'];
const writeRoutes = collectRoutes(modules).filter(
  (r) => r.auth === 'key' && r.method !== 'GET' && WALKED.includes(String(r.scope).split(':')[0]),
);
const placeholder = (path: string) => path.replace(/:([A-Za-z_]+)/g, 'x_01JD5Z8Q4X3N2M1K0H9G8F7E6D');
const label = (r: AnyRoute) => `${r.method} ${r.path}`;

interface Role {
  name: string;
  token: string;
  scopes: string[];
}

forEachStorage('one permission rule per effect', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const roles: Role[] = [];
  let audienceId: string;
  let n = 0;
  const phone = () => `+1415555${String(1000 + ++n).slice(-4)}`;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    for (const role of ['admin', 'agent'] as const) {
      const email = `${role}@perm.test`;
      const u = await t.call('POST', '/v1/users', {
        key: ws.live,
        body: { name: role, email, role, password: 'a long password' },
      });
      assert.equal(u.status, 201, u.text);
      const s = await t.call('POST', '/v1/auth/login', { body: { email, password: 'a long password' } });
      assert.equal(s.status, 200, s.text);
      roles.push({ name: `${role} session`, token: s.body.token, scopes: BUILT_IN_ROLES[role].permissions });
    }
    for (const scopes of [['contacts:write'], ['audiences:write'], ['contacts:write', 'audiences:write']]) {
      const k = await t.call('POST', '/v1/api-keys', { key: ws.live, body: { name: 'scoped', scopes } });
      assert.equal(k.status, 201, k.text);
      roles.push({ name: `key ${scopes.join('+')}`, token: k.body.key, scopes });
    }
    const aud = await t.call('POST', '/v1/audiences', { key: ws.live, body: { name: 'VIP' } });
    assert.equal(aud.status, 201, aud.text);
    audienceId = aud.body.id;
  });
  after(async () => t?.close());

  const may = (role: Role, scopes: string[]) => scopes.every((s) => hasScope(role.scopes, s));
  const effects = (...e: Effect[]) => e.map((x) => EFFECT_SCOPES[x]);

  it('walks every write route of audiences, contacts, users, teams, channels and API keys', async () => {
    assert.ok(writeRoutes.length >= 20, `${writeRoutes.length} routes walked`);
    for (const p of [
      '/v1/imports',
      '/v1/audiences/:id/contacts',
      '/v1/api-keys',
      '/v1/channels',
      '/v1/users',
    ])
      assert.ok(
        writeRoutes.some((r) => r.path === p),
        `${p} is walked`,
      );
    for (const role of roles) {
      for (const route of writeRoutes) {
        const res = await t.call(route.method, placeholder(route.path), { key: role.token, body: {} });
        const allowed = may(role, [route.scope as string]);
        assert.equal(res.status === 403, !allowed, `${role.name}: ${label(route)} answered ${res.status}`);
      }
    }
  });

  it('gives the same answer for the same effect on every route that reaches it', async () => {
    // Each request, with the effects it has; a role may send it exactly when it may cause them all.
    const requests: Array<{ what: string; method: string; url: string; body: object; scopes: string[] }> = [
      {
        what: 'add a contact to an audience',
        method: 'POST',
        url: `/v1/audiences/${audienceId}/contacts`,
        body: { contact_ids: [] },
        scopes: effects('audience.members'),
      },
      {
        what: 'add new phones to an audience (creates contacts)',
        method: 'POST',
        url: `/v1/audiences/${audienceId}/contacts`,
        body: { phones: ['+14155550999'] },
        scopes: effects('audience.members', 'contacts.write'),
      },
      {
        what: 'import contacts into an audience',
        method: 'POST',
        url: '/v1/imports',
        body: { audience_id: audienceId, rows: [{ phone: '+14155550998' }] },
        scopes: effects('audience.members', 'contacts.write'),
      },
      {
        what: 'import contacts',
        method: 'POST',
        url: '/v1/imports',
        body: { rows: [{ phone: '+14155550997' }] },
        scopes: effects('contacts.write'),
      },
      {
        what: 'create a contact',
        method: 'POST',
        url: '/v1/contacts',
        body: { phone: '' },
        scopes: effects('contacts.write'),
      },
    ];
    for (const role of roles) {
      for (const r of requests) {
        const body = r.url === '/v1/contacts' ? { phone: phone() } : r.body;
        const res = await t.call(r.method, r.url, { key: role.token, body });
        const allowed = may(role, r.scopes);
        assert.equal(
          res.status === 403,
          !allowed,
          `${role.name}: ${r.what} answered ${res.status} ${res.text}`,
        );
        if (allowed) assert.ok(res.status < 500, `${role.name}: ${r.what} answered ${res.status}`);
      }
    }
    // The agent is refused the import into an audience and nothing was queued for it.
    const imports = await t.call('GET', '/v1/imports', { key: ws.live });
    const agentImports = imports.body.data.filter((i: { audience_id: string | null }) => i.audience_id);
    const allowedRoles = roles.filter((r) => may(r, effects('audience.members', 'contacts.write')));
    assert.equal(agentImports.length, allowedRoles.length);
  });
});
