import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';
import { makePdf } from '../support/pdf.ts';

const salonHtml = `<!doctype html><html><head><title>Glow Salon FAQ</title><script>var x = "ignore me";</script></head>
<body><nav>Home | About</nav><h1>Parking</h1><p>Free parking is available in the basement for all customers.</p>
<h2>Payments</h2><p>We accept UPI, cards and cash.</p></body></html>`;

forEachStorage('knowledge', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let web: Server;
  let webUrl: string;

  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow Salon' } });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    web = createServer((req, res) => {
      if (req.url === '/faq')
        return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(salonHtml);
      if (req.url === '/huge') {
        res.writeHead(200, { 'content-type': 'text/html' });
        const block = `<p>${'x'.repeat(1023)}</p>`;
        let sent = 0;
        const pump = () => {
          while (sent < 7 * 1024 && res.write(block)) sent++;
          if (sent < 7 * 1024) res.once('drain', pump);
          else res.end();
        };
        return void pump();
      }
      if (req.url === '/image')
        return void res
          .writeHead(200, { 'content-type': 'image/png' })
          .end(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      res.writeHead(404).end('nope');
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  });
  after(async () => {
    web.closeAllConnections();
    web.close();
    await t.close();
  });

  const kb = (path = '') => `/v1/agents/${agentId}/knowledge${path}`;

  it('indexes markdown into passages by heading and finds them, best first', async () => {
    const content = `# Timings\nWe are open Monday to Saturday, 10am to 7pm. Closed on Sunday.\n\n# Prices\nA haircut costs 500 rupees. A facial costs 1200 rupees.\n\n# Parking\nThere is no parking on site; use the mall parking next door.`;
    const res = await t.call('POST', kb(), {
      key: ws.test,
      body: { title: 'Salon basics', doc_type: 'markdown', content },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.chunk_count, 3);
    assert.equal(res.body.status, 'indexed');
    assert.equal(res.body.livemode, false);
    const search = await t.call('POST', kb('/search'), {
      key: ws.test,
      body: { query: 'how much is a haircut', top_k: 3 },
    });
    assert.equal(search.status, 200, search.text);
    assert.equal(search.body.data[0].title, 'Prices', 'a passage is titled by its heading');
    assert.match(search.body.data[0].text, /500 rupees/);
    assert.equal(search.body.data[0].doc_id, res.body.id);
    assert.ok(search.body.data[0].score > 0 && search.body.data[0].score <= 1);
    for (let i = 1; i < search.body.data.length; i++)
      assert.ok(search.body.data[i - 1].score >= search.body.data[i].score);
    const events = await t.ctx.db
      .selectFrom('events')
      .selectAll()
      .where('type', '=', 'knowledge.indexed')
      .where('object_id', '=', res.body.id)
      .execute();
    assert.equal(events.length, 1);
    assert.equal(JSON.parse(events[0].data).chunk_count, 3);
  });

  it('takes FAQ pairs as a field or as Q/A text, one passage per pair', async () => {
    const a = await t.call('POST', kb(), {
      key: ws.test,
      body: {
        doc_type: 'faq',
        title: 'FAQ',
        faqs: [
          { question: 'Do you sell gift cards?', answer: 'Yes, from 1000 rupees.' },
          { question: 'Is there wifi?', answer: 'Yes, free wifi.' },
        ],
      },
    });
    assert.equal(a.status, 201, a.text);
    assert.equal(a.body.chunk_count, 2);
    const b = await t.call('POST', kb(), {
      key: ws.test,
      body: {
        doc_type: 'faq',
        content:
          'Q: Do you do bridal makeup?\nA: Yes, packages from 15000.\n\nQ: Home service?\nA: Within 5 km.',
      },
    });
    assert.equal(b.status, 201, b.text);
    assert.equal(b.body.faqs.length, 2);
    const search = await t.call('POST', kb('/search'), { key: ws.test, body: { query: 'bridal makeup' } });
    assert.equal(search.body.data[0].title, 'Do you do bridal makeup?');
    const bad = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'faq', content: 'just some text, no pairs' },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.errors[0].field, 'content');
  });

  it('fetches a url and keeps its text, not its markup', async () => {
    const res = await t.call('POST', kb(), { key: ws.test, body: { doc_type: 'url', url: `${webUrl}/faq` } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.title, 'Glow Salon FAQ');
    assert.match(res.body.content, /Free parking is available in the basement/);
    assert.doesNotMatch(res.body.content, /<p>|ignore me|var x/);
    assert.equal(res.body.url, `${webUrl}/faq`);
    for (const [path, status] of [
      ['/missing', 422],
      ['/image', 415],
      ['/huge', 413],
    ] as const) {
      const r = await t.call('POST', kb(), {
        key: ws.test,
        body: { doc_type: 'url', url: `${webUrl}${path}` },
      });
      assert.equal(r.status, status, `${path}: ${r.text}`);
    }
  });

  it('reads a PDF or text file given as base64 or uploaded with multipart', async () => {
    const pdf = makePdf('Keratin treatment costs 6000 rupees and lasts four months.');
    const a = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'file', file: { filename: 'prices.pdf', content_base64: pdf.toString('base64') } },
    });
    assert.equal(a.status, 201, a.text);
    assert.match(a.body.content, /Keratin treatment costs 6000 rupees/);
    assert.equal(a.body.filename, 'prices.pdf');
    const boundary = '----parley1234';
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nNail menu\r\n`),
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="nails.md"\r\nContent-Type: text/markdown\r\n\r\n# Nails\nGel extensions cost 1800 rupees.\r\n`,
      ),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    const b = await t.call('POST', kb('/upload'), {
      key: ws.test,
      payload: multipart,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    assert.equal(b.status, 201, b.text);
    assert.equal(b.body.title, 'Nail menu');
    // The same form sent to the JSON route is refused with where it goes, and stores nothing.
    const misrouted = await t.call('POST', kb(), {
      key: ws.test,
      payload: multipart,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    assert.equal(misrouted.status, 415, misrouted.text);
    assert.match(misrouted.body.error.message, /knowledge\/upload/);
    assert.equal(b.body.doc_type, 'file');
    const search = await t.call('POST', kb('/search'), { key: ws.test, body: { query: 'gel extensions' } });
    assert.equal(search.body.data[0].doc_id, b.body.id);
    const binary = Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 7, 8, 9]);
    const c = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'file', file: { filename: 'x.bin', content_base64: binary.toString('base64') } },
    });
    assert.equal(c.status, 415, c.text);
  });

  it('refuses empty, binary and oversized documents clearly', async () => {
    const empty = await t.call('POST', kb(), { key: ws.test, body: { doc_type: 'text', content: '   \n ' } });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'validation_failed');
    const binary = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'text', content: `abc\u0000\u0001\u0002def` },
    });
    assert.equal(binary.status, 415);
    assert.equal(binary.body.error.code, 'unsupported_media_type');
    const big = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'text', content: 'word '.repeat(4 * 1024 * 1024) },
    });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'payload_too_large');
    const tooLongText = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'text', content: 'lorem ipsum '.repeat(100_000) },
    });
    assert.equal(tooLongText.status, 413);
    assert.match(tooLongText.body.error.message, /1000000/);
    const unknownField = await t.call('POST', kb(), {
      key: ws.test,
      body: { doc_type: 'text', content: 'x', colour: 'red' },
    });
    assert.equal(unknownField.status, 400);
  });

  it('gets, lists, replaces and deletes; the index follows', async () => {
    const created = await t.call('POST', kb(), {
      key: ws.test,
      body: { title: 'Old', content: 'The old price of a manicure was 400 rupees.' },
    });
    const id = created.body.id;
    const got = await t.call('GET', kb(`/${id}`), { key: ws.test });
    assert.equal(got.status, 200);
    assert.equal(got.body.title, 'Old');
    const list = await t.call('GET', `${kb()}?doc_type=text&per_page=100`, { key: ws.test });
    assert.ok(list.body.data.some((d: any) => d.id === id));
    assert.ok(list.body.data.every((d: any) => d.doc_type === 'text'));
    const put = await t.call('PUT', kb(`/${id}`), {
      key: ws.test,
      body: { title: 'New', content: 'A pedicure costs 800 rupees.' },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.title, 'New');
    const oldHit = await t.call('POST', kb('/search'), { key: ws.test, body: { query: 'manicure 400' } });
    assert.ok(!oldHit.body.data.some((h: any) => h.doc_id === id));
    const newHit = await t.call('POST', kb('/search'), { key: ws.test, body: { query: 'pedicure' } });
    assert.equal(newHit.body.data[0].doc_id, id);
    const del = await t.call('DELETE', kb(`/${id}`), { key: ws.test });
    assert.deepEqual(del.body, { id, object: 'knowledge_document', deleted: true });
    assert.equal((await t.call('GET', kb(`/${id}`), { key: ws.test })).status, 404);
    const gone = await t.call('POST', kb('/search'), { key: ws.test, body: { query: 'pedicure' } });
    assert.ok(!gone.body.data.some((h: any) => h.doc_id === id));
  });

  it('searches a large index by its telling words, best first, and sees new words at once', async () => {
    // Over 200 passages, words most passages hold ("price") are not searched, and on PostgreSQL
    // only the ts_rank-best matches are ordered by ts_rank_cd: "colour" is in 82 of them.
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Big salon' } });
    const big = `/v1/agents/${agent.body.id}/knowledge`;
    const sections = Array.from(
      { length: 900 },
      (_, i) =>
        `## Service ${i}\nThe price of service ${i} is listed at the counter${i % 11 === 0 ? `, see colour chart ${i}` : ''}.`,
    );
    sections.splice(450, 0, '## Keratin\nKeratin smoothing costs 3500 rupees.');
    sections.splice(700, 0, '## Hair colour\nGlobal colour costs 2500 rupees; a colour touch-up 1200.');
    const doc = await t.call('POST', big, {
      key: ws.test,
      body: { title: 'Price list', doc_type: 'markdown', content: sections.join('\n\n') },
    });
    assert.equal(doc.status, 201, doc.text);
    assert.equal(doc.body.chunk_count, 902);
    const search = async (query: string) => {
      const r = await t.call('POST', `${big}/search`, { key: ws.test, body: { query, top_k: 5 } });
      assert.equal(r.status, 200, r.text);
      return r.body.data as Array<{ title: string; text: string; score: number }>;
    };
    assert.equal((await search('keratin price'))[0]?.title, 'Keratin');
    const colour = await search('colour price');
    assert.equal(colour[0]?.title, 'Hair colour');
    assert.equal(colour.length, 5);
    assert.ok(colour.every((h) => /colour/i.test(h.text)));
    for (let i = 1; i < colour.length; i++) assert.ok(colour[i - 1].score >= colour[i].score);
    // "manicure" is counted (in no passage) before the document that holds it is written.
    assert.ok(!(await search('manicure price')).some((h) => /manicure/i.test(h.text)));
    const added = await t.call('POST', big, {
      key: ws.test,
      body: { title: 'Nails', doc_type: 'markdown', content: '## Manicure\nA manicure costs 400 rupees.' },
    });
    assert.equal(added.status, 201, added.text);
    assert.equal((await search('manicure price'))[0]?.title, 'Manicure');
  });

  it("never shows another workspace's or mode's knowledge", async () => {
    const other = await t.workspace();
    const otherAgent = await t.call('POST', '/v1/agents', { key: other.test, body: { name: 'Other' } });
    await t.call('POST', `/v1/agents/${otherAgent.body.id}/knowledge`, {
      key: other.test,
      body: { content: 'Secret pricing: haircut 99 rupees.' },
    });
    const mine = await t.call('POST', kb('/search'), { key: ws.test, body: { query: 'secret pricing 99' } });
    assert.ok(!mine.body.data.some((h: any) => /99 rupees/.test(h.text)));
    assert.equal(
      (
        await t.call('POST', `/v1/agents/${otherAgent.body.id}/knowledge/search`, {
          key: ws.test,
          body: { query: 'x' },
        })
      ).status,
      404,
    );
    assert.equal((await t.call('GET', kb(), { key: ws.live })).status, 404);
    const upload = await t.call('POST', `/v1/agents/${otherAgent.body.id}/knowledge/upload`, {
      key: ws.test,
      payload: 'x',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(upload.status, 404, upload.text);
    assert.equal(
      (await t.call('POST', kb('/search'), { key: other.test, body: { query: 'haircut' } })).status,
      404,
    );
    const doc = await t.call('GET', `${kb()}?per_page=1`, { key: ws.test });
    assert.equal(
      (
        await t.call('GET', `/v1/agents/${otherAgent.body.id}/knowledge/${doc.body.data[0].id}`, {
          key: other.test,
        })
      ).status,
      404,
    );
  });

  it("counts writes against the plan's knowledge writes per day", async () => {
    const small = await t.workspace({ plan: 'starter' });
    const a = await t.call('POST', '/v1/agents', { key: small.test, body: { name: 'Small' } });
    const url = `/v1/agents/${a.body.id}/knowledge`;
    for (let i = 0; i < 20; i++) {
      const r = await t.call('POST', url, { key: small.test, body: { content: `Fact number ${i}.` } });
      assert.equal(r.status, 201, r.text);
    }
    const over = await t.call('POST', url, { key: small.test, body: { content: 'One too many.' } });
    assert.equal(over.status, 429);
    assert.equal(over.body.error.code, 'rate_limited');
    assert.ok(Number(over.headers['retry-after']) > 0);
    // The live mode has its own allowance.
    const live = await t.call('POST', '/v1/agents', { key: small.live, body: { name: 'Live' } });
    assert.equal(
      (
        await t.call('POST', `/v1/agents/${live.body.id}/knowledge`, {
          key: small.live,
          body: { content: 'Live fact.' },
        })
      ).status,
      201,
    );
  });
});
