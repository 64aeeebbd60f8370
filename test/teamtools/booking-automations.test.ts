import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const open = [{ open: '09:00', close: '18:00' }];
const week = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, open]));

/**
 * Booking automations (issue 45): `booking.created`, `booking.cancelled`, `booking.rescheduled`
 * run on the booking's conversation; `booking.starts_in` with minutes sends a WhatsApp reminder
 * template a day before, once, only for a booking still confirmed at that start.
 */
forEachStorage('booking automations and reminders', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let serviceId: string;
  // Monday 11 May 2026, 11:30 in Kolkata.
  let now = new Date('2026-05-11T06:00:00Z');
  const moveTo = (iso: string) => {
    now = new Date(iso);
  };

  before(async () => {
    t = await startTestApp(storage, { testing: { now: () => now } });
    ws = await t.workspace({ default_country: 'IN' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Smile Dental',
        business: {
          timezone: 'Asia/Kolkata',
          hours: week,
          services: [{ name: 'Cleaning', duration_minutes: 30 }],
        },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    serviceId = agent.body.business.services[0].id;
    const tpl = await t.call('POST', '/v1/templates', {
      key: ws.test,
      body: {
        name: 'appointment_reminder',
        language: 'en',
        category: 'utility',
        body: 'Reminder: your {{1}} at Smile Dental is tomorrow.',
      },
    });
    assert.equal(tpl.status, 201, tpl.text);
  });
  after(() => t.close());

  let phone = 0;
  const conversation = async () => {
    const r = await t.call('POST', '/v1/sandbox/inbound', {
      key: ws.test,
      body: { from: `+91981266${String(++phone).padStart(4, '0')}`, text: 'I want a cleaning' },
    });
    assert.ok(r.status < 300, r.text);
    return r.body.conversation_id as string;
  };
  const get = async (id: string) => (await t.call('GET', `/v1/conversations/${id}`, { key: ws.test })).body;
  const reminders = async (id: string) =>
    (
      (await t.call('GET', `/v1/conversations/${id}/messages?per_page=100`, { key: ws.test })).body
        .data as Array<{
        template: { name: string } | null;
      }>
    ).filter((m) => m.template?.name === 'appointment_reminder');
  const automation = async (body: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/automations', { key: ws.test, body });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };
  const book = async (conversationId: string, startAt: string) => {
    const r = await t.call('POST', '/v1/bookings', {
      key: ws.test,
      body: { agent_id: agentId, conversation_id: conversationId, service_id: serviceId, start_at: startAt },
    });
    assert.equal(r.status, 201, r.text);
    return r.body;
  };

  it('refuses booking.starts_in without minutes, and minutes on other events', async () => {
    const actions = [{ type: 'add_tags', tags: ['x'] }];
    const none = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: { name: 'r', event: 'booking.starts_in', actions },
    });
    assert.equal(none.status, 400, none.text);
    assert.equal(none.body.error.errors[0].field, 'minutes');
    const extra = await t.call('POST', '/v1/automations', {
      key: ws.test,
      body: { name: 'r', event: 'booking.created', minutes: 60, actions },
    });
    assert.equal(extra.status, 400, extra.text);
  });

  it('created, rescheduled and cancelled run their automations; a reminder goes out once, a day before', async () => {
    await automation({
      name: 'Booked',
      event: 'booking.created',
      actions: [{ type: 'add_tags', tags: ['booked'] }],
    });
    await automation({
      name: 'Moved',
      event: 'booking.rescheduled',
      actions: [{ type: 'add_tags', tags: ['moved'] }],
    });
    await automation({
      name: 'Cancelled',
      event: 'booking.cancelled',
      actions: [{ type: 'add_tags', tags: ['cancelled-booking'] }],
    });
    const a = await conversation();
    const b = await conversation();
    const c = await conversation();
    // Wednesday 13 May, 11:00 in Kolkata.
    const bookingA = await book(a, '2026-05-13T05:30:00Z');
    // The reminder rule made after booking A: A gets its reminder too.
    const reminder = await automation({
      name: 'Reminder a day before',
      event: 'booking.starts_in',
      minutes: 1440,
      actions: [
        { type: 'send_template', template: { name: 'appointment_reminder', variables: ['cleaning'] } },
      ],
    });
    assert.equal(reminder.minutes, 1440);
    const bookingB = await book(b, '2026-05-13T06:30:00Z');
    const bookingC = await book(c, '2026-05-13T04:00:00Z');
    for (const id of [a, b, c])
      await eventually(async () => ((await get(id)).tags.includes('booked') ? true : null), 15_000);
    const moved = await t.call('POST', `/v1/bookings/${bookingB.id}/reschedule`, {
      key: ws.test,
      body: { start_at: '2026-05-14T06:30:00Z' },
    });
    assert.equal(moved.status, 200, moved.text);
    const cancelled = await t.call('POST', `/v1/bookings/${bookingC.id}/cancel`, { key: ws.test, body: {} });
    assert.equal(cancelled.status, 200, cancelled.text);
    await eventually(async () => ((await get(b)).tags.includes('moved') ? true : null), 15_000);
    await eventually(async () => ((await get(c)).tags.includes('cancelled-booking') ? true : null), 15_000);
    assert.equal((await reminders(a)).length, 0, 'not before its time');
    // Tuesday 12 May, 11:01 in Kolkata: a day before booking A.
    moveTo('2026-05-12T05:31:00Z');
    await eventually(async () => ((await reminders(a)).length === 1 ? true : null), 15_000);
    // Past the old start of B's reminder and C's: B was moved, C cancelled.
    moveTo('2026-05-12T07:00:00Z');
    // Wednesday 13 May, 12:01: a day before B's new start.
    moveTo('2026-05-13T06:31:00Z');
    await eventually(async () => ((await reminders(b)).length === 1 ? true : null), 15_000);
    assert.equal((await reminders(c)).length, 0, 'a cancelled booking gets no reminder');
    assert.equal((await reminders(a)).length, 1, 'once');
    assert.equal((await reminders(b)).length, 1, 'only for the new start');
    assert.equal(bookingA.status, 'confirmed');
  });
});
