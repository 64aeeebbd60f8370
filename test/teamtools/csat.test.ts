import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, it } from 'node:test';
import { parseCsatAnswer } from '../../src/modules/teamtools/csat.answer.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

it('reads a score from a reply: a lone 1-5 digit, words after it are the comment', () => {
  assert.deepEqual(parseCsatAnswer('5'), { score: 5, comment: null });
  assert.deepEqual(parseCsatAnswer(' 4 - quick, thanks '), { score: 4, comment: 'quick, thanks' });
  for (const text of ['7', '10', '0', 'great!!', '', 'five', '45'])
    assert.equal(parseCsatAnswer(text), null, text);
});

forEachStorage('csat', (storage) => {
  let t: TestApp;
  let w: Workspace;
  const inbound = async (from: string, text: string, channel = 'whatsapp') => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body: { from, text, channel } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const conv = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: w.test })).body;
  const close = async (id: string) =>
    assert.equal((await t.call('POST', `/v1/conversations/${id}/close`, { key: w.test })).status, 200);
  const question = (id: string) =>
    eventually(async () => {
      const msgs = (await t.call('GET', `/v1/conversations/${id}/messages?order=desc`, { key: w.test })).body
        .data;
      return msgs.find(
        (m: { direction: string; type: string; text: string | null }) =>
          m.direction === 'outbound' && (m.type === 'interactive' || /1 \(|digit/.test(m.text ?? '')),
      );
    });
  const csatEvents = async (id: string) =>
    (
      await t.ctx.db
        .selectFrom('events')
        .select('id')
        .where('type', '=', 'csat.received')
        .where('object_id', '=', id)
        .execute()
    ).length;

  before(async () => {
    t = await startTestApp(storage);
    w = await t.workspace();
    const put = await t.call('PUT', '/v1/csat/settings', {
      key: w.test,
      body: { enabled: true, question: 'How did we do?' },
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body.csat, {
      enabled: true,
      question: 'How did we do?',
      scale: 5,
      send_on: 'resolve',
    });
  });
  after(() => t.close());

  it('WhatsApp: asks with a 1-5 list on resolve; "7" and "great!!" are not scores; "4 quick" is', async () => {
    const id = await inbound('+919900000401', 'hello');
    await close(id);
    const q = await question(id);
    assert.equal(q.type, 'interactive');
    assert.equal((await conv(id)).status, 'closed', 'asking does not reopen the conversation');
    await inbound('+919900000401', '7');
    await inbound('+919900000401', 'great!!');
    assert.equal((await conv(id)).csat, null);
    await inbound('+919900000401', '4 quick');
    const c = await conv(id);
    assert.equal(c.csat.score, 4);
    assert.equal(c.csat.comment, 'quick');
    await inbound('+919900000401', '1');
    assert.equal((await conv(id)).csat.score, 4, 'one answer per question');
    assert.equal(await csatEvents(id), 1);
    const list = await t.call('GET', '/v1/csat?score=4', { key: w.test });
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.body.data.map((a: { conversation_id: string; score: number }) => [a.conversation_id, a.score]),
      [[id, 4]],
    );
  });

  it('SMS asks for a digit; email sends one link per score, answered once', async () => {
    const sms = await inbound('+919900000402', 'hi', 'sms');
    await close(sms);
    assert.match((await question(sms)).text, /digit from 1/);
    await inbound('+919900000402', '5', 'sms');
    assert.equal((await conv(sms)).csat.score, 5);

    const mail = await inbound('asha@example.com', 'hi', 'email');
    await close(mail);
    const q = await question(mail);
    // Each link is absolute (a mail client cannot follow a bare path), here on this server's address.
    const token = /^3 \(OK\): https?:\/\/[^/\s]+\/v1\/csat\/respond\/([A-Za-z0-9_-]+)\?score=3$/m.exec(
      q.text,
    )?.[1];
    assert.ok(token, q.text);
    const r = await t.call('GET', `/v1/csat/respond/${token}?score=3`);
    assert.deepEqual(r.body, { recorded: true, score: 3 });
    assert.equal((await t.call('GET', `/v1/csat/respond/${token}?score=5`)).body.recorded, false);
    assert.equal((await conv(mail)).csat.score, 3);
    assert.equal((await t.call('GET', `/v1/csat/respond/${token}?score=9`)).status, 400);
  });

  it('email link in a browser: a plain page (thanks, already recorded, not valid, expired); JSON for API callers', async () => {
    const browser = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
    const mail = await inbound('meera@example.com', 'hi', 'email');
    await close(mail);
    const q = await question(mail);
    const token = /\/v1\/csat\/respond\/([A-Za-z0-9_-]+)\?score=4$/m.exec(q.text)?.[1];
    assert.ok(token, q.text);
    const checkPage = (r: Awaited<ReturnType<typeof t.call>>) => {
      assert.match(String(r.headers['content-type']), /^text\/html; charset=utf-8/);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers['referrer-policy'], 'no-referrer');
      assert.match(r.text, /^<!doctype html>/);
      assert.match(r.text, /<html lang="en">/);
      assert.match(r.text, /<title>[^<]+<\/title>/);
      assert.match(r.text, /<h1>[^<]+<\/h1>/);
      // No script and nothing loaded from anywhere: the page stands alone.
      assert.doesNotMatch(r.text, /<script|\ssrc=|\shref=|<link/);
      // The one inline stylesheet is the one the policy allows by its hash.
      const style = /<style>([^<]*)<\/style>/.exec(r.text)?.[1] ?? '';
      const hash = createHash('sha256').update(style).digest('base64');
      assert.ok(csp.includes(`'sha256-${hash}'`), csp);
    };
    const first = await t.call('GET', `/v1/csat/respond/${token}?score=4`, { headers: browser });
    assert.equal(first.status, 200, first.text);
    checkPage(first);
    assert.match(first.text, /Thank you — your rating: 4 of 5/);
    assert.equal((await conv(mail)).csat.score, 4);
    const again = await t.call('GET', `/v1/csat/respond/${token}?score=2`, { headers: browser });
    assert.equal(again.status, 200, again.text);
    checkPage(again);
    assert.match(again.text, /already recorded: 4 of 5/);
    assert.equal((await conv(mail)).csat.score, 4);
    // An API caller asking for JSON (or saying nothing) gets today's JSON.
    const apiHeaders: Record<string, string>[] = [
      { accept: 'application/json' },
      {},
      { accept: 'application/json, text/html' },
    ];
    for (const headers of apiHeaders) {
      const j = await t.call('GET', `/v1/csat/respond/${token}?score=2`, { headers });
      assert.equal(j.status, 200, j.text);
      assert.deepEqual(j.body, { recorded: false, score: 2 });
    }
    const unknown = await t.call('GET', '/v1/csat/respond/zzzzzzzzzzzzzzzzzzzz?score=4', {
      headers: browser,
    });
    assert.equal(unknown.status, 404, unknown.text);
    checkPage(unknown);
    assert.match(unknown.text, /not valid/);
    // As openapi.json says: an unknown token is a 404 for JSON callers too, naming nothing.
    const unknownJson = await t.call('GET', '/v1/csat/respond/zzzzzzzzzzzzzzzzzzzz?score=4');
    assert.equal(unknownJson.status, 404, unknownJson.text);
    assert.equal(unknownJson.body.error.code, 'not_found');

    // A link cut by a mail client or a score edited by hand: a page for a browser, the error for
    // JSON, and nothing recorded.
    for (const [path, status, text, code] of [
      [`/v1/csat/respond/${token}`, 400, /not complete/, 'validation_failed'],
      [`/v1/csat/respond/${token}?score=7`, 400, /not complete/, 'validation_failed'],
      ['/v1/csat/respond/short?score=4', 404, /not valid/, 'not_found'],
    ] as const) {
      const cut = await t.call('GET', path, { headers: browser });
      assert.equal(cut.status, status, cut.text);
      checkPage(cut);
      assert.match(cut.text, text);
      const json = await t.call('GET', path);
      assert.equal(json.status, status);
      assert.equal(json.body.error.code, code);
    }
    assert.equal((await conv(mail)).csat.score, 4);

    // Asked 8 days ago: the link no longer records (as a reply would not), in a page or in JSON.
    const old = await inbound('ravi@example.com', 'hi', 'email');
    await close(old);
    const oq = await question(old);
    const oldToken = /\/v1\/csat\/respond\/([A-Za-z0-9_-]+)\?score=5$/m.exec(oq.text)?.[1];
    assert.ok(oldToken, oq.text);
    await t.ctx.db
      .updateTable('csat_requests')
      .set({ created_at: new Date(Date.now() - 8 * 86_400_000).toISOString() })
      .where('token', '=', oldToken)
      .execute();
    const expired = await t.call('GET', `/v1/csat/respond/${oldToken}?score=5`, { headers: browser });
    assert.equal(expired.status, 410, expired.text);
    checkPage(expired);
    assert.match(expired.text, /expired/);
    assert.deepEqual((await t.call('GET', `/v1/csat/respond/${oldToken}?score=5`)).body, {
      recorded: false,
      score: 5,
    });
    assert.equal((await conv(old)).csat, null);
  });

  it('never asks outside the WhatsApp window; settings may be set per agent; bad settings are a 400', async () => {
    const id = await inbound('+919900000403', 'hello');
    await t.ctx.db
      .updateTable('conversations')
      .set({ window_expires_at: '2000-01-01T00:00:00.000Z' })
      .where('id', '=', id)
      .execute();
    await close(id);
    const skipped = await eventually(() =>
      t.ctx.db.selectFrom('csat_requests').selectAll().where('conversation_id', '=', id).executeTakeFirst(),
    );
    assert.equal(skipped.status, 'skipped');
    assert.equal(skipped.skip_reason, 'outside_customer_window');
    const bad = await t.call('PUT', '/v1/csat/settings', { key: w.test, body: { enabled: true, scale: 10 } });
    assert.equal(bad.status, 400, bad.text);
    const agent = (await conv(id)).agent_id;
    if (agent) {
      const off = await t.call('PUT', '/v1/csat/settings', {
        key: w.test,
        body: { agent_id: agent, enabled: false },
      });
      assert.equal(off.status, 200, off.text);
      const got = await t.call('GET', `/v1/csat/settings?agent_id=${agent}`, { key: w.test });
      assert.equal(got.body.csat.enabled, false);
    }
  });
  it('a bare score to the question does not reopen the resolved conversation, and the AI does not answer it', async () => {
    // An AI agent answers from here on (last in the suite: the others run without one).
    const agent = await t.call('POST', '/v1/agents', { key: w.test, body: { name: 'Glow Salon' } });
    assert.equal(agent.status, 201, agent.text);
    const id = await inbound('+919900000404', 'hello', 'sms');
    await close(id);
    await question(id);
    const aiReplies = async () =>
      (
        await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: w.test })
      ).body.data.filter((m: { sender: { type: string } | null }) => m.sender?.type === 'ai').length;
    const before = await aiReplies();
    await inbound('+919900000404', '5', 'sms');
    const c = await conv(id);
    assert.equal(c.csat.score, 5);
    assert.equal(c.status, 'closed', 'the answer leaves the conversation resolved');
    const reopened = await t.ctx.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', 'conversation.reopened')
      .where('object_id', '=', id)
      .execute();
    assert.equal(reopened.length, 0);
    // The answer is kept in the thread and emitted as csat.received, not as message.received (so
    // automations and webhooks on customer messages do not run on it).
    const answer = (
      await t.call('GET', `/v1/conversations/${id}/messages?order=desc`, { key: w.test })
    ).body.data.find(
      (m: { direction: string; text: string | null }) => m.direction === 'inbound' && m.text === '5',
    );
    assert.ok(answer, 'the score is in the thread');
    const received = await t.ctx.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', 'message.received')
      .where('object_id', '=', answer.id)
      .execute();
    assert.equal(received.length, 0, 'no message.received for a CSAT answer');
    assert.equal(await csatEvents(id), 1);
    // A later ordinary message reopens it and is answered: once its answer is there, the score
    // before it provably got none.
    await inbound('+919900000404', 'one more question please', 'sms');
    assert.equal((await conv(id)).status, 'active');
    await eventually(async () => ((await aiReplies()) > before ? true : null));
    assert.equal(await aiReplies(), before + 1, 'only the later message was answered');
  });

  it('an agent takes `csat` on PATCH /v1/agents/{id} (SPEC); /v1/csat/settings is the same setting', async () => {
    const agent = await t.call('POST', '/v1/agents', { key: w.test, body: { name: 'Rated' } });
    assert.equal(agent.status, 201, agent.text);
    const id = agent.body.id;
    const patched = await t.call('PATCH', `/v1/agents/${id}`, {
      key: w.test,
      body: { greeting: 'Hi!', csat: { enabled: false, question: 'Rate our clinic?' } },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.greeting, 'Hi!');
    assert.deepEqual(patched.body.csat, {
      enabled: false,
      question: 'Rate our clinic?',
      scale: 5,
      send_on: 'resolve',
    });
    const alias = await t.call('GET', `/v1/csat/settings?agent_id=${id}`, { key: w.test });
    assert.deepEqual(alias.body.csat, patched.body.csat);
    // The workspace's stays on; only the question changes here, and the alias route sets it back.
    assert.equal((await t.call('GET', '/v1/csat/settings', { key: w.test })).body.csat.enabled, true);
    const again = await t.call('PATCH', `/v1/agents/${id}`, {
      key: w.test,
      body: { csat: { enabled: true } },
    });
    assert.equal(again.body.csat.enabled, true);
    assert.equal(again.body.csat.question, 'Rate our clinic?', 'fields not given keep their value');
    const put = await t.call('PUT', '/v1/csat/settings', {
      key: w.test,
      body: { agent_id: id, enabled: false },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal((await t.call('GET', `/v1/agents/${id}`, { key: w.test })).body.csat.enabled, false);
    for (const csat of [{ scale: 7 }, { enabled: 'yes' }, { question: '' }, { sometimes: true }]) {
      const bad = await t.call('PATCH', `/v1/agents/${id}`, { key: w.test, body: { csat } });
      assert.equal(bad.status, 400, `${JSON.stringify(csat)}: ${bad.text}`);
    }
  });
});
