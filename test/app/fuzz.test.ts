import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import {
  type FuzzOperation,
  type FuzzVariant,
  fuzzVariants,
  seededRandom,
  seedFor,
} from '../support/fuzz.ts';
import { FUZZ_OPERATIONS } from '../support/fuzz-operations.ts';
import {
  ADMIN_TOKEN,
  type CallResult,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { loadSecurityFixtures, type SecurityFixture } from '../support/security.ts';
import conversations from '../support/security-fixtures/conversations.ts';

/**
 * A fuzz of the operations added in the last two rounds (support/fuzz-operations.ts): about a
 * hundred hostile requests each, drawn from the operation's schema in openapi.json by a seeded
 * generator (support/fuzz.ts), against real objects made by the security walk's fixtures. Every
 * answer must be below 500, and every 4xx SPEC's error shape with a documented code.
 *
 * A failure names its operation and variant; `PARLEY_FUZZ_SEED=<seed>` (printed with the summary)
 * draws the same requests again, and `PARLEY_FUZZ_ONLY='POST /v1/tools'` (a substring of
 * "METHOD /path") runs only the matching operations.
 */
const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));
const ERROR_CODES = new Set<string>(openapi.components.schemas.Error.properties.error.properties.code.enum);
const SEED = Number(process.env.PARLEY_FUZZ_SEED ?? 20261127);
const ONLY = process.env.PARLEY_FUZZ_ONLY;
const BUDGET = 100;
const PLACEHOLDER = /\b([a-z]+)_01JD5Z8Q4X3N2M1K0H9G8F7E6D\b/g;

/**
 * Operations allowed to answer 5xx for now, each with the reason it is not fixed here. An entry
 * whose operation no longer fails makes the test fail, so the list only shrinks.
 */
const KNOWN_FAILURES: Readonly<Record<string, string>> = {};

/** Operations only an inbox session may call: they run with a person's token, not the API key. */
const personal = (label: string) =>
  label.includes(' /v1/me/') ||
  label === 'POST /v1/auth/logout' ||
  label === 'PUT /v1/conversations/{id}/presence';

/** Writes whose success uses their object up: it is made again before the next request. */
const consumes = (o: FuzzOperation) =>
  o.method === 'DELETE' || /\/(erase|merge)$/.test(o.path) || o.path === '/v1/auth/logout';

function operationOf(label: string): FuzzOperation | undefined {
  const [method, path] = label.split(' ') as [string, string];
  const op = openapi.paths[path]?.[method.toLowerCase()];
  if (!op) return undefined;
  const params = (op.parameters ?? []) as Array<{
    in: string;
    name: string;
    required?: boolean;
    example?: unknown;
  }>;
  const content = op.requestBody?.content ?? {};
  return {
    method,
    path,
    schema: content['application/json']?.schema,
    example: content['application/json']?.example,
    query: params.filter((p) => p.in === 'query').map((p) => p.name),
    requiredQuery: Object.fromEntries(
      params.filter((p) => p.in === 'query' && p.required).map((p) => [p.name, String(p.example ?? 'x')]),
    ),
    pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
    idempotent: params.some((p) => p.in === 'header' && p.name === 'Idempotency-Key'),
    multipart: 'multipart/form-data' in content,
  };
}

/** Why a response breaks the contract, or undefined. */
function contractBreach(res: CallResult): string | undefined {
  if (res.status >= 500) return `${res.status} ${res.text.slice(0, 300)}`;
  if (res.status < 400) return undefined;
  const e = res.body?.error;
  const shaped =
    typeof e?.code === 'string' &&
    ERROR_CODES.has(e.code) &&
    typeof e.message === 'string' &&
    e.message.length > 0 &&
    typeof e.request_id === 'string' &&
    (e.errors === undefined ||
      (Array.isArray(e.errors) &&
        e.errors.every((f: any) => typeof f?.field === 'string' && typeof f?.message === 'string')));
  if (!shaped) return `${res.status} not in the error shape: ${res.text.slice(0, 300)}`;
  if (e.code === 'validation_failed' && res.status !== 400) return `${res.status} with validation_failed`;
  return undefined;
}

