import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { runPass } from '../../src/modules/campaigns/campaigns.service.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

forEachStorage('campaigns', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  // The app's clock: tests move it; windows, retries and expiry follow it.
  let now = new Date('2026-06-01T03:29:00Z');
  let n = 0;

  const call = (method: string, url: string, body?: unknown, key = ws.test) =>
    t.call(method, url, { key, body });
  const contact = async (phone: string, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', '/v1/contacts', { phone, name: `Person ${n++}`, ...extra });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const audience = async (ids: string[]) => {
    const aud = await call('POST', '/v1/audiences', { name: `Audience ${n++}` });
    assert.equal(aud.status, 201, aud.text);
    if (ids.length)
      assert.equal(
        (await call('POST', `/v1/audiences/${aud.body.id}/contacts`, { contact_ids: ids })).status,
        200,
      );
    return aud.body.id as string;
  };
  const campaign = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/v1/campaigns', {
      name: `Campaign ${n++}`,
      type: 'whatsapp',
      template: 'reminder',
      ...body,
    });
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; status: string };
  };
  const get = async (id: string) => (await call('GET', `/v1/campaigns/${id}`)).body;
  const recipients = async (id: string, status?: string) =>
    (await call('GET', `/v1/campaigns/${id}/recipients${status ? `?status=${status}` : ''}`)).body
      .data as Array<Record<string, any>>;
  /** Runs a pass now (as the tick job does) and waits for the campaign to complete. */
  const settle = async (id: string) => {
    await runPass(t.ctx, id);
    return eventually(async () => {
      const c = await get(id);
      return c.status === 'completed' ? c : null;
    }, 15_000);
  };
  const addsUp = (s: Record<string, number>) => {
    assert.equal(
      s.total,
      s.pending + s.scheduled + s.in_progress + s.completed + s.skipped + s.expired + s.canceled,
    );
    assert.equal(s.completed, s.answered + s.voicemail + s.no_answer + s.busy + s.failed + s.sent);
  };
  const completedEvents = async (id: string) =>
    (await call('GET', '/v1/events?type=campaign.completed&per_page=100')).body.data.filter(
      (e: { data: { id: string } }) => e.data.id === id,
    ).length;

  before(async () => {
    t = await startTestApp(storage, { testing: { now: () => now } });
    ws = await t.workspace({ default_country: 'IN', plan: 'growth' });
    other = await t.workspace();
    const tpl = await call('POST', '/v1/templates', {
      name: 'reminder',
      language: 'en',
      category: 'utility',
      body: 'Hi {{name}}, your visit is due.',
    });
    assert.equal(tpl.status, 201, tpl.text);
  });
  after(() => t.close());

  it('refuses bad campaigns with a 4xx naming the field, and creates nothing', async () => {
    const ok = await audience([await contact('+919800000101')]);
    const empty = await audience([]);
    const bad = async (body: Record<string, unknown>, status: number, code: string, field?: string) => {
      const res = await call('POST', '/v1/campaigns', {
        name: 'Bad',
        type: 'whatsapp',
        template: 'reminder',
        audience_id: ok,
        ...body,
      });
      assert.equal(res.status, status, res.text);
      assert.equal(res.body.error.code, code);
      if (field)
        assert.ok(
          res.body.error.errors.some((e: { field: string }) => e.field === field),
          res.text,
        );
    };
    await bad({ audience_id: empty }, 400, 'validation_failed', 'audience_id');
    await bad(
      { schedule: { start_at: '2026-06-02T10:00:00Z', end_at: '2026-06-02T09:00:00Z' } },
      400,
      'validation_failed',
      'schedule.end_at',
    );
    await bad(
      { schedule: { windows: [{ days: ['mon'], start: '22:00', end: '21:00' }] } },
      400,
      'validation_failed',
      'schedule.windows.0.end',
    );
    // 22:00-23:00 is outside TRAI's hours for an Indian number: it never opens.
    await bad(
      { schedule: { windows: [{ days: ['mon', 'tue'], start: '22:00', end: '23:00' }] } },
      400,
      'validation_failed',
      'schedule.windows',
    );
    await bad({ template: 'missing' }, 422, 'template_not_approved');
    await bad(
      { template: { name: 'reminder', variables: { code: 'X' } } },
      400,
      'validation_failed',
      'template.variables.code',
    );
    await bad({ type: 'voice', template: undefined }, 400, 'validation_failed', 'agent_id');
    await bad({ max_concurrency: 5 }, 400, 'validation_failed', 'max_concurrency');
    await bad(
      { type: 'voice', template: undefined, voice_flow_id: 'vf_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
      400,
      'validation_failed',
      'voice_flow_id',
    );
    const paused = await call('POST', '/v1/templates', {
      name: 'paused_one',
      language: 'en',
      category: 'marketing',
      body: 'Hello',
    });
    assert.equal((await call('PATCH', `/v1/templates/${paused.body.id}`, { status: 'paused' })).status, 200);
    await bad({ template: 'paused_one' }, 422, 'template_not_approved');
    // A voice campaign's `from` is checked as a call's is (test mode rehearses live).
    const caller = await call('POST', '/v1/agents', { name: 'Caller' });
    const voice = { type: 'voice', template: undefined, agent_id: caller.body.id };
    await bad({ ...voice, from: '+14155550999' }, 422, 'channel_not_configured');
    await bad({ ...voice, from: 'not a number' }, 400, 'validation_failed', 'from');
    assert.equal((await call('GET', '/v1/campaigns')).body.meta.total, 0);
  });

  it('a WhatsApp campaign retries only failed sends by default (voice outcomes do not apply to it)', async () => {
    const c = await campaign({ audience_id: await audience([await contact('+919800000109')]) });
    assert.deepEqual((c as unknown as { retry_on: string[] }).retry_on, ['failed']);
  });

  it("sends in each recipient's own hours: India at 09:00 IST, +1 415 by Los Angeles time; stats add up; completed once", async () => {
    now = new Date('2026-06-01T03:29:00Z'); // 08:59 in India, 20:29 (May 31) in Los Angeles
    const india = await contact('+919800000201');
    const la = await contact('+14155550123');
    const dnd = await contact('+919800000202', { dnd: true });
    const out = await contact('+919800000203', { opted_out: true });
    const c = await campaign({ audience_id: await audience([india, la, dnd, out]), calls_per_second: 10 });
    assert.equal(c.status, 'draft');
    assert.equal(
      (await call('GET', `/v1/campaigns/${c.id}/recipients`)).body.meta.total,
      0,
      'a draft has no recipients',
    );

    const started = await call('POST', `/v1/campaigns/${c.id}/start`);
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.status, 'running');
    const first = await eventually(async () => {
      const got = await get(c.id);
      return got.stats.sent === 1 && got.stats.scheduled === 0 ? got : null;
    });
    addsUp(first.stats);
    assert.equal(first.stats.total, 4);
    assert.equal(first.stats.skipped, 2);
    assert.equal(first.stats.pending, 1);
    const [sent] = await recipients(c.id, 'sent');
    assert.equal(sent.contact_id, la);
    assert.deepEqual(sent.timezones, ['America/Los_Angeles']);
    assert.equal(sent.timezone_source, 'prefix');
    assert.match(sent.message_id, /^msg_/);
    const [waiting] = await recipients(c.id, 'pending');
    assert.equal(waiting.contact_id, india);
    assert.equal(waiting.next_attempt_at, '2026-06-01T03:30:00.000Z', 'waits for 09:00 IST');
    assert.deepEqual(waiting.timezones, ['Asia/Kolkata']);
    const skipped = await recipients(c.id, 'skipped');
    assert.deepEqual(skipped.map((r) => r.error.code).sort(), ['contact_dnd', 'contact_opted_out']);

    await runPass(t.ctx, c.id);
    assert.equal((await get(c.id)).stats.pending, 1, 'still 08:59 in India: nothing sent');

    now = new Date('2026-06-01T03:30:00Z');
    const done = await settle(c.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.stats.sent, 2);
    assert.equal(done.stats.attempts, 2);
    addsUp(done.stats);
    const msg = await call(
      'GET',
      `/v1/messages/${(await recipients(c.id, 'sent')).find((r) => r.contact_id === india)!.message_id}`,
    );
    assert.equal(msg.body.template.name, 'reminder');
    assert.match(msg.body.text, /^Hi Person \d+, your visit is due\.$/);
    await runPass(t.ctx, c.id);
    await eventually(async () => (await completedEvents(c.id)) === 1);
    assert.equal(await completedEvents(c.id), 1);
  });

  it('pause stops new sends, resume continues; ignore_dnd reaches DND contacts but never opted-out ones', async () => {
    now = new Date('2026-06-02T02:00:00Z'); // 07:30 IST: closed
    const dnd = await contact('+919800000301', { dnd: true });
    const out = await contact('+919800000302', { opted_out: true });
    const c = await campaign({ audience_id: await audience([dnd, out]), ignore_dnd: true });
    assert.equal((await call('POST', `/v1/campaigns/${c.id}/start`)).status, 200);
    await eventually(async () => ((await get(c.id)).stats.total === 2 ? true : null));
    const paused = await call('POST', `/v1/campaigns/${c.id}/pause`);
    assert.equal(paused.body.status, 'paused');
    assert.equal((await call('POST', `/v1/campaigns/${c.id}/pause`)).status, 409);
    now = new Date('2026-06-02T05:00:00Z'); // 10:30 IST: open
    await runPass(t.ctx, c.id);
    assert.equal((await get(c.id)).stats.pending, 1, 'paused: nothing sent');
    assert.equal((await call('PATCH', `/v1/campaigns/${c.id}`, { calls_per_second: 5 })).status, 200);
    assert.equal((await call('POST', `/v1/campaigns/${c.id}/resume`)).body.status, 'running');
    const done = await settle(c.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.stats.sent, 1);
    assert.equal(done.stats.skipped, 1);
    assert.equal((await recipients(c.id, 'skipped'))[0].error.code, 'contact_opted_out');
  });

  it('cancel leaves the rest canceled; a canceled campaign cannot start; end_at expires who is left', async () => {
    now = new Date('2026-06-02T02:00:00Z'); // 07:30 IST: closed
    const ids = [await contact('+919800000401'), await contact('+919800000402')];
    const c = await campaign({ audience_id: await audience(ids) });
    assert.equal((await call('POST', `/v1/campaigns/${c.id}/start`)).status, 200);
    await eventually(async () => ((await get(c.id)).stats.pending === 2 ? true : null));
    const canceled = await call('POST', `/v1/campaigns/${c.id}/cancel`);
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal(canceled.body.status, 'canceled');
    assert.equal(canceled.body.stats.canceled, 2);
    addsUp(canceled.body.stats);
    const again = await call('POST', `/v1/campaigns/${c.id}/start`);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /canceled/);
    assert.equal((await call('POST', `/v1/campaigns/${c.id}/cancel`)).status, 409);

    const ending = await campaign({
      audience_id: await audience([await contact('+919800000403')]),
      schedule: { end_at: '2026-06-02T03:45:00Z' },
    });
    assert.equal((await call('POST', `/v1/campaigns/${ending.id}/start`)).status, 200);
    await eventually(async () => ((await get(ending.id)).stats.pending === 1 ? true : null));
    // The window opened at 03:30Z, but the clock is past the end before anyone was reached.
    now = new Date('2026-06-02T03:50:00Z');
    await runPass(t.ctx, ending.id);
    const expired = await get(ending.id);
    assert.equal(expired.status, 'completed');
    assert.equal(expired.stats.expired, 1);
    addsUp(expired.stats);
    assert.equal((await recipients(ending.id, 'expired'))[0].error.code, 'campaign_ended');
    assert.equal(await completedEvents(ending.id), 1);
  });

  it('lists and reads only its own workspace and mode', async () => {
    const list = await call('GET', '/v1/campaigns?type=whatsapp');
    assert.equal(list.status, 200);
    assert.ok(list.body.meta.total >= 4);
    const id = list.body.data[0].id;
    assert.equal((await call('GET', `/v1/campaigns/${id}`, undefined, other.test)).status, 404);
    assert.equal((await call('GET', `/v1/campaigns/${id}`, undefined, ws.live)).status, 404);
    assert.equal((await call('GET', '/v1/campaigns', undefined, ws.live)).body.meta.total, 0);
  });
});
