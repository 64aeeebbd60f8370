import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import {
  ADMIN_TOKEN,
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * "Bad input gets a clear 4xx in the contract's error shape and changes nothing; a 500 is a bug."
 *
 * Walks every operation of openapi.json that takes a JSON body, query parameters or path ids,
 * and sends hostile variants of a well-formed request: a body that is not an object, each field
 * (as far as three levels into the documented example, and every top-level property of the
 * schema) with the wrong type, 100k-character strings, NUL bytes and lone surrogates, unknown
 * enum values, prototype keys (`__proto__`, `constructor`, ...), deep nesting, extreme numbers,
 * malformed path ids and bad query values. Every answer must be below 500, and every 4xx must be
 * SPEC's error `{error: {code, message, request_id}}` with a documented code. After each refused
 * variant of a create (POST on a list) or an update (PATCH), the list's total or the object
 * itself must be as it was before.
 *
 * Path ids are real objects made in setup (the documented example id stays, well-formed but
 * unknown, for kinds not made here). Every variant is sent, on both storages: a first version
 * sampling 36 variants per operation passed on SQLite while the full set found a 500 there (a
 * voice-flow target named "constructor"), and two of the causes the full set found (a NUL in the
 * sign-in email, a lone surrogate reaching PostgreSQL's json parser) were PostgreSQL's alone.
 * About 10,000 requests: 15-25 s per storage on a quiet machine, 70-95 s with a load average
 * near 20.
 */
const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));
const ERROR_CODES = new Set<string>(openapi.components.schemas.Error.properties.error.properties.code.enum);
const PLACEHOLDER = /\b([a-z]+)_01JD5Z8Q4X3N2M1K0H9G8F7E6D\b/g;
const NEG_ZERO = '__neg_zero__';
const LONG = 'x'.repeat(100_000);

interface Operation {
  method: string;
  path: string;
  op: any;
  example: unknown;
  schema: any;
  query: string[];
  pathParams: Array<{ name: string; example: string }>;
}

interface Variant {
  label: string;
  url: (path: string) => string;
  /** Raw JSON text (or undefined: the operation's example, or no body). */
  payload?: string;
}

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries<any>(openapi.paths))
    for (const [method, op] of Object.entries<any>(ops)) {
      if (!op?.responses) continue;
      // A server-sent event stream stays open by design; its parameters are tested in events.test.ts.
      if (path === '/v1/events/stream') continue;
      const json = op.requestBody?.content?.['application/json'];
      const query = (op.parameters ?? []).filter((p: any) => p.in === 'query').map((p: any) => p.name);
      const pathParams = (op.parameters ?? [])
        .filter((p: any) => p.in === 'path')
        .map((p: any) => ({ name: p.name, example: String(p.example) }));
      if (!json && query.length === 0 && pathParams.length === 0) continue;
      out.push({
        method: method.toUpperCase(),
        path,
        op,
        example: json?.example,
        schema: json?.schema,
        query,
        pathParams,
      });
    }
  return out;
}

/** Values of a different JSON type than `v`, plus the hostile values of v's own type. */
function wrongValues(v: unknown): Array<[string, unknown]> {
  const protoObject = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}}');
  const deep = JSON.parse(`${'['.repeat(3000)}${']'.repeat(3000)}`);
  if (typeof v === 'string')
    return [
      ['number', 123],
      ['boolean', true],
      ['object', {}],
      ['array', [v]],
      ['null', null],
      ['100k chars', LONG],
      ['NUL byte', 'a\u0000b'],
      ['lone surrogate', '\ud800x\udfff'],
      ['unknown enum value', 'zz_not_a_value'],
      ['empty', ''],
      ['prototype key', 'constructor'],
    ];
  if (typeof v === 'number')
    return [
      ['numeric string', '12'],
      ['NaN string', 'NaN'],
      ['boolean', true],
      ['object', {}],
      ['array', [v]],
      ['null', null],
      ['1e308', 1e308],
      ['-1e308', -1e308],
      ['-0', NEG_ZERO],
      ['-1', -1],
      ['fraction', 1.5],
      ['2^63', 2 ** 63],
    ];
  if (typeof v === 'boolean')
    return [
      ['string', 'true'],
      ['number', 1],
      ['object', {}],
      ['array', [v]],
      ['null', null],
    ];
  if (Array.isArray(v))
    return [
      ['string', 'x'],
      ['number', 1],
      ['object', {}],
      ['null', null],
      ['array of null', [null]],
      ['array of arrays', [[]]],
      ['array of objects', [protoObject]],
      ['10k items', Array.from({ length: 10_000 }, () => 'x')],
      ['deep nesting', deep],
    ];
  if (v && typeof v === 'object')
    return [
      ['string', 'x'],
      ['number', 1],
      ['boolean', false],
      ['array', [v]],
      ['null', null],
      ['prototype keys', protoObject],
      ['toString key', { toString: 'x', valueOf: 1, hasOwnProperty: null }],
      ['deep nesting', { a: deep }],
    ];
  return [
    ['string', 'x'],
    ['number', 1],
    ['object', {}],
  ];
}

