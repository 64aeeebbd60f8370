import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  checkAvailability,
  createBooking,
  listContactBookings,
} from '../../src/modules/bookings/bookings.service.ts';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

// A fixed "now": Sunday 2026-05-10 12:00 UTC. 2026-05-11 is a Monday, 2026-05-12 a holiday.
const NOW = new Date('2026-05-10T12:00:00.000Z');

forEachStorage('bookings', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  let agentId: string;
  let haircut: string;
  let consult: string;

  before(async () => {
    t = await startTestApp(storage, { testing: { now: () => NOW } });
    ws = await t.workspace({ default_country: 'IN' });
    other = await t.workspace();
    const res = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Salon',
        business: {
          timezone: 'Asia/Kolkata',
          hours: {
            mon: [{ open: '10:00', close: '19:00' }],
            tue: [{ open: '10:00', close: '19:00' }],
            wed: [{ open: '10:00', close: '19:00' }],
          },
          services: [
            { name: 'Haircut', duration_minutes: 45, price: 500 },
            { name: 'Consultation', duration_minutes: 30 },
          ],
          holidays: ['2026-05-12'],
          buffer_minutes: 15,
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    agentId = res.body.id;
    [haircut, consult] = res.body.business.services.map((s: { id: string }) => s.id);
  });
  after(() => t.close());

  const book = (body: Record<string, unknown>, key = ws.live) =>
    t.call('POST', '/v1/bookings', { key, body: { agent_id: agentId, ...body } });
  const eventsOf = (objectId: string) =>
    t.ctx.db
      .selectFrom('events')
      .select(['type', 'actor_type', 'actor_id', 'data'])
      .where('object_id', '=', objectId)
      .orderBy('id')
      .execute();

  describe('availability', () => {
    it('lists free slots of a day in the business timezone', async () => {
      const res = await t.call(
        'GET',
        `/v1/agents/${agentId}/availability?date=2026-05-11&service_id=${haircut}`,
        { key: ws.live },
      );
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.timezone, 'Asia/Kolkata');
      assert.equal(res.body.duration_minutes, 45);
      assert.equal(res.body.closed, false);
      assert.deepEqual(res.body.slots[0], {
        start_at: '2026-05-11T04:30:00.000Z',
        end_at: '2026-05-11T05:15:00.000Z',
        local_start: '2026-05-11T10:00:00+05:30',
        remaining: 1,
      });
      assert.equal(res.body.slots.at(-1).local_start, '2026-05-11T18:15:00+05:30');
      assert.equal(res.body.slots.length, 34);
    });

    it('is empty on a closed weekday, a holiday and a past day', async () => {
      for (const date of ['2026-05-10', '2026-05-12', '2026-05-04']) {
        const res = await t.call('GET', `/v1/agents/${agentId}/availability?date=${date}`, { key: ws.live });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.slots, [], date);
      }
      const holiday = await t.call('GET', `/v1/agents/${agentId}/availability?date=2026-05-12`, {
        key: ws.live,
      });
      assert.equal(holiday.body.closed, true);
    });

    it('rejects a bad date, an unknown service and hides other workspaces', async () => {
      assert.equal(
        (await t.call('GET', `/v1/agents/${agentId}/availability?date=2026-13-01`, { key: ws.live })).status,
        400,
      );
      const today = await t.call('GET', `/v1/agents/${agentId}/availability`, { key: ws.live });
      assert.equal(today.body.date, '2026-05-10', 'defaults to today in the business timezone');
      assert.equal(today.body.closed, true);
      const svc = await t.call(
        'GET',
        `/v1/agents/${agentId}/availability?date=2026-05-11&service_id=svc_01JD5Z8Q4X3N2M1K0H9G8F7E6D`,
        { key: ws.live },
      );
      assert.equal(svc.status, 400);
      assert.equal(svc.body.error.errors[0].field, 'service_id');
      assert.equal(
        (await t.call('GET', `/v1/agents/${agentId}/availability?date=2026-05-11`, { key: other.live }))
          .status,
        404,
      );
      assert.equal(
        (await t.call('GET', `/v1/agents/${agentId}/availability?date=2026-05-11`, { key: ws.test })).status,
        404,
      );
    });
  });

  describe('create', () => {
    it('books by phone (creating the contact), emits booking.created, and takes the slot', async () => {
      const res = await book({
        service_id: haircut,
        start_at: '2026-05-11T15:00:00+05:30',
        phone: '98765 43210',
        name: 'Asha',
        notes: 'window seat',
      });
      assert.equal(res.status, 201, res.text);
      const b = res.body;
      assert.equal(b.start_at, '2026-05-11T09:30:00.000Z');
      assert.equal(b.end_at, '2026-05-11T10:15:00.000Z');
      assert.equal(b.local_start, '2026-05-11T15:00:00+05:30');
      assert.equal(b.status, 'confirmed');
      assert.equal(b.service_name, 'Haircut');
      const contact = await t.ctx.db
        .selectFrom('contacts')
        .selectAll()
        .where('id', '=', b.contact_id)
        .executeTakeFirstOrThrow();
      assert.equal(contact.phone, '+919876543210');
      const events = await eventsOf(b.id);
      assert.deepEqual(
        events.map((e) => [e.type, e.actor_type]),
        [['booking.created', 'api_key']],
      );
      assert.equal(JSON.parse(events[0].data).start_at, b.start_at);

      const slots = (
        await t.call('GET', `/v1/agents/${agentId}/availability?date=2026-05-11&service_id=${consult}`, {
          key: ws.live,
        })
      ).body.slots;
      const starts = slots.map((s: { local_start: string }) => s.local_start.slice(11, 16));
      // Booked 15:00–15:45 with a 15-minute buffer: 30-minute slots must end by 14:45 or start from 16:00.
      assert.ok(starts.includes('14:15') && starts.includes('16:00'));
      for (const gone of ['14:30', '14:45', '15:00', '15:30', '15:45'])
        assert.ok(!starts.includes(gone), gone);
    });

    it('refuses an overlap and a booking inside the buffer with 409, but allows one after it', async () => {
      const overlap = await book({
        service_id: consult,
        start_at: '2026-05-11T15:30:00+05:30',
        phone: '+919876543211',
      });
      assert.equal(overlap.status, 409);
      assert.equal(overlap.body.error.code, 'conflict');
      const inBuffer = await book({
        service_id: consult,
        start_at: '2026-05-11T15:50:00+05:30',
        phone: '+919876543211',
      });
      assert.equal(inBuffer.status, 409);
      const afterBuffer = await book({
        service_id: consult,
        start_at: '2026-05-11T16:00:00+05:30',
        phone: '+919876543211',
      });
      assert.equal(afterBuffer.status, 201, afterBuffer.text);
    });

    it('answers a clear 4xx for bad input', async () => {
      const contact = await book({
        service_id: consult,
        start_at: '2026-05-13T10:00:00+05:30',
        phone: '+919876543212',
      });
      assert.equal(contact.status, 201, contact.text);
      const contactId = contact.body.contact_id;
      const cases: Array<[Record<string, unknown>, number, RegExp]> = [
        [
          { service_id: haircut, start_at: '2026-05-09T10:00:00+05:30', contact_id: contactId },
          422,
          /in the past/,
        ],
        [
          { service_id: haircut, start_at: '2026-05-11T08:00:00+05:30', contact_id: contactId },
          422,
          /outside opening hours/,
        ],
        [
          { service_id: haircut, start_at: '2026-05-11T18:30:00+05:30', contact_id: contactId },
          422,
          /outside opening hours/,
        ],
        [
          { service_id: haircut, start_at: '2026-05-12T11:00:00+05:30', contact_id: contactId },
          422,
          /holiday/,
        ],
        [
          { service_id: haircut, start_at: '2026-05-14T11:00:00+05:30', contact_id: contactId },
          422,
          /closed on Thursdays/,
        ],
        [
          {
            service_id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
            start_at: '2026-05-11T11:00:00+05:30',
            contact_id: contactId,
          },
          400,
          /service_id/,
        ],
        [{ start_at: '2026-05-11T11:00:00+05:30', contact_id: contactId }, 400, /service_id/],
        [
          {
            service_id: haircut,
            start_at: '2026-05-11T11:00:00+05:30',
            end_at: '2026-05-11T13:00:00+05:30',
            contact_id: contactId,
          },
          400,
          /end_at/,
        ],
        [{ service_id: haircut, start_at: '2026-05-11T11:00:00+05:30' }, 400, /contact_id/],
        [{ service_id: haircut, start_at: '2026-05-11T11:00:00', contact_id: contactId }, 400, /start_at/],
        [{ service_id: haircut, start_at: '2026-05-11T11:00:00+05:30', phone: '12' }, 400, /phone/],
        [
          {
            service_id: haircut,
            start_at: '2026-05-11T11:00:00+05:30',
            contact_id: 'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
          },
          404,
          /contact/,
        ],
        [
          {
            agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
            service_id: haircut,
            start_at: '2026-05-11T11:00:00+05:30',
            contact_id: contactId,
          },
          404,
          /agent/,
        ],
      ];
      for (const [body, status, message] of cases) {
        const res = await book(body);
        assert.equal(res.status, status, `${JSON.stringify(body)} → ${res.text}`);
        assert.match(res.text, message, JSON.stringify(body));
      }
      // A contact of another workspace is not found.
      const foreign = await book(
        { service_id: haircut, start_at: '2026-05-11T11:00:00+05:30', contact_id: contactId },
        other.live,
      );
      assert.equal(foreign.status, 404);
    });

    it('lets exactly one of many concurrent requests take a slot', async () => {
      const n = 8;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          book({ service_id: haircut, start_at: '2026-05-13T12:00:00+05:30', phone: `+91987654330${i}` }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, ...Array(n - 1).fill(409)], results.map((r) => r.text).join('\n'));
      const rows = await t.ctx.db
        .selectFrom('bookings')
        .select('id')
        .where('agent_id', '=', agentId)
        .where('start_at', '=', '2026-05-13T06:30:00.000Z')
        .where('status', '=', 'confirmed')
        .execute();
      assert.equal(rows.length, 1);
    });
  });

  describe('capacity', () => {
    // A second business: three chairs for haircuts, one room for a consultation.
    let salonId: string;
    let cut: string;
    let talk: string;
    const DAY = '2026-05-20';
    before(async () => {
      const res = await t.call('POST', '/v1/agents', {
        key: ws.live,
        body: {
          name: 'Three chairs',
          business: {
            timezone: 'Asia/Kolkata',
            hours: { wed: [{ open: '10:00', close: '19:00' }] },
            services: [
              { name: 'Haircut', duration_minutes: 60, capacity: 3 },
              { name: 'Consultation', duration_minutes: 30 },
            ],
          },
        },
      });
      assert.equal(res.status, 201, res.text);
      salonId = res.body.id;
      [cut, talk] = res.body.business.services.map((s: { id: string }) => s.id);
      assert.deepEqual(
        res.body.business.services.map((s: { capacity: number }) => s.capacity),
        [3, 1],
      );
    });
    const bookAt = (service: string, local: string, phone: string) =>
      t.call('POST', '/v1/bookings', {
        key: ws.live,
        body: { agent_id: salonId, service_id: service, start_at: `${DAY}T${local}:00+05:30`, phone },
      });
    const slotsOf = async (service: string) => {
      const res = await t.call(
        'GET',
        `/v1/agents/${salonId}/availability?date=${DAY}&service_id=${service}`,
        {
          key: ws.live,
        },
      );
      assert.equal(res.status, 200, res.text);
      return new Map<string, number>(
        res.body.slots.map((s: { local_start: string; remaining: number }) => [
          s.local_start.slice(11, 16),
          s.remaining,
        ]),
      );
    };

    it('lets exactly capacity of many concurrent requests take the same slot, on both storages', async () => {
      assert.equal((await slotsOf(cut)).get('12:00'), 3);
      const n = 8;
      const results = await Promise.all(
        Array.from({ length: n }, (_, i) => bookAt(cut, '12:00', `+91987655000${i}`)),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(
        statuses,
        [201, 201, 201, ...Array(n - 3).fill(409)],
        results.map((r) => r.text).join('\n'),
      );
      const refused = results.find((r) => r.status === 409)!;
      assert.equal(refused.body.error.code, 'conflict');
      assert.match(refused.body.error.message, /all 3 places are booked/);
      const rows = await t.ctx.db
        .selectFrom('bookings')
        .select('id')
        .where('agent_id', '=', salonId)
        .where('start_at', '=', `${DAY}T06:30:00.000Z`)
        .where('status', '=', 'confirmed')
        .execute();
      assert.equal(rows.length, 3);
      // Exactly one booking.created per booking made.
      const created = await t.ctx.db
        .selectFrom('events')
        .select('object_id')
        .where('type', '=', 'booking.created')
        .where(
          'object_id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      assert.equal(created.length, 3);
    });

    it('counts the places taken at each moment: a full hour is gone, its neighbours are not', async () => {
      const slots = await slotsOf(cut);
      // 12:00-13:00 is full: no haircut can start from 11:15 to 12:45.
      for (const gone of ['11:15', '11:45', '12:00', '12:45']) assert.equal(slots.has(gone), false, gone);
      assert.equal(slots.get('11:00'), 3);
      assert.equal(slots.get('13:00'), 3);
      // One place left around a single booking.
      assert.equal((await bookAt(cut, '15:00', '+919876551000')).status, 201);
      assert.equal((await slotsOf(cut)).get('15:30'), 2);
      // A service with one place cannot start while any booking runs.
      const consult = await slotsOf(talk);
      assert.equal(consult.has('15:30'), false);
      assert.equal(consult.get('16:00'), 1);
      assert.equal((await bookAt(talk, '15:15', '+919876551001')).status, 409);
      // A consultation running takes one of the three chairs' places for a haircut.
      assert.equal((await bookAt(talk, '17:00', '+919876551002')).status, 201);
      assert.equal((await slotsOf(cut)).get('17:00'), 2);
      assert.equal((await bookAt(cut, '17:00', '+919876551003')).status, 201);
      assert.equal((await bookAt(cut, '17:00', '+919876551004')).status, 201);
      assert.equal((await bookAt(cut, '17:00', '+919876551005')).status, 409);
    });

    it('frees a place on cancel and checks capacity on reschedule', async () => {
      const a = await bookAt(cut, '10:00', '+919876552000');
      assert.equal(a.status, 201, a.text);
      // Into the full noon hour: refused, the booking stays where it was.
      const full = await t.call('POST', `/v1/bookings/${a.body.id}/reschedule`, {
        key: ws.live,
        body: { start_at: `${DAY}T12:00:00+05:30` },
      });
      assert.equal(full.status, 409, full.text);
      assert.equal(
        (await t.call('GET', `/v1/bookings/${a.body.id}`, { key: ws.live })).body.local_start,
        `${DAY}T10:00:00+05:30`,
      );
      const noon = await t.ctx.db
        .selectFrom('bookings')
        .select('id')
        .where('agent_id', '=', salonId)
        .where('start_at', '=', `${DAY}T06:30:00.000Z`)
        .where('status', '=', 'confirmed')
        .execute();
      const cancel = await t.call('POST', `/v1/bookings/${noon[0].id}/cancel`, { key: ws.live, body: {} });
      assert.equal(cancel.status, 200, cancel.text);
      assert.equal((await slotsOf(cut)).get('12:00'), 1);
      const moved = await t.call('POST', `/v1/bookings/${a.body.id}/reschedule`, {
        key: ws.live,
        body: { start_at: `${DAY}T12:00:00+05:30` },
      });
      assert.equal(moved.status, 200, moved.text);
      assert.equal((await slotsOf(cut)).has('12:00'), false);
    });

    it('validates capacity and keeps it when a service is sent back without it', async () => {
      const bad = await t.call('PATCH', `/v1/agents/${salonId}`, {
        key: ws.live,
        body: { business: { services: [{ name: 'Haircut', duration_minutes: 60, capacity: 0 }] } },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.errors[0].field, 'business.services.0.capacity');
      const kept = await t.call('PATCH', `/v1/agents/${salonId}`, {
        key: ws.live,
        body: {
          business: {
            services: [
              { id: cut, name: 'Haircut', duration_minutes: 60 },
              { id: talk, name: 'Consultation', duration_minutes: 30, capacity: 2 },
            ],
          },
        },
      });
      assert.equal(kept.status, 200, kept.text);
      assert.deepEqual(
        kept.body.business.services.map((s: { capacity: number }) => s.capacity),
        [3, 2],
      );
    });
  });

  describe('cancel and reschedule', () => {
    it('cancels once, frees the slot, and refuses a second cancel', async () => {
      const b = (
        await book({ service_id: consult, start_at: '2026-05-13T17:00:00+05:30', phone: '+919876543220' })
      ).body;
      const res = await t.call('POST', `/v1/bookings/${b.id}/cancel`, {
        key: ws.live,
        body: { reason: 'Changed plans' },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, 'cancelled');
      assert.equal(res.body.cancellation_reason, 'Changed plans');
      assert.equal(res.body.cancelled_at, NOW.toISOString());
      const again = await t.call('POST', `/v1/bookings/${b.id}/cancel`, { key: ws.live });
      assert.equal(again.status, 409);
      const rebook = await book({
        service_id: consult,
        start_at: '2026-05-13T17:00:00+05:30',
        phone: '+919876543221',
      });
      assert.equal(rebook.status, 201, rebook.text);
      assert.deepEqual(
        (await eventsOf(b.id)).map((e) => e.type),
        ['booking.created', 'booking.cancelled'],
      );
      const noReschedule = await t.call('POST', `/v1/bookings/${b.id}/reschedule`, {
        key: ws.live,
        body: { start_at: '2026-05-13T18:00:00+05:30' },
      });
      assert.equal(noReschedule.status, 409);
    });

    it('reschedules with the same checks as a new booking', async () => {
      const a = (
        await book({ service_id: haircut, start_at: '2026-05-18T10:00:00+05:30', phone: '+919876543230' })
      ).body;
      const b = (
        await book({ service_id: haircut, start_at: '2026-05-18T12:00:00+05:30', phone: '+919876543231' })
      ).body;
      const overlapping = await t.call('POST', `/v1/bookings/${a.id}/reschedule`, {
        key: ws.live,
        body: { start_at: '2026-05-18T12:30:00+05:30' },
      });
      assert.equal(overlapping.status, 409);
      const holiday = await t.call('POST', `/v1/bookings/${a.id}/reschedule`, {
        key: ws.live,
        body: { start_at: '2026-05-12T12:00:00+05:30' },
      });
      assert.equal(holiday.status, 422);
      const past = await t.call('POST', `/v1/bookings/${a.id}/reschedule`, {
        key: ws.live,
        body: { start_at: '2026-05-01T12:00:00+05:30' },
      });
      assert.equal(past.status, 422);
      // Moving within its own old slot is fine: the booking does not clash with itself.
      const self = await t.call('POST', `/v1/bookings/${a.id}/reschedule`, {
        key: ws.live,
        body: { start_at: '2026-05-18T10:15:00+05:30' },
      });
      assert.equal(self.status, 200, self.text);
      const moved = await t.call('POST', `/v1/bookings/${a.id}/reschedule`, {
        key: ws.live,
        body: { start_at: '2026-05-18T14:00:00+05:30', service_id: consult },
      });
      assert.equal(moved.status, 200, moved.text);
      assert.equal(moved.body.local_start, '2026-05-18T14:00:00+05:30');
      assert.equal(moved.body.end_at, '2026-05-18T09:00:00.000Z');
      assert.equal(moved.body.service_id, consult);
      const events = await eventsOf(a.id);
      const last = events.at(-1)!;
      assert.equal(last.type, 'booking.rescheduled');
      assert.equal(JSON.parse(last.data).previous_start_at, '2026-05-18T04:45:00.000Z');
      // The freed slot can be taken.
      assert.equal(
        (await book({ service_id: haircut, start_at: '2026-05-18T10:00:00+05:30', phone: '+919876543232' }))
          .status,
        201,
      );
      assert.equal(b.status, 'confirmed');
    });

    it("hides another workspace's and mode's bookings", async () => {
      const b = (
        await book({ service_id: consult, start_at: '2026-05-20T10:00:00+05:30', phone: '+919876543240' })
      ).body;
      for (const key of [other.live, ws.test]) {
        assert.equal((await t.call('GET', `/v1/bookings/${b.id}`, { key })).status, 404);
        assert.equal((await t.call('POST', `/v1/bookings/${b.id}/cancel`, { key, body: {} })).status, 404);
        assert.equal(
          (
            await t.call('POST', `/v1/bookings/${b.id}/reschedule`, {
              key,
              body: { start_at: '2026-05-20T12:00:00+05:30' },
            })
          ).status,
          404,
        );
        assert.equal((await t.call('GET', '/v1/bookings', { key })).body.data.length, 0);
      }
      assert.equal((await t.call('GET', `/v1/bookings/${b.id}`, { key: ws.live })).body.id, b.id);
    });
  });

  describe('for the AI', () => {
    it("books with actor ai and lists the contact's upcoming bookings", async () => {
      const scope = { workspaceId: ws.id, livemode: true, defaultCountry: 'IN' };
      const actor = { type: 'ai' as const, id: agentId };
      const avail = await checkAvailability(t.ctx, scope, agentId, {
        date: '2026-05-20',
        serviceId: haircut,
      });
      assert.ok(avail.slots.length > 0);
      const slot = avail.slots[4];
      const b = await createBooking(
        t.ctx,
        scope,
        { agent_id: agentId, service_id: haircut, start_at: slot.start_at, phone: '+919876543250' },
        actor,
      );
      assert.equal(b.local_start, slot.local_start);
      const events = await eventsOf(b.id);
      assert.deepEqual(
        [events[0].type, events[0].actor_type, events[0].actor_id],
        ['booking.created', 'ai', agentId],
      );
      const upcoming = await listContactBookings(t.ctx, scope, b.contact_id, { upcoming: true });
      assert.deepEqual(
        upcoming.map((x) => x.id),
        [b.id],
      );
      const list = await t.call('GET', `/v1/bookings?contact_id=${b.contact_id}&status=confirmed`, {
        key: ws.live,
      });
      assert.deepEqual(
        list.body.data.map((x: { id: string }) => x.id),
        [b.id],
      );
    });
  });
});
