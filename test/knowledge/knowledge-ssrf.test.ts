import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/** Knowledge URLs come from API callers: they must not reach the server's own network. */
forEachStorage('knowledge page fetch refuses private addresses', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let hits = 0;
  const internal = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>internal admin page</p>');
  });
  let internalUrl: string;

  before(async () => {
    await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
    internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}/admin`;
    t = await startTestApp(storage, { env: { PARLEY_WEBHOOK_ALLOW_PRIVATE: '0' } });
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Glow' } });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
  });
  after(async () => {
    await t.close();
    internal.close();
  });

  for (const [what, url] of [
    ['a loopback address', () => internalUrl],
    ['a name that resolves to loopback', () => internalUrl.replace('127.0.0.1', 'localhost')],
    ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data'],
    ['a private network address', () => 'http://10.0.0.1/'],
  ] as const) {
    it(`refuses ${what} without contacting it or describing it`, async () => {
      const res = await t.call('POST', `/v1/agents/${agentId}/knowledge`, {
        key: ws.test,
        body: { title: 'internal', doc_type: 'url', url: url() },
      });
      assert.equal(res.status, 422, res.text);
      assert.equal(res.body.error.code, 'unprocessable');
      assert.match(res.body.error.message, /private or reserved address/);
      assert.doesNotMatch(res.body.error.message, /HTTP \d|text\/html|application\//);
      assert.equal(hits, 0, 'the internal server was never contacted');
      const docs = await t.call('GET', `/v1/agents/${agentId}/knowledge`, { key: ws.test });
      assert.equal(docs.body.meta.total, 0, 'nothing was stored');
    });
  }
});
