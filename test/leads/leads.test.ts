import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { captureLead } from '../../src/modules/leads/leads.service.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('leads', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  let agentId: string;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'IN' });
    other = await t.workspace();
    agentId = (await t.call('POST', '/v1/agents', { key: ws.live, body: { name: 'Sales' } })).body.id;
  });
  after(() => t.close());

  const eventsOf = (objectId: string) =>
    t.ctx.db
      .selectFrom('events')
      .select(['type', 'actor_type', 'actor_id', 'data'])
      .where('object_id', '=', objectId)
      .orderBy('id')
      .execute();

  describe('capture and update', () => {
    it('captures a lead, normalising the phone and creating its contact', async () => {
      const res = await t.call('POST', '/v1/leads', {
        key: ws.live,
        body: {
          name: 'Asha',
          phone: '098765 43210',
          email: 'Asha@Example.com',
          intent: 'bridal makeup',
          fields: { budget: 5000 },
          agent_id: agentId,
        },
      });
      assert.equal(res.status, 201, res.text);
      const lead = res.body;
      assert.equal(lead.phone, '+919876543210');
      assert.equal(lead.email, 'asha@example.com');
      assert.equal(lead.status, 'new');
      assert.equal(lead.source, 'api');
      assert.equal(lead.agent_id, agentId);
      assert.deepEqual(lead.fields, { budget: 5000 });
      const contact = await t.ctx.db
        .selectFrom('contacts')
        .selectAll()
        .where('id', '=', lead.contact_id)
        .executeTakeFirstOrThrow();
      assert.equal(contact.phone, '+919876543210');
      assert.deepEqual(
        (await eventsOf(lead.id)).map((e) => [e.type, e.actor_type]),
        [['lead.captured', 'api_key']],
      );
    });

    it("updates the contact's open lead instead of creating a duplicate", async () => {
      const first = (
        await t.call('POST', '/v1/leads', {
          key: ws.live,
          body: { phone: '+919876500001', fields: { a: '1', b: '2' } },
        })
      ).body;
      const again = await t.call('POST', '/v1/leads', {
        key: ws.live,
        body: { phone: '+91 98765 00001', name: 'Ravi', fields: { b: null, c: true } },
      });
      assert.equal(again.status, 200, again.text);
      assert.equal(again.body.id, first.id);
      assert.equal(again.body.name, 'Ravi');
      assert.deepEqual(again.body.fields, { a: '1', c: true });
      assert.deepEqual(
        (await eventsOf(first.id)).map((e) => e.type),
        ['lead.captured', 'lead.updated'],
      );
      // Once converted, the next capture is a new lead.
      await t.call('PATCH', `/v1/leads/${first.id}`, { key: ws.live, body: { status: 'converted' } });
      const fresh = await t.call('POST', '/v1/leads', { key: ws.live, body: { phone: '+919876500001' } });
      assert.equal(fresh.status, 201);
      assert.notEqual(fresh.body.id, first.id);
    });

    it('emits lead.qualified when the status becomes qualified, lead.updated otherwise', async () => {
      const lead = (await t.call('POST', '/v1/leads', { key: ws.live, body: { email: 'q@example.com' } }))
        .body;
      const q = await t.call('PATCH', `/v1/leads/${lead.id}`, {
        key: ws.live,
        body: { status: 'qualified', intent: 'demo' },
      });
      assert.equal(q.status, 200, q.text);
      assert.equal(q.body.status, 'qualified');
      const u = await t.call('PATCH', `/v1/leads/${lead.id}`, {
        key: ws.live,
        body: { name: 'Q', phone: '+14155550199' },
      });
      assert.equal(u.body.phone, '+14155550199');
      assert.deepEqual(
        (await eventsOf(lead.id)).map((e) => e.type),
        ['lead.captured', 'lead.qualified', 'lead.updated'],
      );
    });

    it('rejects bad input', async () => {
      const cases: Array<[Record<string, unknown>, number, string]> = [
        [{ phone: '12345' }, 400, 'phone'],
        [{ email: 'not-an-email' }, 400, 'email'],
        [{ phone: 'abc', email: 'nope' }, 400, 'email'],
        [{ name: 'No way to reach' }, 400, 'phone'],
        [{ phone: '+919876500002', status: 'won' }, 400, 'status'],
        [{ phone: '+919876500002', color: 'red' }, 400, 'color'],
        [{ contact_id: 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }, 404, ''],
        [{ phone: '+919876500002', agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D' }, 404, ''],
      ];
      for (const [body, status, field] of cases) {
        const res = await t.call('POST', '/v1/leads', { key: ws.live, body });
        assert.equal(res.status, status, `${JSON.stringify(body)} → ${res.text}`);
        if (field)
          assert.ok(
            res.body.error.errors.some((e: { field: string }) => e.field === field),
            `${JSON.stringify(body)}: ${res.text}`,
          );
      }
      const lead = (await t.call('POST', '/v1/leads', { key: ws.live, body: { phone: '+919876500003' } }))
        .body;
      assert.equal(
        (await t.call('PATCH', `/v1/leads/${lead.id}`, { key: ws.live, body: { email: 'bad' } })).status,
        400,
      );
    });

    it("hides another workspace's and mode's leads and contacts", async () => {
      const lead = (await t.call('POST', '/v1/leads', { key: ws.live, body: { phone: '+919876500004' } }))
        .body;
      for (const key of [other.live, ws.test]) {
        assert.equal((await t.call('GET', `/v1/leads/${lead.id}`, { key })).status, 404);
        assert.equal(
          (await t.call('PATCH', `/v1/leads/${lead.id}`, { key, body: { status: 'lost' } })).status,
          404,
        );
        assert.equal(
          (await t.call('POST', '/v1/leads', { key, body: { contact_id: lead.contact_id } })).status,
          404,
        );
      }
      const list = await t.call('GET', `/v1/leads?contact_id=${lead.contact_id}`, { key: ws.live });
      assert.deepEqual(
        list.body.data.map((l: { id: string }) => l.id),
        [lead.id],
      );
      assert.equal((await t.call('GET', '/v1/leads', { key: other.live })).body.meta.total, 0);
    });
  });

  describe('for the AI', () => {
    it('captures with actor ai and source ai, and concurrent captures make one lead', async () => {
      const scope = { workspaceId: ws.id, livemode: true, defaultCountry: 'IN' };
      const actor = { type: 'ai' as const, id: agentId };
      const { lead, created } = await captureLead(
        t.ctx,
        scope,
        { phone: '9876500010', name: 'Meera', agent_id: agentId },
        actor,
      );
      assert.equal(created, true);
      assert.equal(lead.source, 'ai');
      const ev = await eventsOf(lead.id);
      assert.deepEqual([ev[0].type, ev[0].actor_type, ev[0].actor_id], ['lead.captured', 'ai', agentId]);

      const contactId = lead.contact_id as string;
      await t.call('PATCH', `/v1/leads/${lead.id}`, { key: ws.live, body: { status: 'lost' } });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          captureLead(t.ctx, scope, { contact_id: contactId, fields: { [`k${i}`]: i } }, actor),
        ),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.lead.id)).size, 1);
      const open = await t.call('GET', `/v1/leads?contact_id=${contactId}&status=new`, { key: ws.live });
      assert.equal(open.body.meta.total, 1);
      assert.equal(Object.keys(open.body.data[0].fields).length, 6);
    });
  });
});
