import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/** GET /v1/search: every message of a conversation is searchable, not only its last one. */
forEachStorage('search', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let other: Workspace;
  const inbound = async (key: string, from: string, text: string, name?: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key,
      body: { from, text, ...(name ? { name } : {}) },
    });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const search = async (q: string, extra = '', key = w.test) => {
    const r = await t.call('GET', `/v1/search?q=${encodeURIComponent(q)}${extra}`, { key });
    return r;
  };
  const ids = (r: { body: { data: Array<{ conversation: { id: string } }> } }) =>
    r.body.data.map((d) => d.conversation.id);

  let refund: string;
  let hindi: string;
  let hinglish: string;
  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    other = await t.workspace();
    refund = await inbound(
      w.test,
      '+919900000101',
      'I want a refund for order 5531, it arrived broken',
      'Meera Kapoor',
    );
    await inbound(w.test, '+919900000101', 'hello?');
    await inbound(w.test, '+919900000101', 'are you there');
    hindi = await inbound(w.test, '+919900000102', 'मुझे दाँतों की सफ़ाई की कीमत बताइए');
    await inbound(w.test, '+919900000102', 'ok');
    hinglish = await inbound(w.test, '+919900000103', 'Kya aaj shaam 7 baje appointment mil sakta hai?');
    await inbound(w.test, '+919900000104', 'Café opening hours on Sunday?');
    await inbound(other.test, '+919900000105', 'refund for order 5531 please');
  });
  after(async () => {
    await t.close();
  });

  it('finds a word of an earlier message, with a snippet and the word highlighted', async () => {
    for (const q of ['refund', '5531', 'REFUND 5531', 'refu']) {
      const r = await search(q);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(ids(r), [refund], q);
      const match = r.body.data[0].matches[0];
      assert.equal(match.snippet, 'I want a refund for order 5531, it arrived broken');
      const [start, end] = match.highlights[0];
      assert.equal(match.snippet.slice(start, end).toLowerCase().slice(0, 4), q.toLowerCase().slice(0, 4));
      assert.equal(r.body.meta.total, 1);
    }
  });

  it('finds every word a prefix begins, whether it begins a few words or more than are spelled out', async () => {
    const words = Array.from({ length: 20 }, (_, i) => `quokka${String.fromCharCode(97 + i)}x`);
    const made = [];
    for (const [i, word] of words.entries())
      made.push(await inbound(w.test, `+91990000${3000 + i}`, `saw a ${word}`));
    // One word of the twenty: only its own conversation, the prefix of none of the others.
    assert.deepEqual(ids(await search('quokkakx')), [made[10]]);
    // Every word must be found in one message: no message has all three.
    const three = await search('quokkaa quokkab quokkac');
    assert.deepEqual(ids(three), []);
    // Every one of the twenty (more words than are spelled out: searched as a prefix).
    const all = await search('quok', '&per_page=50');
    assert.equal(all.body.meta.total, 20);
    assert.deepEqual(new Set(ids(all)), new Set(made));
    // A few of them, and a prefix that is also a whole word of another message.
    await inbound(w.test, '+919900003100', 'a quokka at last');
    const some = await search('quokka', '&per_page=50');
    assert.equal(some.body.meta.total, 21);
    const pleased = await inbound(w.test, '+919900003101', 'very pleased with the cleaning');
    const please = await inbound(w.test, '+919900003102', 'please call me back');
    assert.deepEqual(new Set(ids(await search('please'))), new Set([please, pleased]));
    assert.deepEqual(ids(await search('pleased')), [pleased]);
    assert.deepEqual(ids(await search('pleas cleaning')), [pleased]);
  });

  it('needs every word, in any order; a missing word finds nothing', async () => {
    assert.deepEqual(ids(await search('5531 broken')), [refund]);
    assert.deepEqual(ids(await search('refund pizza')), []);
  });

  it('reads Hindi in Devanagari and Hinglish word by word, and folds accents', async () => {
    const r = await search('कीमत');
    assert.deepEqual(ids(r), [hindi]);
    assert.deepEqual(
      r.body.data[0].matches[0].highlights.map(([s, e]: [number, number]) =>
        r.body.data[0].matches[0].snippet.slice(s, e),
      ),
      ['कीमत'],
    );
    assert.deepEqual(ids(await search('सफ़ाई')), [hindi]);
    assert.deepEqual(ids(await search('shaam baje')), [hinglish]);
    assert.equal((await search('cafe')).body.data.length, 1);
  });

  it("finds a conversation by its contact's name or phone, first", async () => {
    assert.deepEqual(ids(await search('meera')), [refund]);
    const byPhone = await search('99000 00101');
    assert.equal(byPhone.status, 200, byPhone.text);
    assert.deepEqual(ids(byPhone), [refund]);
    assert.equal(byPhone.body.data[0].contact_match, true);
  });

  it("never finds another workspace's messages", async () => {
    const mine = await search('5531');
    assert.deepEqual(ids(mine), [refund]);
    const theirs = await search('5531', '', other.test);
    assert.equal(theirs.body.data.length, 1);
    assert.notEqual(theirs.body.data[0].conversation.id, refund);
  });

  it('filters by status, channel and time', async () => {
    assert.deepEqual(ids(await search('refund', '&status=active&channel=whatsapp')), [refund]);
    assert.deepEqual(ids(await search('refund', '&status=closed')), []);
    assert.deepEqual(ids(await search('refund', '&channel=sms')), []);
    assert.deepEqual(ids(await search('refund', '&from=2999-01-01T00:00:00Z')), []);
    assert.deepEqual(ids(await search('refund', '&to=2999-01-01T00:00:00Z')), [refund]);
    assert.deepEqual(ids(await search('refund', '&assignee=none')), [refund]);
  });

  it('finds private notes and forgets text that was changed', async () => {
    const note = await t.call('POST', `/v1/conversations/${hinglish}/reply`, {
      key: w.test,
      body: { type: 'note', text: 'Customer prefers evening slots, zebra-crossing test' },
    });
    assert.equal(note.status, 201, note.text);
    const r = await search('zebra');
    assert.deepEqual(ids(r), [hinglish]);
    assert.equal(r.body.data[0].matches[0].type, 'note');
    // A message whose text is redacted (as erasure does) is no longer found by its old words.
    await t.ctx.db.updateTable('messages').set({ text: '[erased]' }).where('id', '=', note.body.id).execute();
    assert.deepEqual(ids(await search('zebra')), []);
    assert.deepEqual(ids(await search('erased')), [hinglish]);
  });

  it('reads operators and quotes as plain words', async () => {
    for (const q of [
      'refund OR pizza',
      '"refund"',
      'refund*',
      'refund AND',
      'NEAR(refund 5531)',
      "refund'--",
      'text:refund',
    ]) {
      const r = await search(q);
      assert.equal(r.status, 200, `${q}: ${r.text}`);
    }
    assert.deepEqual(ids(await search('"refund"')), [refund]);
    assert.deepEqual(ids(await search('refund*')), [refund]);
  });

  it('refuses a query with nothing to search, too long, with NUL or a lone surrogate', async () => {
    for (const q of ['', '()*"', 'x'.repeat(10_000), 'refund\u0000']) {
      const r = await t.call('GET', `/v1/search?q=${encodeURIComponent(q)}`, { key: w.test });
      assert.equal(r.status, 400, `${JSON.stringify(q.slice(0, 20))}: ${r.status} ${r.text.slice(0, 200)}`);
      assert.equal(r.body.error.code, 'validation_failed');
    }
    const bad = await t.call('GET', '/v1/search?q=refund&from=yesterday', { key: w.test });
    assert.equal(bad.status, 400);
    // A lone surrogate encoded in the URL (CESU-8 of U+D800) or a broken sequence is not UTF-8: a 400 naming q.
    for (const raw of ['refund%ED%A0%80', 'refund%uD800', 'refund%C3', '%FF']) {
      const r = await t.call('GET', `/v1/search?q=${raw}`, { key: w.test });
      assert.equal(r.status, 400, `${raw}: ${r.status} ${r.text}`);
      assert.equal(r.body.error.errors[0].field, 'q');
    }
    // A percent sign the client encoded is text like any other.
    assert.equal((await t.call('GET', '/v1/search?q=refund%2520', { key: w.test })).status, 200);
  });
});