const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');
let seq = 0;

forEachStorage('fuzz of the operations added in the last two rounds', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let fixtures: SecurityFixture[];
  /** Real ids by prefix (`ct`, `team`, ...), for the documented examples' placeholder ids. */
  const ids = new Map<string, string>();
  const person = { email: '', token: '' };
  const leaver = { email: '', token: '' };
  const password = 'correct horse battery';

  const login = async (email: string) => {
    const res = await t.call('POST', '/v1/auth/login', { body: { email, password } });
    assert.equal(res.status, 200, `login: ${res.text}`);
    return res.body.token as string;
  };
  const newUser = async (name: string) => {
    const email = `fuzz-${name}-${seq++}@example.com`;
    const res = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name, email, role: 'admin', password },
    });
    assert.equal(res.status, 201, res.text);
    return email;
  };
  const remember = (params: Record<string, string>) => {
    for (const value of Object.values(params)) {
      const prefix = /^([a-z]+)_[0-9A-Z]{26}$/.exec(value)?.[1];
      if (prefix) ids.set(prefix, value);
    }
    return params;
  };

  /** The path's objects, made by the security walk's fixture (or, for a person's own, here). */
  const objectsFor = async (o: FuzzOperation): Promise<Record<string, string>> => {
    if (!o.pathParams.length) return {};
    const path = fastifyPath(o.path);
    if (path === '/v1/me/sessions/:id') {
      const other = await login(person.email);
      const list = await t.call('GET', '/v1/me/sessions', { key: other });
      const mine = list.body.data.find((s: { current: boolean }) => s.current);
      assert.ok(mine, list.text);
      return { id: mine.id };
    }
    // A token no question has (answering a real one needs an email channel's CSAT round trip).
    if (path === '/v1/csat/respond/:token') return { token: 'k3J9xQ2mP8vR4tW7yZ1a' };
    if (path === '/v1/conversations/:id/presence') return remember(await conversations.create(t, ws.test));
    const fixture = fixtures.find((f) => f.paths.includes(path));
    assert.ok(fixture, `no security fixture covers ${path}`);
    if (path === '/v1/me/push-subscriptions/:id') {
      // The fixture subscribes a user of its own; this one is the fuzzing person's.
      const example = openapi.paths['/v1/me/push-subscriptions'].post.requestBody.content['application/json'];
      const endpoint = `https://push.example.net/send/fuzz${seq++}`;
      const res = await t.call('POST', '/v1/me/push-subscriptions', {
        key: person.token,
        body: { ...example.example, endpoint },
      });
      assert.equal(res.status, 201, res.text);
      return { id: res.body.id };
    }
    return remember(await fixture.create(t, ws.test));
  };

  before(async () => {
    t = await startTestApp(storage, {
      // The fuzz signs in again after each successful sign-out and opens CSAT links by the hundred.
      env: { PARLEY_LOGIN_MAX_ATTEMPTS_PER_CLIENT: '100000', PARLEY_CSAT_LINKS_PER_MINUTE: '100000' },
    });
    ws = await t.workspace();
    // Thousands of requests a minute: the plan's rate limit is not under test.
    const lift = await t.call('PATCH', `/v1/admin/workspaces/${ws.id}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: { limits: { requests_per_minute: null, requests_per_day: null } },
    });
    assert.equal(lift.status, 200, lift.text);
    fixtures = await loadSecurityFixtures();
    person.email = await newUser('person');
    person.token = await login(person.email);
    leaver.email = await newUser('leaver');
    leaver.token = await login(leaver.email);
    const team = await t.call('POST', '/v1/teams', { key: ws.test, body: { name: 'Fuzz team' } });
    assert.equal(team.status, 201, team.text);
    remember({ team: team.body.id });
  });
  after(() => t?.close());

  it('keeps a list of operations that are all still in openapi.json', () => {
    const missing = FUZZ_OPERATIONS.filter((label) => !operationOf(label));
    assert.deepEqual(missing, [], 'listed operations openapi.json no longer has (update fuzz-operations.ts)');
    assert.ok(FUZZ_OPERATIONS.length >= 100, `${FUZZ_OPERATIONS.length} operations`);
    for (const label of Object.keys(KNOWN_FAILURES)) assert.ok(FUZZ_OPERATIONS.includes(label), label);
  });

  it('answers every hostile request below 500, each 4xx in the error shape', {
    timeout: 900_000,
  }, async () => {
    const started = performance.now();
    const failures: string[] = [];
    const stillFailing = new Set<string>();
    const shallow: string[] = [];
    let requests = 0;
    let known5xx = 0;
    let new5xx = 0;
    const selected = FUZZ_OPERATIONS.filter((label) => !ONLY || label.includes(ONLY));
    for (const label of selected) {
      const o = operationOf(label)!;
      const variants = fuzzVariants(o, seededRandom(seedFor(SEED, label)), BUDGET);
      let params = await objectsFor(o);
      const statuses = new Map<number, number>();
      let validationRefusals = 0;
      for (const [i, v] of variants.entries()) {
        const token =
          label === 'POST /v1/auth/logout' ? leaver.token : personal(label) ? person.token : ws.test;
        const res = await send(o, v, params, token);
        requests++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.body?.error?.code === 'validation_failed') validationRefusals++;
        const breach = contractBreach(res);
        if (breach && res.status >= 500 && KNOWN_FAILURES[label]) {
          known5xx++;
          stillFailing.add(label);
        } else if (breach) {
          if (res.status >= 500) new5xx++;
          failures.push(`${label} #${i} [${v.label}]: ${breach}`);
        }
        if (res.status < 300 && consumes(o) && !v.pathParams) {
          if (label === 'POST /v1/auth/logout') leaver.token = await login(leaver.email);
          else params = await objectsFor(o);
        }
      }
      // The fuzz reached the route's own checks: not every answer was an authentication refusal
      // or a missing object, and a JSON body was refused by its validation at least once.
      const deep = [...statuses].some(([s]) => ![401, 403, 404].includes(s));
      if (!deep || (o.schema && validationRefusals === 0))
        shallow.push(`${label}: ${JSON.stringify(Object.fromEntries(statuses))}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `# fuzz [${storage}]: ${selected.length} operations, ${requests} requests, ${new5xx} 5xx` +
        `${known5xx ? ` (+${known5xx} known)` : ''}, seed ${SEED}, ${seconds} s`,
    );
    assert.equal(
      Object.hasOwn(Object.prototype, 'polluted'),
      false,
      "the fuzz polluted its own process's prototype",
    );
    assert.deepEqual(failures, [], `seed ${SEED} (PARLEY_FUZZ_SEED and PARLEY_FUZZ_ONLY repeat a failure)`);
    assert.deepEqual(shallow, [], 'operations the fuzz never got past authentication, lookup or validation');
    if (!ONLY)
      assert.deepEqual(
        Object.keys(KNOWN_FAILURES).filter((label) => !stillFailing.has(label)),
        [],
        'known failures that no longer fail: remove them from KNOWN_FAILURES',
      );
  });

  /** Sends one variant: real ids where the variant does not replace them, placeholders resolved. */
  function send(o: FuzzOperation, v: FuzzVariant, params: Record<string, string>, token: string) {
    const resolve = (text: string) =>
      text.replace(PLACEHOLDER, (whole, prefix: string) => ids.get(prefix) ?? whole);
    let url = o.path.replace(/\{(\w+)\}/g, (_, name: string) => v.pathParams?.[name] ?? params[name] ?? name);
    if (v.query !== undefined) url += `?${resolve(v.query)}`;
    const payload = typeof v.payload === 'string' ? resolve(v.payload) : v.payload;
    return t.call(o.method, url, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(v.contentType ? { 'content-type': v.contentType } : {}),
        ...v.headers,
      },
      ...(payload !== undefined ? { payload } : {}),
    });
  }
});
