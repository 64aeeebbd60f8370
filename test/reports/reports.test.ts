import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/**
 * Reports against a recount: every overview figure computed again here from the raw rows
 * (conversations, messages, events) with the definitions of docs/reports.md, on both storages.
 */
const DAY = 86_400_000;

function nearestRank(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return Math.round(s[Math.max(0, Math.ceil(p * s.length) - 1)]! * 10) / 10;
}

async function recount(t: TestApp, wsId: string, from: string, to: string) {
  const db = t.ctx.db;
  const convs = (
    await db.selectFrom('conversations').selectAll().where('workspace_id', '=', wsId).execute()
  ).filter((c) => c.created_at >= from && c.created_at < to);
  const ids = new Set(convs.map((c) => c.id));
  const msgs = (
    await db.selectFrom('messages').selectAll().where('workspace_id', '=', wsId).execute()
  ).filter((m) => ids.has(m.conversation_id));
  const events = (
    await db.selectFrom('events').selectAll().where('workspace_id', '=', wsId).execute()
  ).filter((e) => e.object_id && ids.has(e.object_id));
  let aiResolved = 0;
  let handoffs = 0;
  const firstResponse: number[] = [];
  for (const c of convs) {
    const mine = msgs
      .filter((m) => m.conversation_id === c.id)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
    const ev = events.filter((e) => e.object_id === c.id);
    const handedOff = ev.some((e) => e.type === 'conversation.escalated') || c.handoff_at !== null;
    const person = mine.some((m) => m.sender_type === 'user' && m.type !== 'note');
    const resolves = ev
      .filter((e) => e.type === 'conversation.resolved')
      .map((e) => Date.parse(e.created_at));
    const reopens = ev.filter((e) => e.type === 'conversation.reopened').map((e) => Date.parse(e.created_at));
    const reopened = resolves.some((r) => reopens.some((o) => o >= r && o - r <= DAY));
    if (handedOff) handoffs++;
    if (c.status === 'closed' && !person && !handedOff && !reopened) aiResolved++;
    const firstIn = mine.find((m) => m.direction === 'inbound');
    const reply = firstIn
      ? mine.find(
          (m) =>
            m.direction === 'outbound' &&
            m.type !== 'note' &&
            m.sender_type !== 'system' &&
            m.created_at >= firstIn.created_at,
        )
      : undefined;
    if (firstIn && reply)
      firstResponse.push((Date.parse(reply.created_at) - Date.parse(firstIn.created_at)) / 1000);
  }
  return {
    conversations: convs.length,
    messages_in: msgs.filter((m) => m.direction === 'inbound').length,
    messages_out: msgs.filter((m) => m.direction === 'outbound' && m.type !== 'note').length,
    ai_resolved: aiResolved,
    handoffs,
    first_response_p50_s: nearestRank(firstResponse, 0.5),
    first_response_p90_s: nearestRank(firstResponse, 0.9),
  };
}

