import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { openDatabase } from '../../src/platform/db/database.ts';
import { migrateToLatest, type ParleyMigration } from '../../src/platform/db/migrate.ts';
import {
  ADMIN_TOKEN,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

forEachStorage('platform core', (storage) => {
  let t: TestApp;
  let ws: Workspace;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ plan: 'enterprise' });
  });
  after(async () => t.close());

  it('creates a workspace through the admin route, with a live and a test key shown once', async () => {
    const res = await t.call('POST', '/v1/admin/workspaces', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { name: 'Glow Salon', default_country: 'us' },
    });
    assert.equal(res.status, 201);
    assert.match(res.body.workspace.id, /^ws_[0-9A-Z]{26}$/);
    // No plan given: the server's PARLEY_DEFAULT_PLAN (enterprise unless configured).
    assert.equal(res.body.workspace.plan, 'enterprise');
    assert.equal(res.body.workspace.default_country, 'US');
    const modes = res.body.api_keys.map((k: { mode: string }) => k.mode).sort();
    assert.deepEqual(modes, ['live', 'test']);
    for (const k of res.body.api_keys) assert.match(k.key, new RegExp(`^prl_${k.mode}_[A-Za-z0-9_-]{32}$`));
    // Keys are stored only as hashes.
    const stored = await t.ctx.db
      .selectFrom('api_keys')
      .selectAll()
      .where('workspace_id', '=', res.body.workspace.id)
      .execute();
    assert.equal(stored.length, 2);
    for (const row of stored) {
      assert.ok(
        !res.body.api_keys.some((k: { key: string }) => row.key_hash.includes(k.key) || row.prefix === k.key),
      );
      assert.match(row.key_hash, /^[0-9a-f]{64}$/);
    }
  });

  it('refuses the admin route without the admin token', async () => {
    const none = await t.call('POST', '/v1/admin/workspaces', { body: { name: 'x' } });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    const wrong = await t.call('POST', '/v1/admin/workspaces', {
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
      body: { name: 'x' },
    });
    assert.equal(wrong.status, 401);
    const bad = await t.call('POST', '/v1/admin/workspaces', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { name: '', plan: 'platinum', default_country: 'XX' },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.errors.map((e: { field: string }) => e.field).sort(), [
      'default_country',
      'name',
      'plan',
    ]);
  });

  it('answers GET /v1/me with either auth header', async () => {
    const bearer = await t.call('GET', '/v1/me', { key: ws.live });
    assert.equal(bearer.status, 200);
    assert.equal(bearer.body.workspace.id, ws.id);
    assert.equal(bearer.body.api_key.mode, 'live');
    assert.deepEqual(bearer.body.api_key.scopes, ['*']);
    assert.equal(bearer.body.api_version, 'v1');
    assert.equal(bearer.body.api_key.prefix, ws.live.slice(0, 13));
    const header = await t.call('GET', '/v1/me', { headers: { 'x-api-key': ws.test } });
    assert.equal(header.status, 200);
    assert.equal(header.body.api_key.mode, 'test');
    assert.equal(header.body.livemode, false);
  });

  it('gives every response a request id, also in the error body', async () => {
    const ok = await t.call('GET', '/v1/me', { key: ws.live });
    assert.match(String(ok.headers['x-request-id']), /^req_[0-9A-Z]{26}$/);
    const err = await t.call('GET', '/v1/me');
    assert.equal(err.status, 401);
    assert.equal(err.body.error.request_id, err.headers['x-request-id']);
    assert.equal(err.body.error.code, 'unauthorized');
    assert.equal(typeof err.body.error.message, 'string');
  });

  it('creates scoped keys, refuses what the key lacks, and revokes at once', async () => {
    const created = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      body: { name: 'reader', scopes: ['api_keys:read'] },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.mode, 'live');
    const reader = created.body.key as string;

    const listed = await t.call('GET', '/v1/api-keys', { key: reader });
    assert.equal(listed.status, 200);
    assert.ok(
      listed.body.data.every((k: Record<string, unknown>) => !('key' in k)),
      'keys are never shown again',
    );
    assert.ok(listed.body.data.some((k: { id: string }) => k.id === created.body.id));
    // A key says when it was last used (to the minute); a key never used says null.
    const unused = await t.call('POST', '/v1/api-keys', { key: ws.live, body: { name: 'spare' } });
    const seen = Object.fromEntries(
      listed.body.data.map((k: { id: string; last_used_at: string | null }) => [k.id, k.last_used_at]),
    );
    assert.ok(Date.now() - Date.parse(seen[created.body.id]) < 120_000, seen[created.body.id]);
    const again = await t.call('GET', '/v1/api-keys', { key: ws.live });
    assert.equal(again.body.data.find((k: { id: string }) => k.id === unused.body.id).last_used_at, null);

    const denied = await t.call('POST', '/v1/api-keys', { key: reader, body: { name: 'escalate' } });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'forbidden');

    const escalate = await t.call('POST', '/v1/api-keys', { key: ws.live, body: { scopes: ['nope'] } });
    assert.equal(escalate.status, 400);

    const revoked = await t.call('DELETE', `/v1/api-keys/${created.body.id}`, { key: ws.live });
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revoked_at);
    const after = await t.call('GET', '/v1/me', { key: reader });
    assert.equal(after.status, 401);
    assert.match(after.body.error.message, /revoked/);
  });

  it('keeps live and test worlds apart', async () => {
    const testKey = await t.call('POST', '/v1/api-keys', { key: ws.test, body: { name: 'test-made' } });
    assert.equal(testKey.status, 201);
    assert.equal(testKey.body.livemode, false);
    const fromLive = await t.call('DELETE', `/v1/api-keys/${testKey.body.id}`, { key: ws.live });
    assert.equal(fromLive.status, 404);
    const other = await t.workspace();
    const fromOther = await t.call('DELETE', `/v1/api-keys/${testKey.body.id}`, { key: other.test });
    assert.equal(fromOther.status, 404);
    const liveList = await t.call('GET', '/v1/api-keys?per_page=100', { key: ws.live });
    assert.ok(liveList.body.data.every((k: { livemode: boolean }) => k.livemode === true));
  });

  it('refuses bad input in the one error shape and writes nothing', async () => {
    const before = await t.ctx.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const malformed = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      payload: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'validation_failed');
    assert.match(malformed.body.error.message, /JSON/);

    const wrongType = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      payload: 'name=x',
      headers: { 'content-type': 'text/xml' },
    });
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.body.error.code, 'unsupported_media_type');

    const wrongFieldType = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      body: { name: 42, scopes: 'all' },
    });
    assert.equal(wrongFieldType.status, 400);
    assert.deepEqual(wrongFieldType.body.error.errors.map((e: { field: string }) => e.field).sort(), [
      'name',
      'scopes',
    ]);

    const unknownField = await t.call('POST', '/v1/api-keys', { key: ws.live, body: { nmae: 'typo' } });
    assert.equal(unknownField.status, 400);
    assert.equal(unknownField.body.error.errors[0].field, 'nmae');

    const huge = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      body: { name: 'x'.repeat(t.config.bodyLimitBytes + 10) },
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'payload_too_large');

    const after = await t.ctx.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(after.n), Number(before.n));
  });

  it('validates pagination and reports unknown routes', async () => {
    for (const q of ['page=0', 'per_page=101', 'per_page=abc', 'limit=-1']) {
      const res = await t.call('GET', `/v1/api-keys?${q}`, { key: ws.live });
      assert.equal(res.status, 400, q);
      assert.equal(res.body.error.code, 'validation_failed');
    }
    const page = await t.call('GET', '/v1/api-keys?limit=1&page=2', { key: ws.live });
    assert.equal(page.status, 200);
    assert.equal(page.body.meta.per_page, 1);
    assert.equal(page.body.meta.page, 2);
    assert.equal(page.body.data.length, 1);
    assert.equal(page.body.meta.total_pages, page.body.meta.total);

    const missing = await t.call('GET', '/v1/nothing-here', { key: ws.live });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const badId = await t.call('DELETE', '/v1/api-keys/not-an-id', { key: ws.live });
    assert.equal(badId.status, 404);
  });

  it('replays an idempotent POST and refuses the same key with another body', async () => {
    const headers = { 'idempotency-key': `idem-${storage}-1` };
    const first = await t.call('POST', '/v1/api-keys', { key: ws.live, headers, body: { name: 'once' } });
    assert.equal(first.status, 201);
    const again = await t.call('POST', '/v1/api-keys', { key: ws.live, headers, body: { name: 'once' } });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const count = await t.ctx.db.selectFrom('api_keys').selectAll().where('name', '=', 'once').execute();
    assert.equal(count.length, 1, 'the replay created nothing');
    const other = await t.call('POST', '/v1/api-keys', { key: ws.live, headers, body: { name: 'twice' } });
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_conflict');
    // Keys are per workspace and mode: the same key in test mode is a new request.
    const testMode = await t.call('POST', '/v1/api-keys', { key: ws.test, headers, body: { name: 'once' } });
    assert.equal(testMode.status, 201);
    assert.notEqual(testMode.body.id, first.body.id);
    // As at Stripe, a request refused by validation stores nothing: the key stays free for a corrected body.
    const badHeaders = { 'idempotency-key': `idem-${storage}-2` };
    const bad = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      headers: badHeaders,
      body: { scopes: ['bad scope'] },
    });
    assert.equal(bad.status, 400);
    const fixed = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      headers: badHeaders,
      body: { scopes: ['contacts:read'] },
    });
    assert.equal(fixed.status, 201);
    const tooLong = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      headers: { 'idempotency-key': 'k'.repeat(256) },
      body: {},
    });
    assert.equal(tooLong.status, 400);
  });

  it('treats the same JSON with its keys reordered as the same idempotent request', async () => {
    const headers = { 'idempotency-key': `idem-${storage}-order`, 'content-type': 'application/json' };
    const first = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      headers,
      payload: '{"name":"ordered","scopes":["contacts:read"]}',
    });
    const again = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      headers,
      payload: '{"scopes":["contacts:read"],"name":"ordered"}',
    });
    assert.equal(first.status, 201);
    assert.equal(again.status, 201);
    assert.equal(again.body.id, first.body.id);
    assert.equal(again.headers['idempotent-replayed'], 'true');
  });

  it('names every unknown field and says what is wrong in plain words', async () => {
    const res = await t.call('POST', '/v1/api-keys', {
      key: ws.live,
      body: { nmae: 'x', scopez: [], name: '' },
    });
    assert.equal(res.status, 400);
    const byField = Object.fromEntries(
      res.body.error.errors.map((e: { field: string; message: string }) => [e.field, e.message]),
    );
    assert.equal(byField.nmae, 'is not a known field: did you mean `name`?');
    assert.equal(byField.scopez, 'is not a known field: did you mean `scopes`?');
    assert.equal(byField.name, 'must be at least 1 character');
    const page = await t.call('GET', '/v1/api-keys?page=abc', { key: ws.live });
    assert.deepEqual(page.body.error.errors, [{ field: 'page', message: 'must be a number' }]);
    const big = await t.call('GET', '/v1/api-keys?per_page=1000', { key: ws.live });
    assert.deepEqual(big.body.error.errors, [{ field: 'per_page', message: 'must be at most 100' }]);
    // A value of none of a union's types names them; an object is called an object.
    const attrs = await t.call('POST', '/v1/contacts', {
      key: ws.live,
      body: { phone: '+14155550123', attributes: { plan: { tier: 'gold' } } },
    });
    assert.deepEqual(attrs.body.error.errors, [
      { field: 'attributes.plan', message: 'must be a string, a number or a boolean' },
    ]);
    const list = await t.call('POST', '/v1/contacts', {
      key: ws.live,
      body: { phone: '+14155550123', attributes: ['gold'] },
    });
    assert.deepEqual(list.body.error.errors, [{ field: 'attributes', message: 'must be an object' }]);
    // A key its record refuses says the rule for keys.
    const key = await t.call('POST', '/v1/contacts', {
      key: ws.live,
      body: { phone: '+14155550123', attributes: { 'first visit': 'yes' } },
    });
    assert.deepEqual(key.body.error.errors, [
      {
        field: 'attributes.first visit',
        message: 'is not an allowed key: attribute names are letters, digits, `_` and `-` (at most 64)',
      },
    ]);
  });

  it('answers an overlong id in the error shape', async () => {
    const res = await t.call('DELETE', `/v1/api-keys/key_${'A'.repeat(5000)}`, { key: ws.live });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    assert.match(res.body.error.request_id, /^req_/);
  });

  it('serves health, readiness, metrics, the OpenAPI document and the docs page', async () => {
    assert.equal((await t.call('GET', '/healthz')).body.status, 'ok');
    const ready = await t.call('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { database: 'ok' });
    const metrics = await t.call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.text,
      /parley_http_requests_total\{method="GET",route="\/v1\/me",status="200"\} \d+/,
    );
    const doc = await t.call('GET', '/openapi.json');
    assert.equal(doc.body.openapi, '3.1.0');
    assert.ok(doc.body.paths['/v1/me'].get);
    const page = await t.call('GET', '/docs');
    assert.match(page.text, /swagger-ui-bundle\.js/);
    const asset = await t.call('GET', '/docs/swagger-ui-bundle.js');
    assert.equal(asset.status, 200);
    assert.ok(asset.text.length > 100_000);
  });
});

