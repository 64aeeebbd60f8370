import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { newId } from '../../src/platform/ids.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { checkWithSystemTools, readSequentially, readWithYauzl } from '../support/zip-readers.ts';

/**
 * A contact's export zip (`GET /v1/contacts/{id}/export?format=zip`) read by readers other than
 * the writer: yauzl with each entry dated the day it was made, a front-to-back reader as Java's
 * ZipInputStream, and `unzip -t` / `python3 -m zipfile -t` where installed.
 */
forEachStorage('a contact export zip read by other readers', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let zip: Buffer;
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(50_000, 0x41)]);

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: '+14155550177', text: 'please send me everything you hold' },
    });
    assert.equal(r.status, 200, r.text);
    const conv = await t.call('GET', `/v1/conversations/${r.body.conversation_id}`, { key: ws.test });
    const message = await t.ctx.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', r.body.conversation_id)
      .executeTakeFirstOrThrow();
    await t.ctx.db
      .insertInto('message_attachments')
      .values({
        id: newId('att'),
        workspace_id: ws.id,
        livemode: 0,
        message_id: message.id,
        position: 0,
        filename: 'statement.pdf',
        mime_type: 'application/pdf',
        size: pdf.length,
        content_id: null,
        content_base64: pdf.toString('base64'),
        created_at: new Date().toISOString(),
      })
      .execute();
    const z = await t.parley.app.inject({
      method: 'GET',
      url: `/v1/contacts/${conv.body.contact.id}/export?format=zip`,
      headers: { authorization: `Bearer ${ws.test}` },
    });
    assert.equal(z.statusCode, 200, z.body.slice(0, 200));
    zip = z.rawPayload;
  });
  after(() => t?.close());

  const check = (entries: Array<{ name: string; data: Buffer }>) => {
    assert.deepEqual(
      entries.map((e) => e.name.replace(/msg_\w+\/att_\w+/, 'msg/att')),
      ['export.json', 'files/msg/att-statement.pdf'],
    );
    assert.equal(JSON.parse(entries[0]!.data.toString('utf8')).files, true);
    assert.deepEqual(entries[1]!.data, pdf);
  };

  it('yauzl reads every entry, each dated today (not 1980)', async () => {
    const entries = await readWithYauzl(zip);
    check(entries);
    const today = new Date().toISOString().slice(0, 10);
    for (const e of entries)
      assert.equal(e.mtime!.toISOString().slice(0, 10), today, `${e.name}: ${e.mtime}`);
  });

  it('a front-to-back reader of local headers (as Java’s ZipInputStream) reads every entry and its bytes', () => {
    check(readSequentially(zip));
  });

  it('unzip -t and python3 -m zipfile -t pass it (each when installed)', (c) => {
    const { failures, absent } = checkWithSystemTools(zip);
    assert.deepEqual(failures, []);
    if (absent.length) c.diagnostic(`not installed, not checked: ${absent.join(', ')}`);
    if (absent.length === 2) c.skip('neither unzip nor python3 is installed');
  });
});
