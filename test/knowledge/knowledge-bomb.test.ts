import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';
import { docxBomb } from '../support/docx-bomb.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * A Word document built to inflate without end (the defects issue, item 2: a 300 KB .docx took
 * the server to 1.4 GB, a 1.2 MB one to 3.8 GB): refused with a 413 naming the limit, before
 * anything is inflated when its zip declares its size and as soon as it passes the declared size
 * when the zip lies; nothing is kept, and the server's memory (its RSS, sampled while the upload
 * runs) does not grow past a bound far below what the document inflates to.
 */
const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
/** What the server's RSS may grow by while a bomb is refused (a document worker starting included). */
const RSS_BOUND = 150 * MB;

forEachStorage('knowledge: Word document bombs', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  before(async () => {
    t = await startTestApp(storage);
    ws = await t.workspace();
    agentId = (await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow' } })).body.id;
  });
  after(async () => t?.close());

  const multipart = (file: Buffer, filename: string) => {
    const boundary = `----parley${Math.random().toString(16).slice(2)}`;
    return {
      payload: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\r\n\r\n`,
        ),
        file,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    };
  };

  /** Runs `send`, sampling the process's RSS every few milliseconds; answers the response and the peak growth. */
  async function measured<T>(send: () => Promise<T>): Promise<{ res: T; growth: number }> {
    globalThis.gc?.();
    const start = process.memoryUsage.rss();
    let peak = start;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 5);
    try {
      const res = await send();
      peak = Math.max(peak, process.memoryUsage.rss());
      return { res, growth: peak - start };
    } finally {
      clearInterval(sampler);
    }
  }

  const documents = async () =>
    (await t.call('GET', `/v1/agents/${agentId}/knowledge`, { key: ws.test })).body.meta.total as number;

  it('a 1 GB document.xml (3 MB uploaded) is a 413 naming the limit, read no further than its zip directory', async () => {
    const bomb = docxBomb(GB);
    assert.ok(bomb.length < 4 * MB, `${bomb.length}`);
    const before = await documents();
    const { res, growth } = await measured(() =>
      t.call('POST', `/v1/agents/${agentId}/knowledge/upload`, {
        key: ws.test,
        ...multipart(bomb, 'menu.docx'),
      }),
    );
    assert.ok(growth < RSS_BOUND, `RSS grew ${Math.round(growth / MB)} MB (${res.status})`);
    assert.equal(res.status, 413, res.text);
    assert.equal(res.body.error.code, 'payload_too_large');
    assert.match(res.body.error.message, /inflates to 1024 MB; Parley reads at most 16 MB of XML/);
    assert.match(res.body.error.request_id, /^req_/);
    assert.equal(await documents(), before);
  });

  it('a bomb whose zip declares 10 KB (as JSON base64) is a 413 once it inflates past that', async () => {
    const bomb = docxBomb(256 * MB, { declareBytes: 10_000 });
    const before = await documents();
    const { res, growth } = await measured(() =>
      t.call('POST', `/v1/agents/${agentId}/knowledge`, {
        key: ws.test,
        body: { doc_type: 'file', file: { filename: 'menu.docx', content_base64: bomb.toString('base64') } },
      }),
    );
    assert.ok(growth < RSS_BOUND, `RSS grew ${Math.round(growth / MB)} MB (${res.status})`);
    assert.equal(res.status, 413, res.text);
    assert.equal(res.body.error.code, 'payload_too_large');
    assert.match(res.body.error.message, /inflates past the sizes its zip declares/);
    assert.equal(await documents(), before);
  });

  it('a document within the limits is still read, in its worker', async () => {
    const res = await t.call('POST', `/v1/agents/${agentId}/knowledge/upload`, {
      key: ws.test,
      ...multipart(docxBomb(64 * 1024), 'prices.docx'),
    });
    assert.equal(res.status, 201, res.text);
    assert.match(res.body.content, /^Haircut 500\n\nHaircut 500/);
  });

  it('a gzip request body is not inflated: a gzip bomb of JSON is a 400, the memory untouched', async () => {
    // A gzip header, then 1 GB of spaces deflated to about 1 MB (one deflate segment repeated).
    const segment = deflateRawSync(Buffer.alloc(MB, ' '), { finishFlush: constants.Z_FULL_FLUSH });
    const body = Buffer.concat([
      gzipSync(Buffer.alloc(0)).subarray(0, 10),
      ...Array.from({ length: 1024 }, () => segment),
    ]);
    const { res, growth } = await measured(() =>
      t.call('POST', `/v1/agents/${agentId}/knowledge`, {
        key: ws.test,
        payload: body,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      }),
    );
    assert.ok(growth < RSS_BOUND, `RSS grew ${Math.round(growth / MB)} MB (${res.status})`);
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'validation_failed');
  });
});