forEachStorage('rate limits', (storage) => {
  let t: TestApp;
  // Limits count in windows aligned to the clock (a minute, an hour): the app's clock starts just
  // after a full hour when this suite starts (not when the file loads: the suites before it can
  // take a minute on a busy machine), so no window ends in the middle of a burst here.
  let t0 = Date.now();
  const start = Date.parse('2026-06-01T10:00:02Z');
  const appNow = () => start + (Date.now() - t0);
  before(async () => {
    t0 = Date.now();
    t = await startTestApp(storage, { testing: { now: () => new Date(appNow()) } });
  });
  after(async () => t.close());

  it('limits requests per key by plan, with X-RateLimit headers and Retry-After', async () => {
    const ws = await t.workspace({ plan: 'starter' });
    let last: Awaited<ReturnType<TestApp['call']>> | undefined;
    for (let i = 0; i < 60; i++) {
      last = await t.call('GET', '/v1/me', { key: ws.live });
      assert.equal(last.status, 200, `request ${i + 1}`);
    }
    assert.equal(last!.headers['x-ratelimit-limit'], '60');
    assert.equal(last!.headers['x-ratelimit-remaining'], '0');
    const reset = Number(last!.headers['x-ratelimit-reset']);
    assert.equal(reset, Math.ceil((appNow() + 1) / 60_000) * 60, "the end of the app clock's minute");
    const limited = await t.call('GET', '/v1/me', { key: ws.live });
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(limited.headers['x-ratelimit-remaining'], '0');
    // Another key of the same workspace has its own window.
    const other = await t.call('GET', '/v1/me', { key: ws.test });
    assert.equal(other.status, 200);
    assert.equal(other.headers['x-ratelimit-remaining'], '59');
  });

  it("describes the limit that was hit in a 429's X-RateLimit headers (messages per hour, not requests)", async () => {
    const ws = await t.workspace({ plan: 'growth' });
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const patched = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      headers: admin,
      body: { limits: { messages_per_hour: 2 } },
    });
    assert.equal(patched.status, 200, patched.text);
    const tpl = await t.call('POST', '/v1/templates', {
      key: ws.test,
      body: { name: 'hello', language: 'en', category: 'utility', body: 'Hello from Glow Salon.' },
    });
    assert.equal(tpl.status, 201, tpl.text);
    const send = () =>
      t.call('POST', '/v1/messages', {
        key: ws.test,
        body: { to: '+919876543210', type: 'template', template: { name: 'hello', language: 'en' } },
      });
    for (let i = 0; i < 2; i++) assert.equal((await send()).status, 201);
    // The hour's window ends at the next full hour of the app's clock (11:00), the minute's at 10:01.
    const hourEnd = Math.ceil((appNow() + 1) / 3_600_000) * 3_600;
    const refused = await send();
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body.error.code, 'rate_limited');
    assert.match(refused.body.error.message, /2 messages per hour/);
    assert.equal(refused.headers['x-ratelimit-limit'], '2');
    assert.equal(refused.headers['x-ratelimit-remaining'], '0');
    const reset = Number(refused.headers['x-ratelimit-reset']);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(
      reset === hourEnd || reset === hourEnd + 3_600,
      `resets at the end of the hour window (${hourEnd}), not the minute's: ${reset}`,
    );
    assert.ok(retryAfter >= 1 && retryAfter <= 3600);
  });
});

