import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { base32Decode, hotp, stepAt } from '../../src/modules/users/users.totp.ts';
import { sha256Hex } from '../../src/platform/crypto.ts';
import {
  ADMIN_TOKEN,
  forEachStorage,
  openWindow,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Issue 25 item 13: every request example in openapi.json, sent as written ("Try it out" in
 * /docs does exactly this), succeeds. The only change made to an example is the one a reader
 * makes: each placeholder id (`ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D`) becomes the id of a real object of
 * that kind, created here, in the path and in the body alike.
 */
const openapi = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8'));
const SENT_HEADERS = [
  'X-Request-Id',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'X-Concurrency-Limit',
  'X-Concurrency-Remaining',
  'Retry-After',
  'Idempotent-Replayed',
];
const PLACEHOLDER = /\b([a-z]+)_01JD5Z8Q4X3N2M1K0H9G8F7E6D\b/g;
/** A second object of the same kind, where an example names two (a contact merged into another). */
const SECOND = /\b([a-z]+)_01JD5Z8Q4X3N2M1K0H9G8F7E7E\b/g;

interface Example {
  method: string;
  path: string;
  operationId: string;
  contentType: string;
  body: unknown;
  fileName: string;
  security: unknown[];
  pathParams: Record<string, string>;
}

/** Every request body example (one per operation and content type), in document order. */
export function requestExamples(): Example[] {
  const out: Example[] = [];
  for (const [path, ops] of Object.entries<any>(openapi.paths))
    for (const [method, op] of Object.entries<any>(ops)) {
      if (!op.requestBody) continue;
      const pathParams: Record<string, string> = {};
      for (const p of op.parameters ?? []) if (p.in === 'path') pathParams[p.name] = String(p.example);
      for (const [contentType, media] of Object.entries<any>(op.requestBody.content))
        out.push({
          method: method.toUpperCase(),
          path,
          operationId: op.operationId,
          contentType,
          body: media.example,
          fileName:
            media.schema?.properties?.file?.contentMediaType === 'text/csv' ? 'contacts.csv' : 'prices.md',
          security: op.security ?? [],
          pathParams,
        });
    }
  return out;
}

/** A multipart form from an example object: its `file` field is sent as a file part. */
/** A real 1×1 PNG: an upload that checks a file's first bytes is sent a file that has them. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);

async function multipart(fields: Record<string, string>, fileName: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) if (name !== 'file') form.append(name, value);
  // An example that names an image's bytes gets an image's bytes.
  const image = /\(the bytes of .*\.(jpe?g|png)\)/.test(fields.file ?? '');
  form.append('file', new Blob([image ? PNG : (fields.file ?? '')]), image ? 'menu.png' : fileName);
  const res = new Response(form);
  return { payload: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type')! };
}

/**
 * The order a reader follows: the customer writes first (the sandbox example opens the 24-hour
 * window the text example sends in), the template and the user exist before they are used (the
 * template send, the login), and deletions come last.
 */
const order = (e: Example) => {
  if (
    e.path === '/v1/sandbox/inbound' ||
    (e.method === 'POST' && ['/v1/contacts', '/v1/templates', '/v1/users'].includes(e.path))
  )
    return 0;
  if (e.path === '/v1/auth/login') return 2;
  if (e.method === 'DELETE') return 3;
  // Requiring a second factor makes later sessions enrol-only: it goes last.
  if (e.path === '/v1/auth-settings') return 4;
  return 1;
};

let phoneSeq = 0;
const nextPhone = () => `+1415555${String(1000 + phoneSeq++).padStart(4, '0')}`;

forEachStorage('every OpenAPI request example succeeds as written', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(() => t?.close());

  const ok = async (method: string, url: string, body?: unknown) => {
    const r = await t.call(method, url, { key: ws.test, body });
    assert.ok(r.status < 300, `fixture ${method} ${url}: ${r.status} ${r.text}`);
    return r.body;
  };

  /** Creates a real object for a placeholder's prefix; `get` resolves the objects it needs. */
  const creators: Record<string, (get: (p: string) => Promise<string>) => Promise<string>> = {
    ws: async () => ws.id,
    key: async () => (await ok('POST', '/v1/api-keys', { name: 'fixture' })).id,
    ct: async () => (await ok('POST', '/v1/contacts', { phone: nextPhone() })).id,
    aud: async () => {
      const audience = await ok('POST', '/v1/audiences', { name: `Audience ${phoneSeq++}` });
      await ok('POST', `/v1/audiences/${audience.id}/contacts`, { phones: [nextPhone()] });
      return audience.id;
    },
    usr: async () =>
      (
        await ok('POST', '/v1/users', {
          name: 'Fixture user',
          email: `user${phoneSeq++}@example.com`,
          role: 'agent',
          password: 'correct horse battery',
        })
      ).id,
    team: async () => (await ok('POST', '/v1/teams', { name: `Team ${phoneSeq++}` })).id,
    role: async () =>
      (await ok('POST', '/v1/roles', { name: `Role ${phoneSeq++}`, permissions: ['conversations:read'] })).id,
    scim: async () => (await ok('POST', '/v1/scim-tokens', { name: 'fixture' })).id,
    ch: async () =>
      (await ok('POST', '/v1/channels', { type: 'sms', provider: 'sandbox', address: nextPhone() })).id,
    conv: async () => openWindow(t, ws.test, nextPhone(), 'Hello'),
    msg: async (get) => (await ok('GET', `/v1/conversations/${await get('conv')}/messages`)).data[0].id,
    sla: async () =>
      (await ok('POST', '/v1/sla-policies', { name: `SLA ${phoneSeq++}`, first_response_minutes: 15 })).id,
    agt: async () =>
      (
        await ok('POST', '/v1/agents', {
          name: 'Fixture agent',
          business: { timezone: 'UTC', services: [{ name: 'Haircut', duration_minutes: 45, price: 500 }] },
        })
      ).id,
    tool: async () =>
      (
        await ok('POST', '/v1/tools', {
          name: `fixture_tool_${phoneSeq++}`,
          description: 'Looks up an order.',
          effect: 'read',
          input_schema: { type: 'object', properties: { order_id: { type: 'string' } } },
          request: { method: 'GET', url: 'https://shop.example.com/orders/{order_id}' },
          mocks: [{ response: { body: { status: 'shipped' } } }],
        })
      ).id,
    tc: async (get) =>
      (await ok('POST', `/v1/tools/${await get('tool')}/test`, { args: { order_id: '5531' } })).call.id,
    svc: async (get) => (await ok('GET', `/v1/agents/${await get('agt')}`)).business.services[0].id,
    kb: async (get) =>
      (
        await ok('POST', `/v1/agents/${await get('agt')}/knowledge`, {
          title: 'Prices',
          doc_type: 'text',
          content: 'A haircut costs 500.',
        })
      ).id,
    tpl: async () =>
      (
        await ok('POST', '/v1/templates', {
          name: `fixture_${phoneSeq++}`,
          language: 'en',
          category: 'utility',
          body: 'Hi {{1}}',
        })
      ).id,
    lead: async () => (await ok('POST', '/v1/leads', { phone: nextPhone(), name: 'Lead' })).id,
    wh: async () => (await ok('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'] })).id,
    vf: async () =>
      (
        await ok('POST', '/v1/voice-flows', {
          name: 'Fixture flow',
          start: 'bye',
          nodes: { bye: { type: 'end', text: 'Bye', outcome: 'done' } },
        })
      ).id,
    cr: async () =>
      (await ok('POST', '/v1/canned-responses', { short_code: `c${phoneSeq++}`, title: 'C', content: 'Hi' }))
        .id,
    mac: async () => (await ok('POST', '/v1/macros', { name: 'Close', actions: [{ type: 'close' }] })).id,
    atm: async () =>
      (
        await ok('POST', '/v1/automations', {
          name: 'Tag',
          event: 'message.received',
          actions: [{ type: 'add_tags', tags: ['x'] }],
        })
      ).id,
    bk: async (get) => {
      const agent = await get('agt');
      const date = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
      const free = await ok('GET', `/v1/agents/${agent}/availability?date=${date}`);
      const slot = free.slots[0];
      return (
        await ok('POST', '/v1/bookings', {
          agent_id: agent,
          start_at: slot.start_at,
          end_at: slot.end_at,
          phone: nextPhone(),
        })
      ).id;
    },
    cmp: async (get) =>
      (
        await ok('POST', '/v1/campaigns', {
          name: 'Fixture campaign',
          type: 'voice',
          agent_id: await get('agt'),
          audience_id: await get('aud'),
        })
      ).id,
    bc: async () =>
      (
        await ok('POST', '/v1/broadcasts', {
          name: 'Fixture broadcast',
          template: { name: 'hello', language: 'en' },
          phones: [nextPhone()],
          send_at: new Date(Date.now() + 86_400_000).toISOString(),
        })
      ).id,
    call: async (get) =>
      (await ok('POST', '/v1/calls', { calls: [{ agent_id: await get('agt'), to: nextPhone() }] })).results[0]
        .call.id,
  };

  const session = async () => {
    const email = `agent${phoneSeq++}@example.com`;
    await ok('POST', '/v1/users', { name: 'Agent', email, role: 'agent', password: 'correct horse battery' });
    const res = await t.call('POST', '/v1/auth/login', {
      body: { email, password: 'correct horse battery' },
    });
    assert.equal(res.status, 200, res.text);
    return res.body.token as string;
  };

  const ssoHandoff = async (code: string) => {
    const email = `sso${phoneSeq++}@example.com`;
    const user = await ok('POST', '/v1/users', { name: 'SSO person', email, role: 'agent' });
    const now = Date.now();
    await t.ctx.db
      .insertInto('sso_handoffs')
      .values({
        id: sha256Hex(code),
        user_id: user.id,
        workspace_id: ws.id,
        livemode: 0,
        method: 'oidc',
        expires_at: new Date(now + 60_000).toISOString(),
        created_at: new Date(now).toISOString(),
      })
      .execute();
  };

  /** Enrols the session's user (and confirms, for `disable`); the example's code made current. */
  const withTotp = async (key: string, confirm: boolean, payload: string) => {
    const enrol = await t.call('POST', '/v1/me/two-factor', { key });
    assert.equal(enrol.status, 200, enrol.text);
    const secret = base32Decode(enrol.body.secret);
    const now = stepAt(Date.now());
    if (confirm) {
      const c = await t.call('POST', '/v1/me/two-factor/confirm', {
        key,
        body: { totp_code: hotp(secret, now) },
      });
      assert.equal(c.status, 200, c.text);
    }
    return payload.replace(/"totp_code":"\d{6}"/, `"totp_code":"${hotp(secret, confirm ? now + 1 : now)}"`);
  };

  it('sends each example with a body and gets a 2xx', async () => {
    const examples = requestExamples().sort((a, b) => order(a) - order(b));
    assert.ok(examples.length >= 70, `found ${examples.length} examples`);
    const failures: string[] = [];
    for (const ex of examples) {
      if (ex.body === undefined) {
        failures.push(`${ex.method} ${ex.path} (${ex.contentType}): no example`);
        continue;
      }
      // Fresh objects for each example, so one example's effects never decide another's outcome.
      const made = new Map<string, Promise<string>>();
      const get = (prefix: string): Promise<string> => {
        if (!made.has(prefix)) {
          const create = creators[prefix];
          if (!create) throw new Error(`no fixture for placeholder prefix ${prefix}_`);
          made.set(prefix, create(get));
        }
        return made.get(prefix)!;
      };
      const resolve = async (text: string) => {
        let out = text;
        for (const m of new Set([...text.matchAll(PLACEHOLDER)].map((x) => x[1]!)))
          out = out.replaceAll(`${m}_01JD5Z8Q4X3N2M1K0H9G8F7E6D`, await get(m));
        for (const m of new Set([...text.matchAll(SECOND)].map((x) => x[1]!)))
          out = out.replaceAll(`${m}_01JD5Z8Q4X3N2M1K0H9G8F7E7E`, await creators[m]!(get));
        return out;
      };
      let url = ex.path;
      for (const [name, value] of Object.entries(ex.pathParams)) url = url.replace(`{${name}}`, value);
      try {
        url = await resolve(url);
        const raw = typeof ex.body === 'string' ? ex.body : JSON.stringify(ex.body);
        let payload: string | Buffer = await resolve(raw);
        let contentType = ex.contentType;
        if (contentType === 'multipart/form-data')
          ({ payload, contentType } = await multipart(JSON.parse(payload), ex.fileName));
        const admin = JSON.stringify(ex.security).includes('adminToken');
        const open = ex.security.length === 0;
        // `/v1/me/...`, saved views and a conversation's presence are a person's own: called with
        // an inbox session, as the inbox does.
        const own =
          url.startsWith('/v1/me/') ||
          url.startsWith('/v1/saved-views') ||
          /^\/v1\/conversations\/[^/]+\/presence$/.test(url);
        const key = own ? await session() : ws.test;
        // A second factor's code cannot be written in advance: the session enrols, and the
        // example's code is replaced by the authenticator's current one.
        if (url.startsWith('/v1/me/two-factor/'))
          payload = await withTotp(key, url.endsWith('/disable'), payload as string);
        // An SSO sign-in's one-time code comes from the identity provider's callback: the
        // example's code is handed off here as the callback would (test/users/sso-oidc.test.ts).
        if (url === '/v1/auth/sso/exchange') await ssoHandoff(JSON.parse(payload as string).code);
        const res = await t.call(ex.method, url, {
          ...(admin || open ? {} : { key }),
          headers: {
            'content-type': contentType,
            ...(admin ? { authorization: `Bearer ${ADMIN_TOKEN}` } : {}),
          },
          payload,
        });
        // Every header of ours the server sent is documented on that response.
        const documented =
          openapi.paths[ex.path][ex.method.toLowerCase()].responses[res.status]?.headers ?? {};
        for (const name of SENT_HEADERS)
          if (res.headers[name.toLowerCase()] !== undefined && !documented[name])
            failures.push(`${ex.method} ${ex.path} ${res.status}: header ${name} is sent but not documented`);
        if (res.status >= 300)
          failures.push(
            `${ex.method} ${ex.path} (${ex.contentType}): ${res.status} ${res.text.slice(0, 300)}`,
          );
      } catch (err) {
        failures.push(`${ex.method} ${ex.path}: ${(err as Error).message.slice(0, 300)}`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