forEachStorage('reports', (storage) => {
  let t: TestApp;
  let w: Workspace;
  let userToken: string;
  let userId: string;
  let agentId: string;
  const inbound = async (from: string, text: string) => {
    const r = await t.call('POST', '/v1/sandbox/inbound', { key: w.test, body: { from, text } });
    assert.equal(r.status, 200, r.text);
    return r.body.conversation_id as string;
  };
  const answered = (id: string, n: number) =>
    eventually(async () => {
      const r = await t.call('GET', `/v1/conversations/${id}/messages`, { key: w.test });
      return r.body.data.filter((m: { direction: string }) => m.direction === 'outbound').length >= n;
    });

  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
    w = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: w.test,
      // Two misses before the AI hands off by itself: the mix of figures is the test's own.
      body: { name: 'Desk', business: { timezone: 'Asia/Kolkata' }, handoff: { max_unanswered: 2 } },
    });
    agentId = agent.body.id;
    // What the reopened conversation asks (else the AI, unable to answer twice, hands it off).
    const faq = await t.call('POST', `/v1/agents/${agentId}/knowledge`, {
      key: w.test,
      body: {
        doc_type: 'faq',
        faqs: [{ question: 'Is there parking?', answer: 'Yes, free parking behind the shop.' }],
      },
    });
    assert.equal(faq.status, 201, faq.text);
    const u = await t.call('POST', '/v1/users', {
      key: w.test,
      body: { name: 'Priya', email: 'priya@reports.test', role: 'admin', password: 'priya-password' },
    });
    assert.equal(u.status, 201, u.text);
    userId = u.body.id;
    const login = await t.call('POST', '/v1/auth/login', {
      body: { email: 'priya@reports.test', password: 'priya-password' },
    });
    assert.equal(login.status, 200, login.text);
    userToken = login.body.token;

    // 1: answered by the AI and resolved (an AI resolution).
    const a = await inbound('+919800000001', 'What are your opening hours?');
    await answered(a, 1);
    assert.equal((await t.call('POST', `/v1/conversations/${a}/close`, { key: w.test })).status, 200);
    // 2: handed off, a person replies, resolved.
    const b = await inbound('+919800000002', 'Do you open on Sunday?');
    await answered(b, 1);
    assert.equal(
      (await t.call('POST', `/v1/conversations/${b}/handoff`, { key: w.test, body: { reason: 'billing' } }))
        .status,
      200,
    );
    await t.call('POST', `/v1/conversations/${b}/assign`, { key: w.test, body: { user_id: userId } });
    const reply = await t.call('POST', `/v1/conversations/${b}/reply`, {
      key: userToken,
      body: { text: 'Hi, Priya here' },
    });
    assert.equal(reply.status, 201, reply.text);
    await t.call('POST', `/v1/conversations/${b}/close`, { key: w.test });
    // 3: resolved, then the customer writes again (reopened within 24 h): not an AI resolution.
    const c = await inbound('+919800000003', 'Where are you located?');
    await answered(c, 1);
    await t.call('POST', `/v1/conversations/${c}/close`, { key: w.test });
    await inbound('+919800000003', 'And parking?');
    await answered(c, 2);
    // 4: still open, CSAT answered.
    const d = await inbound('+919800000004', 'Thanks for the help');
    // (Every AI answer in before the tests read the figures: one landing between a figure and its
    // drill-down moved the first-response histogram under them on a busy machine.)
    await answered(d, 1);
    await t.ctx.db
      .updateTable('conversations')
      .set({ csat_score: 4, csat_at: new Date().toISOString() })
      .where('id', '=', d)
      .execute();
  });
  after(() => t.close());

  it('overview totals equal a recount from the raw rows; the series adds up to them', async () => {
    const from = new Date(Date.now() - 2 * 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const r = await t.call('GET', `/v1/reports/overview?from=${from}&to=${to}&interval=hour`, {
      key: w.test,
    });
    assert.equal(r.status, 200, r.text);
    const expected = await recount(t, w.id, r.body.from, r.body.to);
    const { totals } = r.body;
    for (const [k, v] of Object.entries(expected)) assert.equal(totals[k], v, k);
    assert.equal(totals.conversations, 4);
    assert.equal(totals.ai_resolved, 1);
    assert.equal(totals.handoffs, 1);
    assert.equal(totals.csat_avg, 4);
    assert.equal(totals.csat_responses, 1);
    assert.equal(r.body.timezone, 'Asia/Kolkata', "the workspace's timezone");
    const sum = (k: string) => r.body.series.reduce((a: number, p: Record<string, number>) => a + p[k]!, 0);
    for (const k of ['conversations', 'messages_in', 'messages_out', 'ai_resolved', 'handoffs'])
      assert.equal(sum(k), totals[k], `series ${k}`);
    assert.deepEqual(r.body.handoffs_by_reason, [{ reason: 'billing', count: 1 }]);

    const people = await t.call('GET', `/v1/reports/users?from=${from}&to=${to}`, { key: w.test });
    assert.equal(people.status, 200, people.text);
    const priya = people.body.data.find((u: { user_id: string }) => u.user_id === userId);
    assert.equal(priya.handled, 1);
    assert.equal(priya.replies, 1);
  });

  it('filters by channel, agent and person', async () => {
    const q = (s: string) => t.call('GET', `/v1/reports/overview?${s}`, { key: w.test });
    assert.equal((await q('channel=voice')).body.totals.conversations, 0);
    assert.equal((await q('channel=whatsapp')).body.totals.conversations, 4);
    assert.equal((await q(`user_id=${userId}`)).body.totals.conversations, 1);
    assert.equal((await q(`agent_id=${agentId}`)).body.totals.conversations, 4);
  });

  it('a call counts for the person and team its conversation is assigned to', async () => {
    const res = await t.call('POST', '/v1/calls', {
      key: w.test,
      body: {
        calls: [
          {
            agent_id: agentId,
            to: '+919900000777',
            sandbox: { lines: ['Hello, is this the desk?', 'Thanks, bye'], hangup_after_lines: true },
          },
        ],
      },
    });
    assert.equal(res.status, 201, res.text);
    const callId = res.body.results[0].call.id as string;
    const call = await eventually(async () => {
      const r = await t.call('GET', `/v1/calls/${callId}`, { key: w.test });
      return r.body.ended_at ? r.body : null;
    });
    const calls = async (s = '') => {
      const r = await t.call('GET', `/v1/reports/calls?${s}`, { key: w.test });
      assert.equal(r.status, 200, r.text);
      return r.body.total as number;
    };
    const team = await t.call('POST', '/v1/teams', {
      key: w.test,
      body: { name: 'Phones', user_ids: [userId] },
    });
    assert.equal(team.status, 201, team.text);
    const all = await calls();
    assert.ok(all >= 1);
    // Before it is assigned, the call is nobody's.
    assert.equal(await calls(`user_id=${userId}`), 0);
    assert.equal(await calls(`team_id=${team.body.id}`), 0);
    const assigned = await t.call('POST', `/v1/conversations/${call.conversation_id}/assign`, {
      key: w.test,
      body: { user_id: userId },
    });
    assert.equal(assigned.status, 200, assigned.text);
    assert.equal(await calls(`user_id=${userId}`), 1, 'the person of its conversation');
    assert.equal(await calls(`team_id=${team.body.id}`), 1, 'a member of the team');
    const csv = await t.call('GET', `/v1/reports/calls.csv?user_id=${userId}`, { key: w.test });
    assert.equal(csv.text.trimEnd().split('\r\n').length, 2, 'the header and the call');
    const other = await t.call('POST', '/v1/teams', { key: w.test, body: { name: 'Empty' } });
    assert.equal(await calls(`team_id=${other.body.id}`), 0);
    assert.equal(await calls('channel=whatsapp'), 0);
  });

  it('the drill-down lists exactly the conversations and calls behind each figure', async () => {
    const range = `from=${new Date(Date.now() - 2 * 3600_000).toISOString()}&to=${new Date(Date.now() + 3600_000).toISOString()}`;
    const get = async (path: string) => {
      const r = await t.call('GET', path, { key: w.test });
      assert.equal(r.status, 200, `${path}: ${r.text}`);
      return r.body;
    };
    const o = await get(`/v1/reports/overview?${range}&interval=hour`);
    const drill = (q: string) => get(`/v1/reports/overview/conversations?${range}&interval=hour&${q}`);
    assert.equal((await drill('')).total, o.totals.conversations);
    const ai = await drill('figure=ai_resolved');
    assert.equal(ai.total, o.totals.ai_resolved);
    assert.ok(ai.data.every((c: { ai_resolved: boolean }) => c.ai_resolved));
    assert.equal((await drill('figure=handoffs')).total, o.totals.handoffs);
    const billing = await drill('figure=handoffs&reason=billing');
    assert.equal(billing.total, 1);
    assert.deepEqual(billing.data[0].handoff_reasons, ['billing']);
    for (const point of o.series.filter((p: { conversations: number }) => p.conversations > 0)) {
      const inBucket = await drill(`at=${encodeURIComponent(point.at)}`);
      assert.equal(inBucket.total, point.conversations, point.at);
      assert.equal(
        (await drill(`at=${encodeURIComponent(point.at)}&figure=ai_resolved`)).total,
        point.ai_resolved,
      );
    }
    for (const b of o.first_response_histogram) {
      const r = await drill(`figure=first_response&bucket=${b.up_to_s ?? 'longer'}`);
      assert.equal(r.total, b.count, `first response up to ${b.up_to_s}`);
    }
    for (const c of o.csat_distribution)
      assert.equal((await drill(`figure=csat&score=${c.score}`)).total, c.count, `csat ${c.score}`);
    const two = await drill('limit=2');
    assert.equal(two.data.length, Math.min(2, o.totals.conversations));
    assert.equal(two.total, o.totals.conversations);

    const calls = await get(`/v1/reports/calls?${range}`);
    assert.equal((await get(`/v1/reports/calls/list?${range}`)).total, calls.total);
    for (const [status, count] of Object.entries(calls.by_status)) {
      const r = await get(`/v1/reports/calls/list?${range}&status=${status}`);
      assert.equal(r.total, count, status);
      assert.ok(r.data.every((c: { status: string }) => c.status === status));
    }
    for (const [reason, count] of Object.entries(calls.by_ended_reason))
      assert.equal(
        (await get(`/v1/reports/calls/list?${range}&ended_reason=${reason}`)).total,
        count,
        reason,
      );

    const bad = await t.call('GET', '/v1/reports/overview/conversations?figure=nope', { key: w.test });
    assert.equal(bad.status, 400, bad.text);
    const badBucket = await t.call(
      'GET',
      '/v1/reports/overview/conversations?figure=first_response&bucket=x',
      {
        key: w.test,
      },
    );
    assert.equal(badBucket.status, 400, badBucket.text);
    // A value no figure has is refused (400 naming the field), not answered with an empty list.
    for (const [q, field] of [
      ['/v1/reports/overview/conversations?figure=first_response&bucket=7', 'bucket'],
      ['/v1/reports/calls/list?status=exploded', 'status'],
      ['/v1/reports/calls/list?ended_reason=teleported', 'ended_reason'],
      ['/v1/reports/calls/list?answered_by=robot', 'answered_by'],
    ] as const) {
      const r = await t.call('GET', q, { key: w.test });
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.equal(r.body.error.errors[0].field, field, r.text);
    }
    for (const q of ['figure=first_response&bucket=60', 'figure=first_response&bucket=longer'])
      assert.equal(
        (await t.call('GET', `/v1/reports/overview/conversations?${q}`, { key: w.test })).status,
        200,
        q,
      );
    for (const q of ['answered_by=none', 'ended_reason=none', 'status=completed'])
      assert.equal((await t.call('GET', `/v1/reports/calls/list?${q}`, { key: w.test })).status, 200, q);
    const missing = await t.call('GET', '/v1/reports/campaigns/cmp_01JD5Z8Q4X3N2M1K0H9G8F7E6D/recipients', {
      key: w.test,
    });
    assert.equal(missing.status, 404, missing.text);
  });

  it('refuses bad input with a 400 and says which field', async () => {
    const bad = async (s: string, field: string) => {
      const r = await t.call('GET', `/v1/reports/overview?${s}`, { key: w.test });
      assert.equal(r.status, 400, `${s}: ${r.text}`);
      assert.ok(JSON.stringify(r.body.error).includes(field), `${s}: ${r.text}`);
    };
    await bad('from=2026-05-10&to=2026-05-01', 'from');
    await bad('from=2024-01-01&to=2026-01-01', 'to');
    await bad('channel=fax', 'channel');
    await bad('interval=month', 'interval');
    await bad('agent_id=agt_nope', 'agent_id');
    await bad('team_id=team_nope', 'team_id');
    await bad('user_id=usr_nope', 'user_id');
    await bad('from=yesterday', 'from');
    // Days that do not exist, and text that is no ISO date, say so (not "from must be before to").
    for (const s of [
      'from=2026-02-30&to=2026-03-05',
      'from=2026-13-01',
      'from=5&to=2026-05-01',
      'from=March%203',
    ]) {
      const r = await t.call('GET', `/v1/reports/overview?${s}`, { key: w.test });
      assert.equal(r.status, 400, `${s}: ${r.text}`);
      assert.deepEqual(r.body.error.errors, [
        { field: 'from', message: 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time' },
      ]);
    }
    await bad('to=2026-04-31', 'to');
  });

  it('exports conversations and calls as CSV; a test key asking for live data is refused', async () => {
    const csv = await t.call('GET', '/v1/reports/conversations.csv?channel=whatsapp', { key: w.test });
    assert.equal(csv.status, 200, csv.text);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.text.trimEnd().split('\r\n');
    const header = lines[0]!.split(',');
    assert.equal(lines.length, 5, 'a header and the 4 conversations');
    for (const col of [
      'id',
      'channel',
      'status',
      'assignee_id',
      'first_response_s',
      'csat_score',
      'ai_resolved',
      'analysis_summary',
    ])
      assert.ok(header.includes(col), col);
    const overview = await t.call('GET', '/v1/reports/overview?channel=whatsapp', { key: w.test });
    const aiCol = header.indexOf('ai_resolved');
    assert.equal(
      lines.slice(1).filter((l) => l.split(',')[aiCol] === 'true').length,
      overview.body.totals.ai_resolved,
    );

    const refused = await t.call('GET', '/v1/reports/conversations.csv?livemode=true', { key: w.test });
    assert.equal(refused.status, 403);
    assert.match(refused.body.error.message, /test key.*live key/);
    const calls = await t.call('GET', '/v1/reports/calls.csv?livemode=false&from=2026-01-01&to=2026-01-02', {
      key: w.test,
    });
    assert.equal(calls.status, 200);
    assert.equal(calls.text.trimEnd().split('\r\n').length, 1, 'only the header: no calls that day');
    const bad = await t.call('GET', '/v1/reports/calls.csv?from=2026-05-02&to=2026-05-01', { key: w.test });
    assert.equal(bad.status, 400);
  });
});
