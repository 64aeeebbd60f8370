import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * Knowledge imported from real pages and files keeps its structure (issue 52): a price table as
 * one row per line, headings as the passages' titles, a windows-1252 page read in its charset
 * (it was refused as binary), and a Word document (.docx, mammoth's public test file, see
 * test/fixtures/knowledge/README.md) read through mammoth (it was refused, 415).
 */
const page = `<!doctype html><html><head><title>Glow Salon</title></head><body>
<h1>Glow Salon</h1><h2>Prices</h2>
<table><thead><tr><th>Service</th><th>Price</th></tr></thead>
<tbody><tr><td>Keratin</td><td>3000</td></tr><tr><td>Haircut</td><td>500</td></tr></tbody></table>
<h2>Caf\u00e9</h2><p>Our caf\u00e9 serves \u201cfilter coffee\u201d all day.</p></body></html>`;
// The same page as a legacy site serves it: windows-1252 bytes (é is 0xE9, “ ” are 0x93 0x94).
const cp1252 = (s: string) =>
  Buffer.from([...s].map((ch) => ({ '\u201c': 0x93, '\u201d': 0x94 })[ch as '\u201c'] ?? ch.charCodeAt(0)));

forEachStorage('knowledge import keeps structure', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let web: Server;
  let webUrl: string;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    agentId = (await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow' } })).body.id;
    web = createServer((req, res) => {
      if (req.url === '/utf8')
        return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      if (req.url === '/cp1252-header')
        return void res
          .writeHead(200, { 'content-type': 'text/html; charset=windows-1252' })
          .end(cp1252(page));
      if (req.url === '/cp1252-meta')
        return void res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(cp1252(page.replace('<head>', '<head><meta charset="windows-1252">')));
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  });
  after(async () => {
    web.close();
    await t.close();
  });
  const kb = (path = '') => `/v1/agents/${agentId}/knowledge${path}`;
  const search = async (query: string) =>
    (await t.call('POST', kb('/search'), { key: ws.test, body: { query, top_k: 3 } })).body.data as Array<{
      title: string;
      text: string;
      doc_id: string;
    }>;

  for (const path of ['/utf8', '/cp1252-header', '/cp1252-meta'])
    it(`a page (${path}): the table as rows under its heading, the charset honoured`, async () => {
      const res = await t.call('POST', kb(), {
        key: ws.test,
        body: { doc_type: 'url', url: `${webUrl}${path}` },
      });
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.content, /^Keratin \| 3000$/m);
      assert.match(res.body.content, /^## Prices$/m);
      assert.match(res.body.content, /Our café serves “filter coffee” all day\./);
      const hits = (await search('keratin price')).filter((h) => h.doc_id === res.body.id);
      assert.equal(hits[0]?.title, 'Glow Salon › Prices', JSON.stringify(hits));
      assert.match(hits[0]!.text, /Keratin \| 3000/);
      assert.equal((await t.call('DELETE', kb(`/${res.body.id}`), { key: ws.test })).status, 200);
    });

  it('a Word document (.docx) is read through mammoth, its table as rows', async () => {
    const docx = readFileSync(new URL('../fixtures/knowledge/tables.docx', import.meta.url));
    const res = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'file', file: { filename: 'tables.docx', content_base64: docx.toString('base64') } },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.content, 'Above\n\nTop left | Top right\nBottom left | Bottom right\n\nBelow');
  });

  it('a windows-1252 text file is read in its charset, not refused as binary', async () => {
    const res = await t.call('POST', kb(), {
      key: ws.test,
      body: {
        doc_type: 'file',
        file: {
          filename: 'menu.txt',
          content_base64: cp1252('Caf\u00e9 \u201cfilter coffee\u201d: 40 rupees.').toString('base64'),
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.content, 'Café “filter coffee”: 40 rupees.');
  });
});
