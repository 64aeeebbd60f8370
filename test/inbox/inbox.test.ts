import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { createAiModule } from '../../src/modules/ai/ai.module.ts';
import { modules } from '../../src/modules/index.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/** The inbox's server side: how /app is served, and the API additions it relies on. */
forEachStorage('inbox: serving and API', (storage) => {
  let app: TestApp;
  let ws: Workspace;
  before(async () => {
    app = await startTestApp(storage, {
      modules: modules.map((m) => (m.name === 'ai' ? createAiModule({ replyDebounceMs: 50 }) : m)),
    });
    ws = await app.workspace({ default_country: 'IN' });
  });
  after(() => app.close());

  const inbound = (from: string, text: string) =>
    app.call('POST', '/v1/sandbox/inbound', { key: ws.test, body: { from, text } });

  it('serves /app and deep links with a strict CSP, and hashed assets cached for a year', async () => {
    const page = await app.call('GET', '/app');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.ok(page.headers.etag);
    // No inline script: every script is a file of the same origin.
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/);
    const base = /src="(\/app\/a\/[0-9a-f]{12})\/b\/main\.js"/.exec(page.text)?.[1];
    assert.ok(base, 'index.html loads the bundled main.js from a versioned folder');
    // The bundle and the chunks it needs at once (preloaded with it), each a file of that folder.
    for (const [, chunk] of page.text.matchAll(/href="\/app\/a\/[0-9a-f]{12}\/(b\/[\w-]+\.js)"/g)) {
      const res = await app.call('GET', `${base}/${chunk}`);
      assert.equal(res.status, 200, chunk);
    }
    const bundled = await app.call('GET', `${base}/b/main.js`);
    assert.equal(bundled.status, 200);
    assert.equal(bundled.headers['cache-control'], 'public, max-age=31536000, immutable');

    const deep = await app.call('GET', '/app/c/conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D?view=mine');
    assert.equal(deep.status, 200);
    assert.equal(deep.text, page.text);
    // The API's path for a conversation opens it too, at the inbox's own address (issue 52).
    const byApiName = await app.call('GET', '/app/conversations/conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D?view=mine');
    assert.equal(byApiName.status, 302);
    assert.equal(byApiName.headers.location, '/app/c/conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D?view=mine');

    const again = await app.call('GET', '/app', { headers: { 'if-none-match': String(page.headers.etag) } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');

    const js = await app.call('GET', `${base}/main.js`);
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');

    // Vendored Preact: served from node_modules, its bare import made relative (no import map).
    const hooks = await app.call('GET', `${base}/vendor/hooks.mjs`);
    assert.equal(hooks.status, 200);
    assert.match(hooks.text, /from"\.\/preact\.mjs"/);
    assert.doesNotMatch(hooks.text, /from\s*"preact"/);

    const gz = await app.parley.app.inject({
      method: 'GET',
      url: `${base}/inbox.js`,
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(gunzipSync(gz.rawPayload).toString(), /export function Inbox/);

    const missing = await app.call('GET', `${base}/nope.js`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
  });

  it('a private note stays in the thread: never sent, never the preview, recorded as an event for other sessions', async () => {
    await inbound('+919800000001', 'Is my order ready?');
    const list = await app.call('GET', '/v1/conversations?q=order', { key: ws.test });
    const conv = list.body.data[0];
    assert.equal(conv.last_message_sender, 'customer');

    const note = await app.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.test,
      body: { type: 'note', text: 'Checked with the kitchen: 10 more minutes.' },
    });
    assert.equal(note.status, 201);
    assert.equal(note.body.type, 'note');
    assert.equal(note.body.status, 'received');
    assert.equal(note.body.direction, 'outbound');

    const after = await app.call('GET', `/v1/conversations/${conv.id}`, { key: ws.test });
    assert.equal(after.body.last_message, 'Is my order ready?');
    assert.equal(after.body.last_message_sender, 'customer');
    const events = await app.call('GET', `/v1/events?type=message.note_added&object_id=${note.body.id}`, {
      key: ws.test,
    });
    assert.equal(events.body.data.length, 1);
    assert.equal(events.body.data[0].data.text, 'Checked with the kitchen: 10 more minutes.');
    // Never handed to a channel: no send event, and its status never moves.
    const sent = await app.call(
      'GET',
      `/v1/events?type=message.sent,message.failed&object_id=${note.body.id}`,
      {
        key: ws.test,
      },
    );
    assert.equal(sent.body.data.length, 0);
    const stored = await app.call('GET', `/v1/messages/${note.body.id}`, { key: ws.test });
    assert.equal(stored.body.status, 'received');
  });

  it('refuses a note without text or with other content, and changes nothing', async () => {
    await inbound('+919800000002', 'Hello');
    const conv = (await app.call('GET', '/v1/conversations?q=%2B919800000002', { key: ws.test })).body
      .data[0];
    const before = await app.call('GET', `/v1/conversations/${conv.id}/messages`, { key: ws.test });
    const empty = await app.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.test,
      body: { type: 'note', text: '   ' },
    });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.code, 'validation_failed');
    assert.equal(empty.body.error.errors[0].field, 'text');
    const mixed = await app.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: ws.test,
      body: { type: 'note', text: 'x', image: { url: 'https://example.com/a.jpg' } },
    });
    assert.equal(mixed.status, 400);
    assert.equal(mixed.body.error.errors[0].field, 'image');
    const other = await app.call('POST', '/v1/conversations/conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D/reply', {
      key: ws.test,
      body: { type: 'note', text: 'x' },
    });
    assert.equal(other.status, 404);
    // POST /v1/messages has no notes: a note is only ever in a conversation.
    const direct = await app.call('POST', '/v1/messages', {
      key: ws.test,
      body: { to: '+919800000002', type: 'note', text: 'x' },
    });
    assert.equal(direct.status, 400);
    const afterList = await app.call('GET', `/v1/conversations/${conv.id}/messages`, { key: ws.test });
    assert.equal(afterList.body.meta.total, before.body.meta.total);
  });

  it('reads a long thread newest first from a fixed point, with nothing missed or doubled', async () => {
    for (let i = 0; i < 7; i++) await inbound('+919800000003', `message ${i}`);
    const conv = (await app.call('GET', '/v1/conversations?q=%2B919800000003', { key: ws.test })).body
      .data[0];
    const first = await app.call('GET', `/v1/conversations/${conv.id}/messages?order=desc&per_page=3`, {
      key: ws.test,
    });
    assert.deepEqual(
      first.body.data.map((m: { text: string }) => m.text),
      ['message 6', 'message 5', 'message 4'],
    );
    // A message arriving between pages does not shift the next page.
    await inbound('+919800000003', 'late');
    const oldest = first.body.data.at(-1).id;
    const second = await app.call(
      'GET',
      `/v1/conversations/${conv.id}/messages?order=desc&per_page=3&before=${oldest}`,
      { key: ws.test },
    );
    assert.deepEqual(
      second.body.data.map((m: { text: string }) => m.text),
      ['message 3', 'message 2', 'message 1'],
    );
    const newer = await app.call(
      'GET',
      `/v1/conversations/${conv.id}/messages?after=${first.body.data[0].id}`,
      { key: ws.test },
    );
    assert.deepEqual(
      newer.body.data.map((m: { text: string }) => m.text),
      ['late'],
    );
    const bad = await app.call('GET', `/v1/conversations/${conv.id}/messages?before=nope&order=up`, {
      key: ws.test,
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.errors.map((e: { field: string }) => e.field).sort(), [
      'before',
      'order',
    ]);
  });

  it("gives the AI's sources for its replies, and only for its own conversation", async () => {
    const agent = await app.call('POST', '/v1/agents', { key: ws.test, body: { name: 'Salon desk' } });
    assert.equal(agent.status, 201);
    const doc = await app.call('POST', `/v1/agents/${agent.body.id}/knowledge`, {
      key: ws.test,
      body: {
        doc_type: 'faq',
        faqs: [{ question: 'Do you have parking?', answer: 'Yes, free parking in the basement.' }],
      },
    });
    assert.equal(doc.status, 201);
    const sent = await inbound('+919800000004', 'Do you have parking?');
    const conv = { id: sent.body.conversation_id as string };
    const aiMessage = await eventually(async () => {
      const page = await app.call('GET', `/v1/conversations/${conv.id}/messages`, { key: ws.test });
      return page.body.data.find((m: { sender: { type: string } }) => m.sender.type === 'ai') as {
        id: string;
      };
    });
    // The reply's sources are recorded just after the message itself.
    const res = await eventually(async () => {
      const r = await app.call('GET', `/v1/conversations/${conv.id}/ai-replies?message_ids=${aiMessage.id}`, {
        key: ws.test,
      });
      return r.status === 200 && r.body.data.length ? r : null;
    });
    assert.equal(res.body.data.length, 1);
    assert.equal(res.body.data[0].message_id, aiMessage.id);
    assert.equal(res.body.data[0].sources[0].doc_id, doc.body.id);

    const otherConv = (await app.call('GET', '/v1/conversations?q=%2B919800000001', { key: ws.test })).body
      .data[0];
    const wrong = await app.call(
      'GET',
      `/v1/conversations/${otherConv.id}/ai-replies?message_ids=${aiMessage.id}`,
      {
        key: ws.test,
      },
    );
    assert.deepEqual(wrong.body.data, []);
    const live = await app.call(
      'GET',
      `/v1/conversations/${conv.id}/ai-replies?message_ids=${aiMessage.id}`,
      {
        key: ws.live,
      },
    );
    assert.equal(live.status, 404);
    const bad = await app.call('GET', `/v1/conversations/${conv.id}/ai-replies?message_ids=x`, {
      key: ws.test,
    });
    assert.equal(bad.status, 400);
  });
});