/** Paths into an example (objects' keys, arrays' first item), up to `depth` levels. */
function leafPaths(
  v: unknown,
  depth = 3,
  prefix: Array<string | number> = [],
): Array<Array<string | number>> {
  if (depth === 0 || v === null || typeof v !== 'object') return [];
  const out: Array<Array<string | number>> = [];
  const entries: Array<[string | number, unknown]> = Array.isArray(v)
    ? v.length
      ? [[0, v[0]]]
      : []
    : Object.entries(v);
  for (const [k, child] of entries) {
    out.push([...prefix, k]);
    out.push(...leafPaths(child, depth - 1, [...prefix, k]));
  }
  return out;
}

function setAt(root: unknown, path: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(root) as any;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k];
  if (path.length === 0) return value;
  Object.defineProperty(at, path.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const stringify = (v: unknown) => JSON.stringify(v).replaceAll(`"${NEG_ZERO}"`, '-0');

function variantsOf(o: Operation): Variant[] {
  const out: Variant[] = [];
  const same = (p: string) => p;
  if (o.schema) {
    const base = (o.example ?? {}) as Record<string, unknown>;
    for (const [label, payload] of [
      ['body: array', '[]'],
      ['body: string', '"x"'],
      ['body: number', '1'],
      ['body: null', 'null'],
      ['body: true', 'true'],
      ['body: truncated JSON', '{"a":'],
      ['body: deep nesting', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ] as const)
      out.push({ label, url: same, payload });
    for (const key of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])
      out.push({
        label: `body: extra key ${key}`,
        url: same,
        payload: stringify(setAt(base, [key], { polluted: true })),
      });
    const paths = leafPaths(base);
    const seen = new Set(paths.map((p) => JSON.stringify(p)));
    // Documented properties the example leaves out get the same treatment, as if they were strings.
    for (const name of Object.keys(o.schema.properties ?? {}))
      if (!seen.has(JSON.stringify([name]))) paths.push([name]);
    for (const path of paths) {
      let current: unknown = base;
      for (const k of path) current = (current as any)?.[k];
      for (const [label, value] of wrongValues(current ?? 'x'))
        out.push({
          label: `body ${path.join('.')}: ${label}`,
          url: same,
          payload: stringify(setAt(base, path, value)),
        });
    }
  }
  for (const q of o.query)
    for (const [label, raw] of [
      ['array', `${q}=1&${q}=2`],
      ['bracket object', `${q}[a]=1`],
      ['negative', `${q}=-1`],
      ['zero', `${q}=0`],
      ['huge', `${q}=99999999999999999999999999`],
      ['1e308', `${q}=1e308`],
      ['NaN', `${q}=NaN`],
      ['NUL', `${q}=%00`],
      ['empty', `${q}=`],
      ['10k chars', `${q}=${'x'.repeat(10_000)}`],
      ['bad percent', `${q}=%E0%A4%A`],
      ['prototype key', `${q}=constructor`],
      ['huge date', `${q}=275760-09-14T00:00:00Z`],
    ] as const)
      out.push({ label: `query ${q}: ${label}`, url: (p) => `${p}?${raw}` });
  if (o.query.length)
    for (const key of ['__proto__', 'constructor', 'toString'])
      out.push({ label: `query: unknown key ${key}`, url: (p) => `${p}?${key}=1` });
  for (const param of o.pathParams)
    for (const [label, bad] of [
      ['NUL', '%00'],
      ['dot segments', '..%2F..%2Fadmin'],
      ['raw dot segment', '..'],
      ['2000 chars', 'x'.repeat(2000)],
      ['bad percent', '%E0%A4%A'],
      ['constructor', 'constructor'],
      ['__proto__', '__proto__'],
      ['wrong prefix', 'zz_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
      ['well-formed unknown', param.example.replace(/D$/, 'E')],
    ] as const)
      out.push({
        label: `path ${param.name}: ${label}`,
        url: (p) => p.replace(`{${param.name}}`, bad),
        ...(o.example !== undefined ? { payload: stringify(o.example) } : {}),
      });
  return out;
}

let phoneSeq = 0;
const nextPhone = () => `+1415556${String(1000 + phoneSeq++).padStart(4, '0')}`;

forEachStorage('bad input sweep: hostile variants of every operation get a 4xx, never a 5xx', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let spare: Workspace;
  let session: string;
  const ids = new Map<string, string>();
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    spare = await t.workspace({ name: 'Spare workspace' });
    // The sweep sends thousands of requests in a minute; the plan's rate limit is not under test.
    const lift = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { limits: { requests_per_minute: null, requests_per_day: null } },
    });
    assert.equal(lift.status, 200, lift.text);
    const ok = async (method: string, url: string, body?: unknown) => {
      const r = await t.call(method, url, { key: ws.test, body });
      assert.ok(r.status < 300, `fixture ${method} ${url}: ${r.status} ${r.text}`);
      return r.body;
    };
    // The admin operations act on a spare workspace, so a variant that succeeds leaves ours alone.
    ids.set('ws', spare.id);
    ids.set('key', (await ok('POST', '/v1/api-keys', { name: 'fixture' })).id);
    ids.set('ct', (await ok('POST', '/v1/contacts', { phone: nextPhone() })).id);
    const audience = await ok('POST', '/v1/audiences', { name: 'Audience' });
    await ok('POST', `/v1/audiences/${audience.id}/contacts`, { phones: [nextPhone()] });
    ids.set('aud', audience.id);
    const email = 'sweep-agent@example.com';
    const password = 'correct horse battery';
    ids.set('usr', (await ok('POST', '/v1/users', { name: 'Agent', email, role: 'agent', password })).id);
    const login = await t.call('POST', '/v1/auth/login', { body: { email, password } });
    assert.equal(login.status, 200, login.text);
    session = login.body.token;
    ids.set('team', (await ok('POST', '/v1/teams', { name: 'Team' })).id);
    ids.set(
      'ch',
      (await ok('POST', '/v1/channels', { type: 'sms', provider: 'sandbox', address: nextPhone() })).id,
    );
    const conv = await openWindow(t, ws.test, nextPhone(), 'Hello');
    ids.set('conv', conv);
    ids.set('msg', (await ok('GET', `/v1/conversations/${conv}/messages`)).data[0].id);
    ids.set('sla', (await ok('POST', '/v1/sla-policies', { name: 'SLA', first_response_minutes: 15 })).id);
    const agent = await ok('POST', '/v1/agents', {
      name: 'Fixture agent',
      business: { timezone: 'UTC', services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }] },
    });
    ids.set('agt', agent.id);
    ids.set('svc', agent.business.services[0].id);
    ids.set(
      'kb',
      (
        await ok('POST', `/v1/agents/${agent.id}/knowledge`, {
          title: 'Prices',
          doc_type: 'text',
          content: 'A cut is 500.',
        })
      ).id,
    );
    ids.set(
      'tpl',
      (
        await ok('POST', '/v1/templates', {
          name: 'hello',
          language: 'en',
          category: 'utility',
          body: 'Hello there',
        })
      ).id,
    );
    ids.set('lead', (await ok('POST', '/v1/leads', { phone: nextPhone(), name: 'Lead' })).id);
    ids.set('wh', (await ok('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'] })).id);
    ids.set(
      'vf',
      (
        await ok('POST', '/v1/voice-flows', {
          name: 'Fixture flow',
          start: 'bye',
          nodes: { bye: { type: 'end', text: 'Bye', outcome: 'done' } },
        })
      ).id,
    );
    ids.set(
      'cr',
      (await ok('POST', '/v1/canned-responses', { short_code: 'cfix', title: 'C', content: 'Hi' })).id,
    );
    ids.set('mac', (await ok('POST', '/v1/macros', { name: 'Close', actions: [{ type: 'close' }] })).id);
    ids.set(
      'atm',
      (
        await ok('POST', '/v1/automations', {
          name: 'Tag',
          event: 'message.received',
          actions: [{ type: 'add_tags', tags: ['x'] }],
        })
      ).id,
    );
    const date = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    const slot = (await ok('GET', `/v1/agents/${agent.id}/availability?date=${date}`)).slots[0];
    ids.set(
      'bk',
      (
        await ok('POST', '/v1/bookings', {
          agent_id: agent.id,
          start_at: slot.start_at,
          end_at: slot.end_at,
          phone: nextPhone(),
        })
      ).id,
    );
    ids.set(
      'cmp',
      (
        await ok('POST', '/v1/campaigns', {
          name: 'Fixture campaign',
          type: 'voice',
          agent_id: agent.id,
          audience_id: audience.id,
        })
      ).id,
    );
    ids.set(
      'bc',
      (
        await ok('POST', '/v1/broadcasts', {
          name: 'Fixture broadcast',
          template: { name: 'hello', language: 'en' },
          phones: [nextPhone()],
          send_at: new Date(Date.now() + 86_400_000).toISOString(),
        })
      ).id,
    );
    ids.set(
      'call',
      (await ok('POST', '/v1/calls', { calls: [{ agent_id: agent.id, to: nextPhone() }] })).results[0].call
        .id,
    );
  });
  after(() => t?.close());

  /** Placeholder ids (`ct_01JD…`) become the fixtures' ids; kinds not made here stay unknown. */
  const resolve = (text: string) =>
    text.replace(PLACEHOLDER, (whole, prefix: string) => ids.get(prefix) ?? whole);

  const send = (o: Operation, url: string, payload?: string) => {
    const admin = JSON.stringify(o.op.security ?? []).includes('adminToken');
    const open = Array.isArray(o.op.security) && o.op.security.length === 0;
    const token = admin ? ADMIN_TOKEN : o.path.startsWith('/v1/me') ? session : open ? undefined : ws.test;
    return t.call(o.method, url, {
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(payload !== undefined ? { payload } : {}),
    });
  };

  /** What a refused write must leave as it was: the list's total, or the object itself. */
  const snapshot = async (o: Operation, path: string): Promise<string | undefined> => {
    let url: string | undefined;
    if (o.method === 'POST' && openapi.paths[o.path]?.get?.parameters?.some((p: any) => p.name === 'page'))
      url = path;
    else if (o.method === 'PATCH' && openapi.paths[o.path]?.get) url = path;
    if (!url) return undefined;
    const r = await send({ ...o, method: 'GET' }, url);
    if (r.status !== 200) return undefined;
    return o.method === 'POST' ? String(r.body.meta?.total) : JSON.stringify(r.body);
  };

  // Its own budget: hundreds of requests per operation, slow on a busy 2-core machine (19 s idle).
  it('answers every hostile variant with a documented 4xx error and changes nothing', {
    timeout: 900_000,
  }, async () => {
    const ops = operations();
    const failures: string[] = [];
    let requests = 0;
    let checkedUnchanged = 0;
    const statuses = new Map<number, number>();
    for (const o of ops) {
      const path = resolve(
        o.path.replace(/\{(\w+)\}/g, (_, n) => o.pathParams.find((p) => p.name === n)!.example),
      );
      // The write's target as it stands; a refused variant must leave it so, an accepted one moves it.
      // (Read once first: the first read of the tool key shows it, and later reads do not.)
      await snapshot(o, path);
      let baseline = await snapshot(o, path);
      for (const v of variantsOf(o)) {
        // Other path ids stay real while one is made bad.
        let url = o.path;
        for (const p of o.pathParams)
          if (!v.label.startsWith(`path ${p.name}:`)) url = url.replace(`{${p.name}}`, p.example);
        url = resolve(v.url(url));
        const payload = v.payload === undefined ? undefined : resolve(v.payload);
        const res = await send(o, url, payload);
        requests++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const where = `${o.method} ${o.path} [${v.label}]`;
        if (res.status >= 500) failures.push(`${where}: ${res.status} ${res.text.slice(0, 200)}`);
        else if (res.status >= 400) {
          const e = res.body?.error;
          if (
            typeof e?.code !== 'string' ||
            !ERROR_CODES.has(e.code) ||
            typeof e.message !== 'string' ||
            typeof e.request_id !== 'string'
          )
            failures.push(`${where}: ${res.status} not in the error shape: ${res.text.slice(0, 200)}`);
        }
        if (baseline === undefined) continue;
        const now = await snapshot(o, path);
        if (res.status >= 400) {
          checkedUnchanged++;
          if (now !== baseline)
            failures.push(
              `${where}: refused with ${res.status} but changed ${baseline} → ${now}`.slice(0, 600),
            );
        }
        baseline = now;
      }
    }
    const summary = [...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(
      `bad-input sweep [${storage}]: ${ops.length} operations, ${requests} requests (${summary}); ` +
        `${checkedUnchanged} refused writes checked unchanged`,
    );
    assert.deepEqual(failures, []);
    assert.ok(ops.length >= 150, `found ${ops.length} operations`);
    assert.ok(checkedUnchanged >= 500, `only ${checkedUnchanged} refused writes checked unchanged`);
  });
});
