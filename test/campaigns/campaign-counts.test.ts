import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runDial, runPass } from '../../src/modules/campaigns/campaigns.service.ts';
import { recountRecipients, statColumns } from '../../src/modules/campaigns/counts.ts';
import { settleCampaignCall } from '../../src/modules/campaigns/voice.dialer.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { reminderFlow } from '../support/voice-flows.ts';

/** Sandbox calls on virtual time: a simulated call takes milliseconds. */
const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };

type Stats = Record<string, any>;

/**
 * A campaign's stats are counters kept as recipients move (not counted per read): these tests
 * drive campaigns through every kind of move and check, each time, that the counters add up and
 * are exactly what a scan of the recipient rows says.
 */
forEachStorage('campaign stats kept as counters', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let flowId: string;
  // 10:00 in India on Monday 2026-06-01: inside the default window.
  let now = new Date('2026-06-01T04:30:00Z');
  let n = 0;
  const call = (method: string, url: string, body?: unknown) => t.call(method, url, { key: ws.test, body });
  const get = async (id: string) => (await call('GET', `/v1/campaigns/${id}`)).body;
  const audience = async (contacts: Array<Record<string, unknown>>) => {
    const ids: string[] = [];
    // Twenty requests at a time, not one: the 260-contact audience below took seconds of
    // one-by-one round trips.
    for (let i = 0; i < contacts.length; i += 20) {
      const made = await Promise.all(
        contacts.slice(i, i + 20).map((c) => call('POST', '/v1/contacts', { name: `Person ${n++}`, ...c })),
      );
      for (const res of made) {
        assert.equal(res.status, 201, res.text);
        ids.push(res.body.id);
      }
    }
    const aud = await call('POST', '/v1/audiences', { name: `Counts ${n++}` });
    assert.equal(
      (await call('POST', `/v1/audiences/${aud.body.id}/contacts`, { contact_ids: ids })).status,
      200,
    );
    return aud.body.id as string;
  };

  /** The stats add up, and every counter equals a recount of the rows. */
  const exact = async (id: string): Promise<Stats> => {
    const s = (await get(id)).stats as Stats;
    assert.equal(
      s.total,
      s.pending +
        s.scheduled +
        s.in_progress +
        s.completed +
        Number(s.skipped) +
        Number(s.expired) +
        Number(s.canceled),
      JSON.stringify(s),
    );
    assert.equal(
      s.completed,
      Number(s.answered) +
        Number(s.voicemail) +
        Number(s.no_answer) +
        Number(s.busy) +
        Number(s.failed) +
        Number(s.sent),
    );
    const { counts, outcomes } = await recountRecipients(t.ctx.db, id);
    for (const k of statColumns) assert.equal(s[k], counts[k], `${k}: counter ${s[k]}, rows ${counts[k]}`);
    assert.deepEqual(s.outcomes, outcomes);
    assert.equal(
      s.avg_duration_seconds,
      counts.answered_timed ? Math.round((counts.answered_seconds / counts.answered_timed) * 10) / 10 : null,
    );
    return s;
  };

  before(async () => {
    t = await startTestApp(storage, { env, testing: { now: () => now } });
    ws = await t.workspace({ default_country: 'IN', plan: 'growth' });
    const created = await call('POST', '/v1/voice-flows', reminderFlow());
    assert.equal(created.status, 201, created.text);
    flowId = created.body.id;
  });
  after(() => t.close());

  it('a voice campaign with every result, retries, skips and repeated jobs: counters match the rows at each step', async () => {
    // Sandbox numbers by last digit: 0 answers, 1 busy, 2 no answer, 3 voicemail, 4 invalid (fails).
    const aud = await audience([
      { phone: '+919800007010' },
      { phone: '+919800007020' },
      { phone: '+919800007031' },
      { phone: '+919800007042' },
      { phone: '+919800007053' },
      { phone: '+919800007064' },
      { phone: '+919800007070', dnd: true },
      { phone: '+919800007080', opted_out: true },
      { email: `no-phone-${n}@example.com` },
    ]);
    const created = await call('POST', '/v1/campaigns', {
      name: 'Counts',
      type: 'voice',
      voice_flow_id: flowId,
      audience_id: aud,
      max_attempts: 2,
      retry_delay_minutes: 30,
      retry_on: ['busy', 'no_answer'],
      calls_per_second: 10,
      max_concurrency: 3,
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    assert.equal((await exact(id)).total, 0);
    assert.equal((await call('POST', `/v1/campaigns/${id}/start`)).status, 200);

    // First round: two answer, voicemail and the invalid number complete; busy and no answer wait to retry.
    await eventually(async () => {
      const s = (await get(id)).stats;
      return (
        s.total === 9 && s.completed === 4 && s.pending === 2 && s.in_progress === 0 && s.scheduled === 0
      );
    }, 30_000);
    let s = await exact(id);
    assert.equal(s.skipped, 3);
    assert.equal(s.answered, 2);
    assert.equal(s.voicemail, 1);
    assert.equal(s.failed, 1);
    assert.equal(s.attempts, 6);

    // Jobs that run again (a retried or duplicated job) change and count nothing.
    const recipients = (await call('GET', `/v1/campaigns/${id}/recipients?per_page=100`)).body.data as Array<{
      id: string;
      attempts: number;
      last_call_id: string | null;
    }>;
    for (const r of recipients) {
      if (r.last_call_id) await settleCampaignCall(t.ctx, r.last_call_id);
      if (r.attempts) await runDial(t.ctx, r.id, r.attempts);
    }
    await runPass(t.ctx, id);
    s = await exact(id);
    assert.equal(s.attempts, 6);
    assert.equal(s.pending, 2);

    // The retries: the busy number is busy again, the silent one does not answer again.
    now = new Date(now.getTime() + 31 * 60_000);
    await runPass(t.ctx, id);
    const done = await eventually(async () => {
      const c = await get(id);
      return c.status === 'completed' ? c : null;
    }, 30_000);
    s = await exact(id);
    assert.deepEqual(done.stats, s);
    assert.equal(s.busy, 1);
    assert.equal(s.no_answer, 1);
    assert.equal(s.attempts, 8);
    assert.equal(s.completed, 6);
    assert.equal(s.answer_rate, Math.round((2 / 6) * 1000) / 1000);
  });

  it('cancel while the recipients are being written: none is left pending, the counters match the rows', async () => {
    now = new Date('2026-06-04T02:00:00Z'); // 07:30 IST: closed, nobody is dialed
    const phones = Array.from({ length: 260 }, (_, i) => ({ phone: `+9198000${String(80000 + i)}` }));
    const created = await call('POST', '/v1/campaigns', {
      name: 'Counts cancel while writing',
      type: 'voice',
      voice_flow_id: flowId,
      audience_id: await audience(phones),
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id as string;
    assert.equal((await call('POST', `/v1/campaigns/${id}/start`)).status, 200);
    // The first slice is written at once; cancel while the rest are still to come.
    await eventually(async () => ((await get(id)).stats.total > 0 ? true : null));
    assert.equal((await call('POST', `/v1/campaigns/${id}/cancel`)).status, 200);
    const settled = await eventually(async () => {
      const before = (await get(id)).stats;
      await new Promise((r) => setTimeout(r, 300));
      const after = (await get(id)).stats;
      return JSON.stringify(before) === JSON.stringify(after) && after.pending === 0 ? after : null;
    }, 30_000);
    assert.equal(settled.canceled, settled.total);
    await exact(id);
  });

  it('cancel with recipients pending and scheduled, and end_at expiring the rest: counters match the rows', async () => {
    now = new Date('2026-06-02T02:00:00Z'); // 07:30 IST: closed, so everyone waits
    const phones = Array.from({ length: 6 }, (_, i) => ({ phone: `+91980000711${i}` }));
    const created = await call('POST', '/v1/campaigns', {
      name: 'Counts cancel',
      type: 'voice',
      voice_flow_id: flowId,
      audience_id: await audience(phones),
      calls_per_second: 1,
      max_concurrency: 2,
    });
    const id = created.body.id as string;
    assert.equal((await call('POST', `/v1/campaigns/${id}/start`)).status, 200);
    await eventually(async () => ((await get(id)).stats.pending === 6 ? true : null));
    // A pass at the opening claims up to the concurrency, one dial a second; cancel while some
    // are claimed or on a call and the rest wait (how many of each depends on the machine's speed).
    now = new Date('2026-06-02T03:30:00Z');
    await runPass(t.ctx, id);
    let s = await exact(id);
    assert.ok(s.pending >= 1, JSON.stringify(s));
    const canceled = await call('POST', `/v1/campaigns/${id}/cancel`);
    assert.equal(canceled.status, 200, canceled.text);
    s = await exact(id);
    assert.equal(s.pending + s.scheduled, 0);
    assert.ok(s.canceled >= 1, JSON.stringify(s));
    assert.equal(s.canceled + s.completed + s.in_progress, 6);
    // Calls still live when it was canceled end their recipients; the counters follow.
    await eventually(async () => ((await get(id)).stats.in_progress === 0 ? true : null));
    await exact(id);

    const ending = await call('POST', '/v1/campaigns', {
      name: 'Counts expiry',
      type: 'voice',
      voice_flow_id: flowId,
      audience_id: await audience([{ phone: '+919800007120' }, { phone: '+919800007121', dnd: true }]),
      schedule: { end_at: '2026-06-03T03:45:00Z' },
    });
    assert.equal(ending.status, 201, ending.text);
    now = new Date('2026-06-03T02:00:00Z'); // closed until 03:30Z
    assert.equal((await call('POST', `/v1/campaigns/${ending.body.id}/start`)).status, 200);
    await eventually(async () => ((await get(ending.body.id)).stats.pending === 1 ? true : null));
    now = new Date('2026-06-03T03:50:00Z');
    await runPass(t.ctx, ending.body.id);
    await eventually(async () => ((await get(ending.body.id)).status === 'completed' ? true : null));
    s = await exact(ending.body.id);
    assert.equal(s.expired, 1);
    assert.equal(s.skipped, 1);
  });
});
