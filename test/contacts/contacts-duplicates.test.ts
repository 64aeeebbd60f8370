import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * GET /v1/contacts/duplicates (issue 62): the possible duplicates of the whole workspace, in groups,
 * by the rule of GET /v1/contacts/{id}/duplicates (email in any case, phone by its last 10 digits,
 * full name); merged contacts and other workspaces' contacts are never in them.
 */
forEachStorage('workspace duplicates', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let other: Workspace;
  const contact = async (body: Record<string, string>, key = w.test) => {
    const r = await t.call('POST', '/v1/contacts', { key, body });
    assert.equal(r.status, 201, r.text);
    return r.body.id as string;
  };
  const groups = async (query = '') => {
    const r = await t.call('GET', `/v1/contacts/duplicates${query}`, { key: w.test });
    assert.equal(r.status, 200, r.text);
    return r.body as {
      data: Array<{ reasons: string[]; contacts: Array<{ id: string }> }>;
      has_more: boolean;
    };
  };
  const ids = (g: { contacts: Array<{ id: string }> }) => g.contacts.map((c) => c.id).sort();

  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace({ default_country: 'IN' });
    other = await t.workspace({ default_country: 'IN' });
  });
  after(() => t?.close());

  it('groups contacts that share an email, a phone tail or a name, chained through each other', async () => {
    assert.deepEqual((await groups()).data, [], 'none in an empty workspace');
    const asha = await contact({ name: 'Asha Rao', email: 'Asha@Example.com' });
    const ashaMail = await contact({ email: 'asha@example.com', phone: '+917911123456' });
    const ashaPhone = await contact({ name: 'A. Rao', phone: '+447911123456' });
    const vikram = await contact({ name: 'Vikram Shah', phone: '+919811100002' });
    const vikramAgain = await contact({ name: '  vikram shah ', email: 'vik@example.com' });
    await contact({ name: 'Meera Iyer', phone: '+919811100003' });
    await contact({ name: 'Asha Rao', phone: '+919811100009' }, other.test);

    const { data, has_more } = await groups();
    assert.equal(has_more, false);
    assert.equal(data.length, 2, JSON.stringify(data));
    assert.deepEqual(
      ids(data[0]!),
      [asha, ashaMail, ashaPhone].sort(),
      'email and phone chain into one group',
    );
    assert.deepEqual(data[0]!.reasons, ['email', 'phone']);
    assert.deepEqual(ids(data[1]!), [vikram, vikramAgain].sort());
    assert.deepEqual(data[1]!.reasons, ['name']);

    const one = await groups('?limit=1');
    assert.equal(one.data.length, 1);
    assert.equal(one.has_more, true);

    // After a merge, the merged contact is in no group.
    const merged = await t.call('POST', `/v1/contacts/${vikram}/merge`, {
      key: w.test,
      body: { other_id: vikramAgain },
    });
    assert.equal(merged.status, 200, merged.text);
    const after = await groups();
    assert.equal(after.data.length, 1);
    assert.deepEqual(ids(after.data[0]!), [asha, ashaMail, ashaPhone].sort());
  });

  it('refuses a bad limit with a 400 and an agent keeps the read it has', async () => {
    const bad = await t.call('GET', '/v1/contacts/duplicates?limit=0', { key: w.test });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.code, 'validation_failed');
    const unknown = await t.call('GET', '/v1/contacts/duplicates?nope=1', { key: w.test });
    assert.equal(unknown.status, 400, unknown.text);
    const theirs = await t.call('GET', '/v1/contacts/duplicates', { key: other.test });
    assert.equal(theirs.status, 200);
    assert.deepEqual(theirs.body.data, [], 'another workspace sees none of these');
    const none = await t.call('GET', '/v1/contacts/duplicates');
    assert.equal(none.status, 401);
  });
});