forEachStorage('workspace plans and limits (admin)', (storage) => {
  let t: TestApp;
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_DEFAULT_PLAN: 'growth' } });
  });
  after(async () => t.close());

  it('gives a workspace created without a plan the PARLEY_DEFAULT_PLAN', async () => {
    const res = await t.call('POST', '/v1/admin/workspaces', {
      headers: admin,
      body: { name: 'Own install' },
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.workspace.plan, 'growth');
    const me = await t.call('GET', '/v1/me', { key: res.body.api_keys[0].key });
    assert.equal(me.body.limits.requests_per_minute, 300);
    assert.equal(me.headers['x-ratelimit-limit'], '300');
  });

  it('changes the plan and per-limit overrides with PATCH /v1/admin/workspaces/{id}, effective at once', async () => {
    const ws = await t.workspace({ plan: 'starter' });
    assert.equal((await t.call('GET', '/v1/me', { key: ws.live })).headers['x-ratelimit-limit'], '60');
    const up = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      headers: admin,
      body: { plan: 'enterprise', limits: { requests_per_minute: 1000, messages_per_hour: null } },
    });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.body.plan, 'enterprise');
    assert.equal(up.body.limits.requests_per_minute, 1000);
    assert.equal(up.body.limits.messages_per_hour, null);
    assert.equal(up.body.limits.concurrent_calls, 100);
    assert.deepEqual(up.body.limit_overrides, { requests_per_minute: 1000, messages_per_hour: null });
    const me = await t.call('GET', '/v1/me', { key: ws.live });
    assert.equal(me.body.workspace.plan, 'enterprise');
    assert.equal(me.headers['x-ratelimit-limit'], '1000');
    // Overrides merge; null clears them all.
    const merged = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      headers: admin,
      body: { limits: { imports_per_minute: 5 } },
    });
    assert.deepEqual(merged.body.limit_overrides, {
      requests_per_minute: 1000,
      messages_per_hour: null,
      imports_per_minute: 5,
    });
    const cleared = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      headers: admin,
      body: { limits: null },
    });
    assert.deepEqual(cleared.body.limit_overrides, {});
    assert.equal(cleared.body.limits.requests_per_minute, 3000);
    assert.equal((await t.call('GET', '/v1/me', { key: ws.live })).headers['x-ratelimit-limit'], '3000');
  });

  it('refuses bad input, an unknown workspace and a missing admin token, changing nothing', async () => {
    const ws = await t.workspace({ plan: 'starter' });
    const bad = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      headers: admin,
      body: { plan: 'platinum', limits: { requests_per_minute: -1, calls_per_year: 3 } },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'validation_failed');
    assert.deepEqual(bad.body.error.errors.map((e: { field: string }) => e.field).sort(), [
      'limits.calls_per_year',
      'limits.requests_per_minute',
      'plan',
    ]);
    const missing = await t.call('PATCH', '/v1/admin/workspaces/ws_01HZZZZZZZZZZZZZZZZZZZZZZZ', {
      headers: admin,
      body: { plan: 'growth' },
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const noToken = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, { body: { plan: 'growth' } });
    assert.equal(noToken.status, 401);
    const withKey = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      key: ws.live,
      body: { plan: 'growth' },
    });
    assert.equal(withKey.status, 401);
    assert.equal((await t.call('GET', '/v1/me', { key: ws.live })).body.workspace.plan, 'starter');
  });
});

