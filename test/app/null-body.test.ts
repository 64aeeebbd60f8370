import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import {
  ADMIN_TOKEN,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * A JSON `null` body is not an object: every operation of openapi.json that takes a JSON body
 * answers it with a 400 `validation_failed` naming `body`, and changes nothing. (It was read as
 * an empty object, so the settings routes whose fields are all optional, `PUT /v1/retention`,
 * `PUT /v1/csat/settings`, `PATCH /v1/tool-settings` and the like, answered 200 "no change".)
 * Path ids are well-formed but unknown: the body is checked before the object is looked up.
 */
const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));

interface Operation {
  method: string;
  /** The path with each id its documented example (well-formed, unknown here). */
  url: string;
  path: string;
  security: unknown[];
}

function jsonBodyOperations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries<any>(openapi.paths))
    for (const [method, op] of Object.entries<any>(ops)) {
      if (!op.requestBody?.content?.['application/json']) continue;
      let url = path;
      for (const p of op.parameters ?? [])
        if (p.in === 'path') url = url.replace(`{${p.name}}`, String(p.example));
      out.push({ method: method.toUpperCase(), url, path, security: op.security ?? [] });
    }
  return out;
}

forEachStorage('a JSON null body', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let session: string;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    const u = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Asha', email: 'asha@null-body.test', role: 'admin', password: 'a long password' },
    });
    assert.equal(u.status, 201, u.text);
    const s = await t.call('POST', '/v1/auth/login', {
      body: { email: 'asha@null-body.test', password: 'a long password' },
    });
    assert.equal(s.status, 200, s.text);
    session = s.body.token;
  });
  after(() => t?.close());

  it('is a 400 validation_failed naming the body on every operation that takes JSON', async () => {
    const before = await t.call('GET', '/v1/retention', { key: ws.test });
    const failures: string[] = [];
    const ops = jsonBodyOperations();
    for (const o of ops) {
      const admin = JSON.stringify(o.security).includes('adminToken');
      const open = o.security.length === 0;
      const token = admin ? ADMIN_TOKEN : o.path.startsWith('/v1/me') ? session : open ? undefined : ws.test;
      const r = await t.call(o.method, o.url, {
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        payload: 'null',
      });
      // Provider hooks check their signature first (401) and read no body schema; a widget route
      // its origin (403). Everything else must say the body is wrong.
      if (open && r.status !== 400) continue;
      if (r.status !== 400 || r.body?.error?.code !== 'validation_failed')
        failures.push(`${o.method} ${o.path}: ${r.status} ${r.text.slice(0, 160)}`);
      else if (!r.body.error.errors?.some((e: { field: string }) => e.field === 'body'))
        failures.push(`${o.method} ${o.path}: 400 without naming body: ${r.text.slice(0, 160)}`);
    }
    assert.deepEqual(failures, []);
    assert.ok(ops.length >= 80, `found ${ops.length} operations`);
    // Nothing changed.
    const after = await t.call('GET', '/v1/retention', { key: ws.test });
    assert.deepEqual(after.body, before.body);
  });

  it('an empty body still means no fields (nothing to change)', async () => {
    const r = await t.call('PUT', '/v1/retention', {
      key: ws.test,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(r.status, 200, r.text);
  });
});
