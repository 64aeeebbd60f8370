import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type FakeMcp, startFakeMcp, TYPED_TOOLS } from '../support/fake-mcp.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Tools of an MCP server whose zod shapes give the schemas real servers send (`.nullable()`,
 * unions, records, enums, nested objects, arrays, formats): all imported with their schemas kept,
 * and called through `POST /v1/tools/{id}/test`, arguments checked by Ajv against what the server
 * declared before anything is sent.
 */
forEachStorage('MCP tools with nullable, union and record schemas', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let mcp: FakeMcp;
  let tool: { id: string; mcp: { imported: Array<Record<string, any>>; skipped: unknown[] } };

  before(async () => {
    mcp = await startFakeMcp({ typedTools: true });
    t = await startTestApp(storage, { env: { PARLEY_WEBHOOK_ALLOW_PRIVATE: '0' } });
    ws = await t.workspace({ default_country: 'US' });
    const s = await t.call('PATCH', '/v1/tool-settings', {
      key: ws.test,
      body: { allowed_private_hosts: ['127.0.0.1'] },
    });
    assert.equal(s.status, 200, s.text);
  });
  after(async () => {
    await t?.close();
    await mcp?.close();
  });

  /** One test call of an imported tool, live (writes are sent). */
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await t.call('POST', `/v1/tools/${tool.id}/test`, {
      key: ws.test,
      body: { tool: name, args, live: true },
    });
    assert.equal(r.status, 200, r.text);
    return r.body as {
      ok: boolean;
      call: { code: string | null; status: string; result: any; error?: unknown };
    };
  };
  const sentCalls = () => mcp.requests.filter((r) => r.method === 'tools/call').length;
  /** Refused before any request: invalid_args, saying which argument and why. */
  const refused = async (name: string, args: Record<string, unknown>, why: RegExp) => {
    const before = sentCalls();
    const r = await call(name, args);
    assert.equal(r.ok, false, JSON.stringify(r));
    assert.equal(r.call.code, 'invalid_args', JSON.stringify(r.call));
    assert.match(JSON.stringify(r.call), why);
    assert.equal(sentCalls(), before, 'nothing was sent to the server');
  };
  const passes = async (name: string, args: Record<string, unknown>) => {
    const r = await call(name, args);
    assert.equal(r.ok, true, JSON.stringify(r.call));
    assert.deepEqual(r.call.result, { tool: name, received: args });
  };

  it('imports all 11 tools with their schemas as the server declared them', async () => {
    const r = await t.call('POST', '/v1/tools', {
      key: ws.test,
      body: { name: 'typed', type: 'mcp', description: 'A typed shop.', mcp: { url: mcp.url } },
    });
    assert.equal(r.status, 201, r.text);
    tool = r.body;
    assert.deepEqual(tool.mcp.skipped, []);
    assert.deepEqual(
      tool.mcp.imported.map((x) => x.name),
      [...TYPED_TOOLS],
    );
    const schema = (name: string) => tool.mcp.imported.find((x) => x.name === name)!.input_schema;
    for (const x of tool.mcp.imported) assert.equal(x.input_schema.$schema, undefined, x.name);
    assert.deepEqual(schema('find_customer').properties.email.anyOf.at(-1), { type: 'null' });
    assert.deepEqual(schema('find_customer').properties.phone.type, ['string', 'null']);
    assert.equal(schema('book_slot').properties.slot.anyOf.length, 2);
    assert.equal(schema('take_payment').properties.payment.oneOf.length, 2);
    assert.deepEqual(schema('tag_order').properties.tags.additionalProperties, {
      type: 'string',
      maxLength: 20,
    });
    assert.equal(schema('set_stock').additionalProperties.type, 'integer');
    assert.equal(schema('ship_parcel').properties.items.minItems, 1);
    assert.equal(schema('schedule_call').properties.at.format, 'date-time');
    // What it stored is what GET answers.
    const got = await t.call('GET', `/v1/tools/${tool.id}`, { key: ws.test });
    assert.deepEqual(got.body.mcp.imported, tool.mcp.imported);
  });

  it('a nullable argument: null and a value pass; a value of another type or format is refused', async () => {
    await passes('find_customer', { email: null });
    await passes('find_customer', { email: 'ana@example.com', phone: null });
    await refused('find_customer', { email: 'not an email' }, /args\.email: must match format \\"email\\"/);
    await refused('find_customer', { email: 42 }, /args\.email: must be a string/);
    await refused('find_customer', { phone: '+14155550100' }, /args: email is required/);
    await passes('update_address', { address: null, languages: ['fr'] });
    await passes('update_address', { address: { line1: '1 Main St', city: 'Springfield' } });
    await refused('update_address', { address: { line1: '1 Main St' } }, /args\.address: city is required/);
  });

  it('a union argument: each branch passes; a value of no branch is refused', async () => {
    await passes('book_slot', { order_id: '5531', slot: 'morning' });
    await passes('book_slot', { order_id: '5531', slot: 9 });
    await refused(
      'book_slot',
      { order_id: '5531', slot: 'noon' },
      /args\.slot: must be one of \\"morning\\", \\"evening\\"/,
    );
    await refused('book_slot', { order_id: '5531', slot: 20 }, /args\.slot: must be <= 18/);
    await passes('take_payment', { payment: { kind: 'card', last4: '4242' } });
    await passes('take_payment', { payment: { kind: 'cash' } });
    await refused('take_payment', { payment: { kind: 'card' } }, /args\.payment: last4 is required/);
  });

  it('a record: any key with a value of its schema passes; a value of another type is refused', async () => {
    await passes('set_stock', { 'ABC-123': 4, 'XYZ-999': 0 });
    await refused('set_stock', { 'ABC-123': -1 }, /args\.ABC-123: must be >= 0/);
    await refused('set_stock', { 'ABC-123': 'many' }, /args\.ABC-123: must be an integer/);
    await passes('tag_order', { order_id: '5531', tags: { colour: 'red', gift: 'yes' } });
    await refused(
      'tag_order',
      { order_id: '5531', tags: { colour: 5 } },
      /args\.tags\.colour: must be a string/,
    );
  });

  it('nested objects, arrays, enums and formats are checked as declared', async () => {
    await passes('ship_parcel', {
      address: { line1: '1 Main St', zip: '94107' },
      items: [{ sku: 'A', qty: 2 }],
    });
    await refused(
      'ship_parcel',
      { address: { line1: '1 Main St', zip: '94107' }, items: [] },
      /args\.items: must NOT have fewer than 1 items/,
    );
    await refused(
      'ship_parcel',
      { address: { line1: '1 Main St', zip: '9410' }, items: [{ sku: 'A', qty: 1 }] },
      /args\.address\.zip: must match pattern/,
    );
    await passes('schedule_call', { at: '2026-05-01T10:00:00Z', minutes: 30 });
    await refused('schedule_call', { at: 'tomorrow' }, /args\.at: must match format/);
    await passes('rate_visit', { mood: 'happy', score: 5 });
    await refused('rate_visit', { mood: 'ecstatic', score: 5 }, /args\.mood: must be one of/);
    await passes('list_stores', {});
    await refused('list_stores', { city: 'Paris' }, /args\.city: is not an argument of this tool/);
    await passes('lookup_sku', { sku: 'ABC-123' });
  });
});
