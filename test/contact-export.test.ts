import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from './support/harness.ts';

/** Issue 51 item 3: a person's data export, streamed page by page, whole, and audited. */
forEachStorage('a contact data export', (storage) => {
  let t: TestApp;
  let ws: Workspace;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
  });
  after(() => t?.close());

  it('streams the contact, every conversation with all its messages, leads and bookings', async () => {
    const phone = '+14155550188';
    let conversationId = '';
    for (let i = 0; i < 130; i++) {
      const r = await t.call('POST', '/v1/sandbox/inbound', {
        key: ws.test,
        body: { from: phone, text: `message ${i}` },
      });
      assert.equal(r.status, 200, r.text);
      conversationId = r.body.conversation_id;
    }
    const conv = await t.call('GET', `/v1/conversations/${conversationId}`, { key: ws.test });
    const contactId = conv.body.contact.id as string;
    const lead = await t.call('POST', '/v1/leads', {
      key: ws.test,
      body: { contact_id: contactId, conversation_id: conversationId, intent: 'export test' },
    });
    assert.ok(lead.status < 300, lead.text);
    const all: string[] = [];
    for (let page = 1; ; page++) {
      const m = await t.call(
        'GET',
        `/v1/conversations/${conversationId}/messages?per_page=100&page=${page}`,
        {
          key: ws.test,
        },
      );
      all.push(...m.body.data.map((x: { id: string }) => x.id));
      if (page >= m.body.meta.total_pages) break;
    }
    assert.ok(all.length >= 130, `${all.length} messages`);

    const res = await t.call('GET', `/v1/contacts/${contactId}/export`, { key: ws.test });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.match(String(res.headers['content-type']), /application\/json/);
    assert.match(String(res.headers['content-disposition']), /attachment/);
    const doc = JSON.parse(res.text);
    assert.equal(doc.object, 'contact_export');
    assert.equal(doc.contact.id, contactId);
    assert.equal(doc.conversations.length, 1);
    assert.equal(doc.conversations[0].conversation.id, conversationId);
    assert.deepEqual(
      doc.conversations[0].messages.map((m: { id: string }) => m.id).sort(),
      [...all].sort(),
      'every message once, across pages',
    );
    assert.ok(doc.conversations[0].messages.some((m: { text: string }) => m.text === 'message 129'));
    assert.equal(doc.leads.length, 1);
    assert.deepEqual(doc.bookings, []);

    const audit = await t.call('GET', `/v1/audit-log?object_id=${contactId}`, { key: ws.test });
    assert.ok(
      audit.body.data.some((e: { action: string }) => e.action === 'getContactExport'),
      audit.text,
    );
    const missing = await t.call('GET', '/v1/contacts/ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D/export', {
      key: ws.test,
    });
    assert.equal(missing.status, 404);
    const other = await t.workspace();
    assert.equal((await t.call('GET', `/v1/contacts/${contactId}/export`, { key: other.test })).status, 404);
  });
});
