import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

forEachStorage('contacts and audiences', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'IN' });
    other = await t.workspace();
  });
  after(async () => t?.close());

  describe('contacts', () => {
    it('creates a contact with a local phone stored in E.164, and emits contact.created', async () => {
      const res = await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: {
          phone: '098765 43210',
          name: 'Asha Rao',
          email: 'Asha@Example.com',
          attributes: { plan: 'premium', visits: 3, vip: true },
          tags: ['vip', 'vip', ' pune '],
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.phone, '+919876543210');
      assert.equal(res.body.email, 'asha@example.com');
      assert.deepEqual(res.body.tags, ['vip', 'pune']);
      assert.equal(res.body.livemode, false);
      const ev = await t.ctx.db
        .selectFrom('events')
        .selectAll()
        .where('object_id', '=', res.body.id)
        .execute();
      assert.deepEqual(
        ev.map((e) => e.type),
        ['contact.created'],
      );
      assert.equal(ev[0].actor_type, 'api_key');
    });

    it('refuses a duplicate phone with 409 naming the existing id', async () => {
      const a = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: '+14155550101' } });
      const b = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: '+1 (415) 555-0101' } });
      assert.equal(b.status, 409);
      assert.equal(b.body.error.code, 'conflict');
      assert.equal(b.body.error.existing_id, a.body.id);
      // The same phone in the other mode is another world.
      const live = await t.call('POST', '/v1/contacts', { key: ws.live, body: { phone: '+14155550101' } });
      assert.equal(live.status, 201);
    });

    it('names an invalid phone and email in a 400', async () => {
      const res = await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: { phone: '12345', email: 'nope' },
      });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.error.errors.map((e: { field: string }) => e.field).sort(), [
        'email',
        'phone',
      ]);
      assert.match(res.body.error.message, /^phone: must be a valid E.164 phone number/);
      const none = await t.call('POST', '/v1/contacts', { key: ws.test, body: { name: 'No way to reach' } });
      assert.equal(none.status, 400);
      const unknown = await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: { phone: '+14155550199', colour: 'red' },
      });
      assert.equal(unknown.status, 400);
      const badAttr = await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: { phone: '+14155550199', attributes: { nested: { a: 1 } } },
      });
      assert.equal(badAttr.status, 400);
    });

    it('updates (attributes merge, null removes) and deletes', async () => {
      const c = await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: { phone: '+14155550102', attributes: { a: '1', b: '2' } },
      });
      const u = await t.call('PATCH', `/v1/contacts/${c.body.id}`, {
        key: ws.test,
        body: { attributes: { a: null, c: 3 }, dnd: true, name: 'Ravi' },
      });
      assert.equal(u.status, 200, u.text);
      assert.deepEqual(u.body.attributes, { b: '2', c: 3 });
      assert.equal(u.body.dnd, true);
      const dup = await t.call('PATCH', `/v1/contacts/${c.body.id}`, {
        key: ws.test,
        body: { phone: '+14155550101' },
      });
      assert.equal(dup.status, 409);
      const d = await t.call('DELETE', `/v1/contacts/${c.body.id}`, { key: ws.test });
      assert.deepEqual(d.body, { id: c.body.id, object: 'contact', deleted: true });
      assert.equal((await t.call('GET', `/v1/contacts/${c.body.id}`, { key: ws.test })).status, 404);
    });

    it('lists with search, tag, attribute and flag filters', async () => {
      await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: {
          phone: '+14155550110',
          name: 'Zed Filter',
          tags: ['gold'],
          attributes: { city: 'Pune', visits: 5, vip: true },
        },
      });
      await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: {
          phone: '+14155550111',
          name: 'Yan Filter',
          tags: ['silver'],
          attributes: { city: 'Delhi', visits: '5' },
          opted_out: true,
        },
      });
      const q = await t.call('GET', '/v1/contacts?q=filter', { key: ws.test });
      assert.equal(q.body.meta.total, 2);
      const tag = await t.call('GET', '/v1/contacts?tag=gold', { key: ws.test });
      assert.deepEqual(
        tag.body.data.map((c: { name: string }) => c.name),
        ['Zed Filter'],
      );
      const attr = await t.call('GET', '/v1/contacts?attributes.city=Pune', { key: ws.test });
      assert.deepEqual(
        attr.body.data.map((c: { name: string }) => c.name),
        ['Zed Filter'],
      );
      const num = await t.call('GET', '/v1/contacts?attributes.visits=5', { key: ws.test });
      assert.equal(num.body.meta.total, 2);
      const bool = await t.call('GET', '/v1/contacts?attributes.vip=true&q=filter', { key: ws.test });
      assert.equal(bool.body.meta.total, 1);
      const opted = await t.call('GET', '/v1/contacts?opted_out=true&q=filter', { key: ws.test });
      assert.deepEqual(
        opted.body.data.map((c: { name: string }) => c.name),
        ['Yan Filter'],
      );
      const phone = await t.call('GET', '/v1/contacts?q=4155550110', { key: ws.test });
      assert.equal(phone.body.meta.total, 1);
      const paged = await t.call('GET', '/v1/contacts?per_page=1&page=2', { key: ws.test });
      assert.equal(paged.body.data.length, 1);
      assert.equal(paged.body.meta.per_page, 1);
    });

    it("hides another workspace's and mode's contacts", async () => {
      const c = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: '+14155550120' } });
      assert.equal((await t.call('GET', `/v1/contacts/${c.body.id}`, { key: other.test })).status, 404);
      assert.equal((await t.call('GET', `/v1/contacts/${c.body.id}`, { key: ws.live })).status, 404);
      assert.equal(
        (await t.call('PATCH', `/v1/contacts/${c.body.id}`, { key: other.test, body: { name: 'x' } })).status,
        404,
      );
      assert.equal((await t.call('DELETE', `/v1/contacts/${c.body.id}`, { key: ws.live })).status, 404);
      const list = await t.call('GET', '/v1/contacts?q=4155550120', { key: other.test });
      assert.equal(list.body.meta.total, 0);
    });
  });

  describe('audiences', () => {
    it('static audience: add by ids and phones (creating contacts), list, remove', async () => {
      const aud = await t.call('POST', '/v1/audiences', { key: ws.test, body: { name: 'Static' } });
      assert.equal(aud.status, 201, aud.text);
      assert.equal(aud.body.type, 'static');
      const c = await t.call('POST', '/v1/contacts', { key: ws.test, body: { phone: '+14155550130' } });
      const add = await t.call('POST', `/v1/audiences/${aud.body.id}/contacts`, {
        key: ws.test,
        body: { contact_ids: [c.body.id], phones: ['+14155550131', '+14155550130'] },
      });
      assert.equal(add.status, 200, add.text);
      assert.equal(add.body.added, 2);
      assert.equal(add.body.created_contacts, 1);
      assert.equal(add.body.audience.contact_count, 2);
      const again = await t.call('POST', `/v1/audiences/${aud.body.id}/contacts`, {
        key: ws.test,
        body: { contact_ids: [c.body.id] },
      });
      assert.equal(again.body.added, 0);
      const members = await t.call('GET', `/v1/audiences/${aud.body.id}/contacts?per_page=1`, {
        key: ws.test,
      });
      assert.equal(members.body.meta.total, 2);
      assert.equal(members.body.data.length, 1);
      const bad = await t.call('POST', `/v1/audiences/${aud.body.id}/contacts`, {
        key: ws.test,
        body: { phones: ['+14155550132', 'garbage'] },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.errors[0].field, 'phones.1');
      const foreign = await t.call('POST', '/v1/contacts', {
        key: other.test,
        body: { phone: '+14155550133' },
      });
      const cross = await t.call('POST', `/v1/audiences/${aud.body.id}/contacts`, {
        key: ws.test,
        body: { contact_ids: [foreign.body.id] },
      });
      assert.equal(cross.status, 400);
      assert.equal(cross.body.error.errors[0].field, 'contact_ids.0');
      const rm = await t.call('DELETE', `/v1/audiences/${aud.body.id}/contacts`, {
        key: ws.test,
        body: { phones: ['+14155550131'] },
      });
      assert.equal(rm.status, 200, rm.text);
      assert.equal(rm.body.removed, 1);
      assert.equal(rm.body.audience.contact_count, 1);
      // Deleting a contact removes it from the audience.
      await t.call('DELETE', `/v1/contacts/${c.body.id}`, { key: ws.test });
      assert.equal(
        (await t.call('GET', `/v1/audiences/${aud.body.id}`, { key: ws.test })).body.contact_count,
        0,
      );
    });

    it('rule audience is evaluated when used and refuses static member changes', async () => {
      const aud = await t.call('POST', '/v1/audiences', {
        key: ws.test,
        body: { name: 'Rule', filter: { tags: ['rulegold'], attributes: { tier: 2 } } },
      });
      assert.equal(aud.status, 201, aud.text);
      assert.equal(aud.body.contact_count, 0);
      await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: { phone: '+14155550140', tags: ['rulegold'], attributes: { tier: 2 } },
      });
      await t.call('POST', '/v1/contacts', {
        key: ws.test,
        body: { phone: '+14155550141', tags: ['rulegold'], attributes: { tier: 3 } },
      });
      const got = await t.call('GET', `/v1/audiences/${aud.body.id}/contacts`, { key: ws.test });
      assert.deepEqual(
        got.body.data.map((c: { phone: string }) => c.phone),
        ['+14155550140'],
      );
      const add = await t.call('POST', `/v1/audiences/${aud.body.id}/contacts`, {
        key: ws.test,
        body: { phones: ['+14155550142'] },
      });
      assert.equal(add.status, 409);
      const upd = await t.call('PATCH', `/v1/audiences/${aud.body.id}`, {
        key: ws.test,
        body: { filter: { tags: ['rulegold'] } },
      });
      assert.equal(upd.body.contact_count, 2);
      const { audienceContactIds } = await import('../../src/modules/audiences/audiences.service.ts');
      const batches: string[][] = [];
      for await (const b of audienceContactIds(
        t.ctx.db,
        t.ctx.dialect,
        { workspaceId: ws.id, livemode: false, defaultCountry: 'IN' },
        aud.body.id,
        1,
      ))
        batches.push(b);
      assert.equal(batches.length, 2);
      assert.equal(batches.flat().length, 2);
    });

    it("hides another workspace's audiences", async () => {
      const aud = await t.call('POST', '/v1/audiences', { key: ws.test, body: { name: 'Mine' } });
      for (const [m, p] of [
        ['GET', `/v1/audiences/${aud.body.id}`],
        ['GET', `/v1/audiences/${aud.body.id}/contacts`],
        ['DELETE', `/v1/audiences/${aud.body.id}`],
      ] as const) {
        assert.equal((await t.call(m, p, { key: other.test })).status, 404);
        assert.equal((await t.call(m, p, { key: ws.live })).status, 404);
      }
      const del = await t.call('DELETE', `/v1/audiences/${aud.body.id}`, { key: ws.test });
      assert.equal(del.body.deleted, true);
    });
  });
});
