import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { renderCanned } from '../../src/modules/teamtools/index.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('canned responses', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    other = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: w.test,
      body: { name: 'Glow Salon', business: { timezone: 'Asia/Kolkata', address: '12 MG Road' } },
    });
    assert.equal(agent.status, 201, agent.text);
  });
  after(() => t.close());

  const create = (body: Record<string, unknown>, key = w.test) =>
    t.call('POST', '/v1/canned-responses', { key, body });

  it('creates, lists, reads, updates and deletes; short codes are unique per workspace (409)', async () => {
    const c = await create({
      short_code: 'Hours',
      title: 'Opening hours',
      content: 'Open 10-7, {{contact.name}}',
    });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.body.short_code, 'hours');
    assert.equal(c.body.object, 'canned_response');
    const dup = await create({ short_code: 'HOURS', title: 'Again', content: 'x' });
    assert.equal(dup.status, 409, dup.text);
    assert.equal(dup.body.error.code, 'conflict');
    // Another workspace may use the same code.
    assert.equal(
      (await create({ short_code: 'hours', title: 'Theirs', content: 'y' }, other.test)).status,
      201,
    );
    const second = await create({ short_code: 'bye', title: 'Goodbye', content: 'Bye!' });
    const list = await t.call('GET', '/v1/canned-responses', { key: w.test });
    assert.deepEqual(
      list.body.data.map((r: { short_code: string }) => r.short_code),
      ['bye', 'hours'],
    );
    const q = await t.call('GET', '/v1/canned-responses?q=open', { key: w.test });
    assert.deepEqual(
      q.body.data.map((r: { id: string }) => r.id),
      [c.body.id],
    );
    const clash = await t.call('PATCH', `/v1/canned-responses/${second.body.id}`, {
      key: w.test,
      body: { short_code: 'hours' },
    });
    assert.equal(clash.status, 409);
    const upd = await t.call('PATCH', `/v1/canned-responses/${second.body.id}`, {
      key: w.test,
      body: { title: 'Farewell' },
    });
    assert.equal(upd.body.title, 'Farewell');
    assert.equal((await t.call('GET', `/v1/canned-responses/${c.body.id}`, { key: other.test })).status, 404);
    const del = await t.call('DELETE', `/v1/canned-responses/${second.body.id}`, { key: w.test });
    assert.equal(del.status, 200);
    assert.equal(
      (await t.call('GET', `/v1/canned-responses/${second.body.id}`, { key: w.test })).status,
      404,
    );
  });

  it('refuses bad input with a 400 naming the field, and changes nothing', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ short_code: 'a b', title: 'x', content: 'y' }, 'short_code'],
      [{ short_code: 'ok1', title: '', content: 'y' }, 'title'],
      [{ short_code: 'ok1', title: 'x', content: 'Hi {{contact.age}}' }, 'content'],
      [{ short_code: 'ok1', title: 'x', content: 'y', color: 'red' }, 'color'],
      // Unknown fields named like Object.prototype's members were a 500 (the field-name hints).
      [{ short_code: 'ok1', title: 'x', content: 'y', constructor: { prototype: { x: 1 } } }, 'constructor'],
      [{ short_code: 'ok1', title: 'x', content: 'y', toString: 'x', hasOwnProperty: 1 }, 'toString'],
    ];
    for (const [body, field] of cases) {
      const r = await create(body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
      assert.ok(r.text.includes(field), r.text);
    }
    const list = await t.call('GET', '/v1/canned-responses?q=ok1', { key: w.test });
    assert.equal(list.body.meta.total, 0);
  });

  it('replies with a canned response filled in for the conversation', async () => {
    const inbound = await t.call('POST', '/v1/sandbox/inbound', {
      key: w.test,
      body: { from: '+919900000101', text: 'When are you open?' },
    });
    assert.equal(inbound.status, 200, inbound.text);
    const convId = inbound.body.conversation_id as string;
    const conv = await t.call('GET', `/v1/conversations/${convId}`, { key: w.test });
    await t.call('PATCH', `/v1/contacts/${conv.body.contact.id}`, { key: w.test, body: { name: 'Asha' } });
    const cr = await create({
      short_code: 'where',
      title: 'Where we are',
      content:
        'Hi {{contact.name}} ({{contact.phone}}), {{agent.name}} is at {{business.address}}. {{user.name}}',
    });
    const sent = await t.call('POST', `/v1/conversations/${convId}/reply`, {
      key: w.test,
      body: { canned_response_id: cr.body.id },
    });
    assert.equal(sent.status, 201, sent.text);
    assert.equal(sent.body.text, 'Hi Asha (+919900000101), Glow Salon is at 12 MG Road.');
    const both = await t.call('POST', `/v1/conversations/${convId}/reply`, {
      key: w.test,
      body: { canned_response_id: cr.body.id, text: 'hi' },
    });
    assert.equal(both.status, 400, both.text);
    const gone = await t.call('POST', `/v1/conversations/${convId}/reply`, {
      key: w.test,
      body: { canned_response_id: 'cr_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
    });
    assert.equal(gone.status, 404, gone.text);
    // A person sending it signs with their name.
    const user = await t.call('POST', '/v1/users', {
      key: w.test,
      body: { name: 'Ravi', email: 'ravi@glow.in', role: 'agent' },
    });
    assert.equal(user.status, 201, user.text);
    const text = await renderCanned(t.ctx, { workspaceId: w.id, livemode: false }, convId, cr.body.id, {
      type: 'user',
      id: user.body.id,
    });
    assert.equal(text, 'Hi Asha (+919900000101), Glow Salon is at 12 MG Road. Ravi');

    // The business address not set: refused, naming it, rather than "is at ()" sent to a customer.
    const agents = await t.call('GET', '/v1/agents', { key: w.test });
    const agentId = agents.body.data[0].id as string;
    const unset = await t.call('PATCH', `/v1/agents/${agentId}`, {
      key: w.test,
      body: { business: { address: null } },
    });
    assert.equal(unset.status, 200, unset.text);
    const visit = await create({
      short_code: 'visit',
      title: 'Visit',
      content: 'Come and see us at ({{business.address}}), {{contact.name}}.',
    });
    const before = (await t.call('GET', `/v1/conversations/${convId}/messages`, { key: w.test })).body.data
      .length;
    const refused = await t.call('POST', `/v1/conversations/${convId}/reply`, {
      key: w.test,
      body: { canned_response_id: visit.body.id },
    });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body.error.code, 'unprocessable');
    assert.deepEqual(
      refused.body.error.errors.map((e: { field: string }) => e.field),
      ['business.address'],
    );
    assert.doesNotMatch(refused.text, /\(\)/);
    const after = (await t.call('GET', `/v1/conversations/${convId}/messages`, { key: w.test })).body.data
      .length;
    assert.equal(after, before, 'nothing was sent');
    // An empty contact name still leaves no gap (documented), the message goes.
    const greet = await create({
      short_code: 'greet',
      title: 'Greet',
      content: 'Hi {{contact.name}}, welcome!',
    });
    await t.call('PATCH', `/v1/contacts/${conv.body.contact.id}`, { key: w.test, body: { name: null } });
    const hi = await t.call('POST', `/v1/conversations/${convId}/reply`, {
      key: w.test,
      body: { canned_response_id: greet.body.id },
    });
    assert.equal(hi.status, 201, hi.text);
    assert.equal(hi.body.text, 'Hi, welcome!');
  });
});
