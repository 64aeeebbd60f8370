import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Contacts exported from WhatsApp BSPs (docs/coming-from/bsp.md). The headers are the ones their
 * help pages describe: Interakt's "All Users" upload sheet ("Name", "Country Code" without the +,
 * "Phone Number" without the country code, "Email", "WhatsApp Opted" TRUE/FALSE;
 * interakt.shop/resource-center/all-users-contact-management-with-whatsapp-business-platform-new),
 * AiSensy's import sheet ("Name", "Mobile Number" with or without 91, tags;
 * aisensy.com/tutorials/how-to-import-contacts-aisensy), and WATI's contact fields as its API
 * names them (`CountryCode`, `Phone` as a WhatsApp id, `allowBroadcast`, `optedIn`). Opt-outs
 * become WhatsApp marketing stops in the consent ledger (source `import`); tags become tags.
 */
forEachStorage('imports from BSP exports', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace({ default_country: 'IN' });
  });
  after(async () => t?.close());

  const call = (method: string, url: string, body?: unknown) =>
    t.call(method, url, { key: ws.test, ...(body === undefined ? {} : { body }) });
  const importCsv = async (text: string, query = '') => {
    const res = await t.call('POST', `/v1/imports${query}`, {
      key: ws.test,
      payload: text,
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(res.status, 202, res.text);
    return eventually(async () => {
      const r = (await call('GET', `/v1/imports/${res.body.id}`)).body;
      return r.status === 'completed' || r.status === 'failed' ? r : null;
    });
  };
  const contact = async (phone: string) => {
    const list = await call('GET', `/v1/contacts?q=${encodeURIComponent(phone)}`);
    assert.equal(list.status, 200, list.text);
    const found = list.body.data.find((c: { phone: string }) => c.phone === phone);
    assert.ok(found, `no contact ${phone}: ${list.text}`);
    return found;
  };
  const marketing = async (id: string) => {
    const res = await call('GET', `/v1/contacts/${id}/consents`);
    assert.equal(res.status, 200, res.text);
    return {
      current: res.body.data.find((c: any) => c.channel === 'whatsapp' && c.purpose === 'marketing'),
      history: res.body.history.filter((c: any) => c.purpose === 'marketing'),
    };
  };

  it("Interakt's sheet: the country code column joins the number, WhatsApp Opted FALSE stops marketing, tags are kept", async () => {
    const imp = await importCsv(
      'Name,Country Code,Phone Number,Email,WhatsApp Opted,Tags\n' +
        'Asha Rao,91,9876500001,asha@example.com,TRUE,vip\n' +
        'Ravi Kumar,91,9876500002,,FALSE,"lead, diwali"\n' +
        'John Doe,1,4155550150,,,\n',
    );
    assert.equal(imp.status, 'completed', JSON.stringify(imp));
    assert.equal(imp.created, 3, JSON.stringify(imp.errors));
    const asha = await contact('+919876500001');
    assert.equal(asha.name, 'Asha Rao');
    assert.deepEqual(asha.tags, ['vip']);
    assert.equal((await marketing(asha.id)).current, undefined, 'opted in: nothing recorded');
    const ravi = await contact('+919876500002');
    assert.deepEqual(ravi.tags, ['lead', 'diwali']);
    const stop = await marketing(ravi.id);
    assert.equal(stop.current.status, 'revoked');
    assert.equal(stop.current.source, 'import');
    assert.equal(stop.current.detail, imp.id);
    assert.equal(ravi.opted_out, false, 'marketing only, not every message');
    await contact('+14155550150');
  });

  it("WATI's and AiSensy's columns: WhatsApp ids without +, first and last names, allowBroadcast and opt-out flags", async () => {
    const wati = await importCsv(
      'CountryCode,Phone,First Name,Last Name,allowBroadcast,Tags\n' +
        '91,919876500003,Meera,Nair,false,newsletter|vip\n' +
        '91,919876500004,Kiran,,true,\n',
    );
    assert.equal(wati.created, 2, JSON.stringify(wati.errors));
    const meera = await contact('+919876500003');
    assert.equal(meera.name, 'Meera Nair');
    assert.deepEqual(meera.tags, ['newsletter', 'vip']);
    assert.equal((await marketing(meera.id)).current.status, 'revoked');
    assert.equal((await marketing((await contact('+919876500004')).id)).current, undefined);

    const aisensy = await importCsv(
      'Name,Mobile Number,Tags,Opted-Out\n' +
        'Sana,919876500005,festive,Yes\n' +
        'Dev,9876500006,,No\n' +
        'Nobody,12345,,Yes\n',
    );
    assert.equal(aisensy.created, 2, JSON.stringify(aisensy.errors));
    assert.equal(aisensy.failed, 1);
    assert.deepEqual(
      aisensy.errors.map((e: { row: number; field: string }) => [e.row, e.field]),
      [[4, 'phone']],
    );
    const sana = await contact('+919876500005');
    assert.deepEqual(sana.tags, ['festive']);
    assert.equal((await marketing(sana.id)).current.status, 'revoked');
    assert.equal((await marketing((await contact('+919876500006')).id)).current, undefined);
  });

  it('an opt-out is kept for a contact that already exists, once, and marketing sends are refused before any provider', async () => {
    const existing = await call('POST', '/v1/contacts', { phone: '+919876500007', name: 'Already Here' });
    assert.equal(existing.status, 201, existing.text);
    const sheet = 'Name,Mobile Number,Opted Out\nAlready Here,+919876500007,TRUE\n';
    const first = await importCsv(sheet); // on_conflict skip: the contact is left as it is...
    assert.equal(first.skipped, 1);
    const again = await importCsv(sheet, '?on_conflict=update');
    assert.equal(again.updated, 1);
    const stop = await marketing(existing.body.id);
    assert.equal(stop.current.status, 'revoked', '...but its opt-out is recorded');
    assert.equal(stop.history.length, 1, 'a second import of the same opt-out adds nothing');
    assert.equal(stop.current.detail, first.id);
    const tpl = await call('POST', '/v1/templates', {
      name: 'festive_offer',
      language: 'en',
      category: 'marketing',
      body: 'Hi {{1}}, 20% off this week.',
    });
    assert.equal(tpl.status, 201, tpl.text);
    const refused = await call('POST', '/v1/messages', {
      to: '+919876500007',
      type: 'template',
      template: { name: 'festive_offer', language: 'en', variables: ['Asha'] },
    });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.body.error.code, 'contact_opted_out');
  });
});
