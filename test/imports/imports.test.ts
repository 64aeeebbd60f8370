import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  awayFromWindowEdge,
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

forEachStorage('imports', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_UPLOAD_LIMIT_BYTES: String(64 * 1024) } });
    ws = await t.workspace({ default_country: 'IN' });
    other = await t.workspace();
  });
  after(async () => t?.close());

  const csv = (key: string, text: string | Buffer, query = '') =>
    t.call('POST', `/v1/imports${query}`, { key, payload: text, headers: { 'content-type': 'text/csv' } });
  const done = (key: string, id: string) =>
    eventually(async () => {
      const r = await t.call('GET', `/v1/imports/${id}`, { key });
      return r.body.status === 'completed' || r.body.status === 'failed' ? r.body : null;
    });

  it('imports a CSV with a BOM, bad rows, duplicates and blank rows, reporting each by line', async () => {
    const text =
      '\uFEFFphone,name,email,tags,attributes.plan,City\n' +
      '9876543210,Asha,asha@example.com,vip;gold,premium,Pune\n' +
      '12345,Bad Phone,,,,\n' +
      '\n' +
      ',,,,,\n' +
      '+91 98765 43210,Dup,,,,\n' +
      '+14155550150,"Quoted, Name",bad-email,,,\n' +
      ',Email Only,only@example.com,,,\n' +
      ',Nobody,,,,\n';
    const res = await csv(ws.test, text);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.body.status, 'queued');
    const imp = await done(ws.test, res.body.id);
    assert.equal(imp.status, 'completed');
    assert.equal(imp.total_rows, 6);
    assert.equal(imp.created, 2);
    assert.equal(imp.skipped, 1);
    assert.equal(imp.failed, 3);
    assert.deepEqual(
      imp.errors.map((e: { row: number; field: string }) => [e.row, e.field]),
      [
        [3, 'phone'],
        [6, 'phone'],
        [7, 'email'],
        [9, 'phone'],
      ],
    );
    assert.match(imp.errors[1].message, /duplicate of row 2/);
    const c = await t.call('GET', '/v1/contacts?q=9876543210', { key: ws.test });
    assert.equal(c.body.data[0].phone, '+919876543210');
    assert.deepEqual(c.body.data[0].tags, ['vip', 'gold']);
    assert.deepEqual(c.body.data[0].attributes, { plan: 'premium', City: 'Pune' });
    const ev = await t.ctx.db.selectFrom('events').selectAll().where('object_id', '=', res.body.id).execute();
    assert.deepEqual(
      ev.map((e) => e.type),
      ['import.completed'],
    );
  });

  it('detects a semicolon-delimited file, updates existing contacts and fills an audience', async () => {
    const aud = await t.call('POST', '/v1/audiences', { key: ws.test, body: { name: 'Imported' } });
    await t.call('POST', '/v1/contacts', {
      key: ws.test,
      body: { phone: '+14155550160', name: 'Old', tags: ['a'], attributes: { x: '1' } },
    });
    const res = await csv(
      ws.test,
      'Phone Number;Name;Tags;attributes.y\n+14155550160;New;b|c;2\n+14155550161;Fresh;;\n',
      `?on_conflict=update&audience_id=${aud.body.id}`,
    );
    assert.equal(res.status, 202, res.text);
    const imp = await done(ws.test, res.body.id);
    assert.equal(imp.updated, 1);
    assert.equal(imp.created, 1);
    const c = await t.call('GET', '/v1/contacts?q=4155550160', { key: ws.test });
    assert.equal(c.body.data[0].name, 'New');
    assert.deepEqual(c.body.data[0].tags, ['a', 'b', 'c']);
    assert.deepEqual(c.body.data[0].attributes, { x: '1', y: '2' });
    assert.equal(
      (await t.call('GET', `/v1/audiences/${aud.body.id}`, { key: ws.test })).body.contact_count,
      2,
    );
  });

  it('skips existing contacts by default; JSON rows and multipart uploads work', async () => {
    const json = await t.call('POST', '/v1/imports', {
      key: ws.test,
      body: {
        rows: [
          { phone: '+14155550160', name: 'Ignored' },
          { phone: '+14155550170', tags: 'x|y' },
          { phone: 'bad' },
        ],
      },
    });
    assert.equal(json.status, 202, json.text);
    const j = await done(ws.test, json.body.id);
    assert.deepEqual([j.created, j.skipped, j.failed], [1, 1, 1]);
    // Under skip, an existing contact is not changed but still joins the audience.
    const aud = await t.call('POST', '/v1/audiences', { key: ws.test, body: { name: 'Skip audience' } });
    const again = await t.call('POST', '/v1/imports', {
      key: ws.test,
      body: {
        audience_id: aud.body.id,
        rows: [{ phone: '+14155550160', name: 'Not applied' }, { phone: '+14155550171' }],
      },
    });
    const a = await done(ws.test, again.body.id);
    assert.deepEqual([a.created, a.skipped], [1, 1]);
    assert.equal(
      (await t.call('GET', `/v1/audiences/${aud.body.id}`, { key: ws.test })).body.contact_count,
      2,
    );
    assert.equal(
      (await t.call('GET', '/v1/contacts?q=4155550160', { key: ws.test })).body.data[0].name,
      'New',
    );
    assert.deepEqual(j.errors[0], {
      row: 3,
      field: 'phone',
      message: 'must be a valid E.164 phone number (got "bad")',
    });

    const boundary = 'parleyboundary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="on_conflict"\r\n\r\nupdate\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\nphone\tname\n+14155550170\tTabbed\n\r\n--${boundary}--\r\n`;
    const mp = await t.call('POST', '/v1/imports', {
      key: ws.test,
      payload: body,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    assert.equal(mp.status, 202, mp.text);
    assert.equal(mp.body.filename, 'c.csv');
    const m = await done(ws.test, mp.body.id);
    assert.equal(m.updated, 1);
    assert.equal(m.on_conflict, 'update');
    const broken = await t.call('POST', '/v1/imports', {
      key: ws.test,
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.csv"\r\n\r\nphone\n`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    assert.equal(broken.status, 400);
  });

  it('refuses binary, headerless, oversized and wrongly typed uploads as a whole', async () => {
    const bin = await csv(ws.test, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a, 0x0a]));
    assert.equal(bin.status, 415);
    assert.equal(bin.body.error.code, 'unsupported_media_type');
    const noHeader = await csv(ws.test, 'first,last\nA,B\n');
    assert.equal(noHeader.status, 400);
    assert.match(noHeader.body.error.message, /phone or email column/);
    const big = await csv(ws.test, `phone\n${'+14155550100\n'.repeat(6000)}`);
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'payload_too_large');
    const xml = await t.call('POST', '/v1/imports', {
      key: ws.test,
      payload: '<x/>',
      headers: { 'content-type': 'application/xml' },
    });
    assert.equal(xml.status, 415);
    const noRows = await t.call('POST', '/v1/imports', { key: ws.test, body: {} });
    assert.equal(noRows.status, 400);
    const badConflict = await csv(ws.test, 'phone\n+14155550100\n', '?on_conflict=merge');
    assert.equal(badConflict.status, 400);
    const foreignAudience = await t.call('POST', '/v1/audiences', {
      key: other.test,
      body: { name: 'Theirs' },
    });
    const cross = await csv(ws.test, 'phone\n+14155550100\n', `?audience_id=${foreignAudience.body.id}`);
    assert.equal(cross.status, 404);
  });

  it('reports a file that breaks mid-way as failed, with the rows before it written', async () => {
    const res = await csv(ws.test, 'phone,name\n+14155550180,Ok\n+14155550181,"unclosed\n');
    assert.equal(res.status, 202);
    const imp = await done(ws.test, res.body.id);
    assert.equal(imp.status, 'failed');
    assert.equal(imp.created, 1);
    assert.equal(imp.errors.at(-1).field, 'file');
  });

  it("hides another workspace's and mode's imports", async () => {
    const res = await csv(ws.test, 'phone\n+14155550190\n');
    assert.equal((await t.call('GET', `/v1/imports/${res.body.id}`, { key: other.test })).status, 404);
    assert.equal((await t.call('GET', `/v1/imports/${res.body.id}`, { key: ws.live })).status, 404);
    const list = await t.call('GET', '/v1/imports', { key: other.test });
    assert.equal(list.body.meta.total, 0);
    await done(ws.test, res.body.id);
  });

  it('applies the plan limit on imports per minute', async () => {
    const starter = await t.workspace({ plan: 'starter' });
    await awayFromWindowEdge(60_000, 10_000);
    let last = 0;
    for (let i = 0; i < 11; i++) last = (await csv(starter.test, `phone\n+1415555020${i % 10}\n`)).status;
    assert.equal(last, 429);
  });
});
