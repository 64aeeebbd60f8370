import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'kysely';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/** POST /v1/contacts/{id}/merge and GET /v1/contacts/{id}/duplicates: one person known twice becomes one contact. */
forEachStorage('contact merge', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let other: Workspace;
  const inbound = async (body: Record<string, string>) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const conversation = async (id: string) =>
    (await t.call('GET', `/v1/conversations/${id}`, { key: w.test })).body;
  const contactOf = async (id: string) => (await conversation(id)).contact.id as string;
  const lead = async (body: Record<string, string>) => {
    const r = await t.call('POST', '/v1/leads', { key: w.test, body });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };

  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    other = await t.workspace();
  });
  after(async () => {
    await t.close();
  });

  it('moves conversations, leads and tags of the other contact, fills the kept one, and emits contact.merged', async () => {
    const onWhatsApp = await inbound({
      from: '+919811100001',
      text: 'Hi, refund for order 5531?',
      name: 'Asha Rao',
    });
    const byEmail = await inbound({
      from: 'asha.rao@example.com',
      channel: 'email',
      text: 'Following up on my refund',
    });
    const kept = await contactOf(onWhatsApp);
    const gone = await contactOf(byEmail);
    assert.notEqual(kept, gone);
    await t.call('PATCH', `/v1/contacts/${gone}`, {
      key: w.test,
      body: { tags: ['refund'], attributes: { plan: 'gold', city: 'Pune' }, opted_out: true },
    });
    await t.call('PATCH', `/v1/contacts/${kept}`, {
      key: w.test,
      body: { tags: ['vip'], attributes: { plan: 'basic' } },
    });
    const emailLead = await lead({ email: 'asha.rao@example.com', name: 'Asha', intent: 'refund' });

    const merged = await t.call('POST', `/v1/contacts/${kept}/merge`, {
      key: w.test,
      body: { other_id: gone },
    });
    assert.equal(merged.status, 200, merged.text);
    assert.equal(merged.body.id, kept);
    assert.equal(merged.body.phone, '+919811100001');
    assert.equal(merged.body.email, 'asha.rao@example.com', "the other's email fills the kept contact");
    assert.equal(merged.body.name, 'Asha Rao');
    assert.deepEqual(merged.body.tags, ['vip', 'refund']);
    assert.deepEqual(
      merged.body.attributes,
      { plan: 'basic', city: 'Pune' },
      "the kept contact's values win",
    );
    assert.equal(merged.body.opted_out, true, 'an opt-out of either holds');
    assert.equal(merged.body.merged_into, null);

    // Both conversations, and the lead, are the kept contact's now, with all their messages.
    assert.equal(await contactOf(byEmail), kept);
    const list = await t.call('GET', `/v1/conversations?contact_id=${kept}&status=active`, { key: w.test });
    assert.deepEqual(
      new Set(list.body.data.map((c: { id: string }) => c.id)),
      new Set([onWhatsApp, byEmail]),
    );
    const msgs = await t.call('GET', `/v1/conversations/${byEmail}/messages`, { key: w.test });
    assert.ok(msgs.body.data.some((m: { text: string }) => m.text === 'Following up on my refund'));
    const leadRow = await t.ctx.db
      .selectFrom('leads')
      .select('contact_id')
      .where('id', '=', emailLead.id)
      .executeTakeFirst();
    if (emailLead.contact_id) assert.equal(leadRow?.contact_id, kept);

    // The other contact is a record of the merge: readable by id, never listed or found.
    const goneNow = await t.call('GET', `/v1/contacts/${gone}`, { key: w.test });
    assert.equal(goneNow.body.merged_into, kept);
    assert.equal(goneNow.body.email, null);
    const contacts = await t.call('GET', '/v1/contacts?per_page=100', { key: w.test });
    assert.ok(!contacts.body.data.some((c: { id: string }) => c.id === gone));
    const byAddress = await t.call('GET', '/v1/contacts?q=asha.rao', { key: w.test });
    assert.deepEqual(
      byAddress.body.data.map((c: { id: string }) => c.id),
      [kept],
    );

    const events = await t.ctx.db
      .selectFrom('events')
      .select(['type', 'data'])
      .where('workspace_id', '=', w.id)
      .where('type', '=', 'contact.merged')
      .execute();
    assert.equal(events.length, 1);
    const data = JSON.parse(events[0]!.data as unknown as string);
    assert.equal(data.id, kept);
    assert.equal(data.merged_contact_id, gone);
    // Every module that keeps a contact's rows follows the merge through that event, in module order.
    assert.deepEqual(
      t.ctx.reactions
        .list()
        .filter((r) => r.hears.includes('contact.merged'))
        .map((r) => `${r.name} ${r.step}`),
      [
        'audiences',
        'conversations',
        'broadcasts',
        'leads',
        'bookings',
        'voice',
        'campaigns',
        'teamtools',
        'widget',
      ].map((m) => `${m}.contact_merge follow`),
    );

    // The customer writes again from the email address: the kept contact's conversation takes it.
    const again = await inbound({ from: 'asha.rao@example.com', channel: 'email', text: 'Any news?' });
    assert.equal(again, byEmail);
  });

  it('leaves a conversation on a channel the kept contact already uses with the other, as history', async () => {
    const a = await inbound({ from: '+919811100011', text: 'first number' });
    const b = await inbound({ from: '+919811100012', text: 'second number' });
    const kept = await contactOf(a);
    const gone = await contactOf(b);
    const r = await t.call('POST', `/v1/contacts/${kept}/merge`, { key: w.test, body: { other_id: gone } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.phone, '+919811100011', "the kept contact's phone stays");
    assert.equal(await contactOf(a), kept);
    assert.equal(
      await contactOf(b),
      gone,
      'one conversation per contact and channel: the clash stays with the other',
    );
    assert.equal((await conversation(b)).status, 'active');
    // The other's number is free again: its next message starts with the kept contact? No: a new contact.
    const next = await inbound({ from: '+919811100012', text: 'hello again' });
    assert.notEqual(await contactOf(next), gone, 'a merged-away contact is never found again');
  });

  it('refuses itself, another workspace, a merged contact and bad ids, changing nothing', async () => {
    const a = await contactOf(await inbound({ from: '+919811100021', text: 'x' }));
    const b = await contactOf(await inbound({ from: '+919811100022', text: 'y' }));
    const foreign = (
      await t.call('POST', '/v1/contacts', { key: other.test, body: { phone: '+919811100023' } })
    ).body.id;
    const cases: Array<[string, unknown, number, string]> = [
      [a, { other_id: a }, 400, 'other_id'],
      [a, { other_id: foreign }, 400, 'other_id'],
      [a, { other_id: 'ct_nope' }, 400, 'other_id'],
      [a, {}, 400, 'other_id'],
      [a, { other_id: b, extra: 1 }, 400, 'extra'],
      ['ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D', { other_id: b }, 404, ''],
    ];
    for (const [id, body, status, field] of cases) {
      const r = await t.call('POST', `/v1/contacts/${id}/merge`, { key: w.test, body });
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      if (field) assert.ok(JSON.stringify(r.body.error.errors ?? r.body.error).includes(field), r.text);
    }
    assert.equal((await t.call('GET', `/v1/contacts/${b}`, { key: w.test })).body.merged_into, null);
    assert.equal(
      (await t.call('POST', `/v1/contacts/${a}/merge`, { key: w.test, body: { other_id: b } })).status,
      200,
    );
    // Merged once: neither direction can merge it again.
    assert.equal(
      (await t.call('POST', `/v1/contacts/${a}/merge`, { key: w.test, body: { other_id: b } })).status,
      400,
    );
    assert.equal(
      (await t.call('POST', `/v1/contacts/${b}/merge`, { key: w.test, body: { other_id: a } })).status,
      404,
    );
  });

  it('is for admins only: an agent and a key scoped contacts:write get a 403 naming privacy:merge, and nothing moves', async () => {
    const a = await t.call('POST', '/v1/contacts', {
      key: w.test,
      body: { phone: '+919811100071', name: 'Ira' },
    });
    const b = await t.call('POST', '/v1/contacts', {
      key: w.test,
      body: { email: 'ira@merge.test', name: 'Ira' },
    });
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    const user = await t.call('POST', '/v1/users', {
      key: w.test,
      body: { name: 'Asha', email: 'asha@merge.test', role: 'agent', password: 'a long password' },
    });
    assert.equal(user.status, 201, user.text);
    const login = await t.call('POST', '/v1/auth/login', {
      body: { email: 'asha@merge.test', password: 'a long password' },
    });
    assert.equal(login.status, 200, login.text);
    const scoped = await t.call('POST', '/v1/api-keys', {
      key: w.test,
      body: { name: 'crm sync', scopes: ['contacts:write'] },
    });
    assert.equal(scoped.status, 201, scoped.text);
    for (const key of [login.body.token as string, scoped.body.key as string]) {
      const r = await t.call('POST', `/v1/contacts/${a.body.id}/merge`, {
        key,
        body: { other_id: b.body.id },
      });
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error.code, 'forbidden');
      assert.equal(r.body.error.required_scope, 'privacy:merge');
    }
    const still = await t.call('GET', `/v1/contacts/${b.body.id}`, { key: w.test });
    assert.equal(still.body.merged_into, null);
    const kept = await t.call('GET', `/v1/contacts/${a.body.id}`, { key: w.test });
    assert.equal(kept.body.email, null);
    // An admin's key merges them.
    const ok = await t.call('POST', `/v1/contacts/${a.body.id}/merge`, {
      key: w.test,
      body: { other_id: b.body.id },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.email, 'ira@merge.test');
  });

  it('suggests duplicates by email, phone digits and name', async () => {
    const make = async (body: Record<string, string>) => {
      const r = await t.call('POST', '/v1/contacts', { key: w.test, body });
      assert.equal(r.status, 201, r.text);
      return r.body.id as string;
    };
    const main = await make({ phone: '+919822200001', email: 'ravi.k@example.com', name: 'Ravi Kumar' });
    const sameEmail = await make({ email: 'RAVI.K@example.com' });
    const sameName = await make({ phone: '+919822200999', name: 'ravi kumar' });
    await make({ phone: '+919822200555', name: 'Someone Else' });
    const r = await t.call('GET', `/v1/contacts/${main}/duplicates`, { key: w.test });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(
      r.body.data.map((d: { contact: { id: string }; reasons: string[] }) => [d.contact.id, d.reasons]),
      [
        [sameEmail, ['email']],
        [sameName, ['name']],
      ],
    );
    assert.equal(
      (await t.call('GET', '/v1/contacts/ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D/duplicates', { key: w.test })).status,
      404,
    );
  });
  // Only PostgreSQL has concurrent writers. A contact edit (a person's PATCH, the Graph profile
  // read) beside a merge that gave the contact an address must not put back what it read before:
  // CI once lost an Instagram id this way, so the customer's next message made a new contact.
  it('an edit waiting on a merge keeps the address the merge gave the contact', {
    skip: storage !== 'postgres' && 'SQLite has one writer at a time',
  }, async () => {
    const id = await contactOf(await inbound({ from: '+919811100077', text: 'hello' }));
    const { edit } = await t.ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('contacts')
        .set({ instagram_igsid: '17841400000077' })
        .where('id', '=', id)
        .execute();
      const pending = t.call('PATCH', `/v1/contacts/${id}`, {
        key: w.test,
        body: { attributes: { seen: 'yes' } },
      });
      await eventually(async () => {
        const r = await sql<{ n: string }>`select count(*) as n from pg_stat_activity
            where datname = current_database() and wait_event_type = 'Lock'
              and query ilike '%"contacts"%'`.execute(t.ctx.db);
        return Number(r.rows[0]!.n) > 0;
      });
      return { edit: pending };
    });
    const r = await edit;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.attributes.seen, 'yes');
    const row = await t.ctx.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.instagram_igsid, '17841400000077');
  });
});