forEachStorage('admin routes without an admin token', (storage) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_ADMIN_TOKEN: '' } });
  });
  after(async () => t.close());

  it('answers 404 for PATCH /v1/admin/workspaces/{id}', async () => {
    const res = await t.call('PATCH', '/v1/admin/workspaces/ws_01HZZZZZZZZZZZZZZZZZZZZZZZ', {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { plan: 'growth' },
    });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });
});

it('an upgraded database runs a module migration that sorts before ones it already ran', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-migrate-'));
  const handle = await openDatabase({ sqlitePath: join(dir, 'parley.db') });
  try {
    const ran: string[] = [];
    const step = (name: string): ParleyMigration => ({
      async up() {
        ran.push(name);
      },
    });
    await migrateToLatest(handle.db, 'sqlite', { '0100_a': step('0100_a'), '0500_b': step('0500_b') });
    // The next version adds 0101 to the first module and 0501 to the second.
    const results = await migrateToLatest(handle.db, 'sqlite', {
      '0100_a': step('0100_a'),
      '0101_a': step('0101_a'),
      '0500_b': step('0500_b'),
      '0501_b': step('0501_b'),
    });
    assert.deepEqual(ran, ['0100_a', '0500_b', '0101_a', '0501_b']);
    assert.deepEqual(
      results.map((r) => [r.migrationName, r.status]),
      [
        ['0101_a', 'Success'],
        ['0501_b', 'Success'],
      ],
    );
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
