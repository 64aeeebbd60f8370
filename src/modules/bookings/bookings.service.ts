import { newRow, tenant } from '../../platform/db/scope.ts';
import './bookings.tables.ts';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { ApiError, invalidField, validationFailed } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { type Business, getAgentRow, parseBusiness, type Service } from '../agents/index.ts';
import { findOrCreateContact, getContactRow, type Scope } from '../contacts/index.ts';
import { getConversationRef } from '../leads/index.ts';
import type { createBookingBody, rescheduleBookingBody } from './bookings.schemas.ts';
import type { BookingStatus, BookingsTable } from './bookings.tables.ts';
import {
  freeSlots,
  localDateOf,
  localIso,
  occupancy,
  openingSpans,
  outsideHoursReason,
  SLOT_STEP_MINUTES,
  type Span,
} from './schedule.ts';

export type { Scope } from '../contacts/index.ts';
export type CreateBookingInput = z.output<typeof createBookingBody>;
export type RescheduleBookingInput = z.output<typeof rescheduleBookingBody>;

/** Length of an availability slot when no service is named. */
const DEFAULT_SLOT_MINUTES = 30;

export function presentBooking(row: BookingsTable) {
  return {
    ...objectHead(row, 'booking'),
    agent_id: row.agent_id,
    contact_id: row.contact_id,
    conversation_id: row.conversation_id,
    service_id: row.service_id,
    service_name: row.service_name,
    start_at: row.start_at,
    end_at: row.end_at,
    local_start: localIso(Date.parse(row.start_at), row.timezone),
    timezone: row.timezone,
    status: row.status,
    notes: row.notes,
    cancelled_at: row.cancelled_at,
    cancellation_reason: row.cancellation_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type Booking = ReturnType<typeof presentBooking>;

const scopedBookings = (db: Db | Trx, scope: Scope) => tenant(db, scope).selectFrom('bookings').selectAll();

export function getBookingRow(db: Db | Trx, scope: Scope, id: string): Promise<BookingsTable> {
  return tenant(db, scope).getById('bookings', id, 'booking');
}

function findService(business: Business, agentId: string, serviceId: string): Service {
  const service = business.services.find((s) => s.id === serviceId);
  if (!service) throw invalidField('service_id', `is not a service of agent ${agentId}`);
  return service;
}

/** The booked span: the service's duration, or `end_at` for a booking without a service. */
function spanOf(
  business: Business,
  agentId: string,
  input: { service_id?: string | null; start_at: string; end_at?: string },
  fallbackMinutes?: number,
) {
  const start = Date.parse(input.start_at);
  const service = input.service_id ? findService(business, agentId, input.service_id) : null;
  let end: number;
  if (service) {
    end = start + service.duration_minutes * 60_000;
    if (input.end_at !== undefined && Date.parse(input.end_at) !== end) {
      throw invalidField(
        'end_at',
        `must be omitted or equal start_at plus the service's ${service.duration_minutes} minutes`,
      );
    }
  } else if (input.end_at !== undefined) {
    end = Date.parse(input.end_at);
    if (end <= start) throw invalidField('end_at', 'must be after start_at');
  } else if (fallbackMinutes !== undefined) {
    end = start + fallbackMinutes * 60_000;
  } else {
    throw validationFailed([
      { field: 'service_id', message: 'is required (or give end_at for a booking without a service)' },
    ]);
  }
  return { span: { start, end }, service };
}

/** 422s for a slot the business cannot take, whatever else is booked. */
function assertBookable(ctx: AppContext, business: Business, span: Span) {
  if (span.start <= ctx.clock.now().getTime()) {
    throw new ApiError('unprocessable', `start_at ${new Date(span.start).toISOString()} is in the past.`, {
      errors: [{ field: 'start_at', message: 'must be in the future' }],
    });
  }
  const reason = outsideHoursReason(business, span);
  if (reason)
    throw new ApiError('unprocessable', reason, {
      errors: [{ field: 'start_at', message: 'is outside opening hours' }],
    });
}

/**
 * Serialises bookings of one agent until the transaction ends: on PostgreSQL with an advisory
 * lock keyed by the agent; SQLite transactions already run one at a time (`begin immediate`).
 */
async function lockAgentCalendar(ctx: AppContext, tx: Tx, agentId: string) {
  if (ctx.dialect === 'postgres')
    await sql`select pg_advisory_xact_lock(hashtext(${agentId}))`.execute(tx.db);
}

async function busySpans(
  db: Db | Trx,
  scope: Scope,
  agentId: string,
  from: number,
  to: number,
  excludeId?: string,
): Promise<Span[]> {
  let q = tenant(db, scope)
    .selectFrom('bookings')
    .select(['start_at', 'end_at'])
    .where('agent_id', '=', agentId)
    .where('status', '=', 'confirmed')
    .where('start_at', '<', new Date(to).toISOString())
    .where('end_at', '>', new Date(from).toISOString());
  if (excludeId) q = q.where('id', '!=', excludeId);
  return (await q.execute()).map((r) => ({ start: Date.parse(r.start_at), end: Date.parse(r.end_at) }));
}

/**
 * 409 unless a place is free for the whole span: fewer confirmed bookings of the agent run at
 * any one moment of it (buffers included) than the service's capacity (1 without a service).
 * Callers hold the agent's calendar lock, so concurrent requests are counted one after another.
 */
async function assertFree(
  tx: Tx,
  scope: Scope,
  agentId: string,
  business: Business,
  span: Span,
  capacity: number,
  excludeId?: string,
) {
  const gap = business.buffer_minutes * 60_000;
  const busy = await busySpans(tx.db, scope, agentId, span.start - gap, span.end + gap, excludeId);
  const taken = occupancy(span, busy, business.buffer_minutes);
  if (taken >= capacity) {
    const slot = `${new Date(span.start).toISOString()} to ${new Date(span.end).toISOString()}`;
    const buffer = business.buffer_minutes ? ` (or its ${business.buffer_minutes}-minute buffer)` : '';
    throw new ApiError(
      'conflict',
      capacity === 1
        ? `The slot ${slot} overlaps another booking${buffer}.`
        : `The slot ${slot} is full: all ${capacity} places are booked then${buffer ? ` (buffers included)` : ''}.`,
    );
  }
}

async function emitBooking(
  tx: Tx,
  scope: Scope,
  type: 'booking.created' | 'booking.cancelled' | 'booking.rescheduled',
  row: BookingsTable,
  actor: Actor,
  extra: Record<string, unknown> = {},
) {
  await tx.emit({
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
    type,
    actor,
    data: { ...presentBooking(row), ...extra },
  });
}

/**
 * Writes `changes` (their own `updated_at` included) to a booking, emits `type` with the booking
 * as it now is (plus `extra`) and returns it presented.
 */
async function changeBooking(
  tx: Tx,
  scope: Scope,
  row: BookingsTable,
  changes: Partial<BookingsTable> & { updated_at: string },
  type: 'booking.cancelled' | 'booking.rescheduled',
  actor: Actor,
  extra?: Record<string, unknown>,
): Promise<Booking> {
  const next: BookingsTable = { ...row, ...changes };
  await tx.db.updateTable('bookings').set(changes).where('id', '=', row.id).execute();
  await emitBooking(tx, scope, type, next, actor, extra);
  return presentBooking(next);
}

/**
 * Books a slot for a contact (by contact_id, the conversation's contact, or a phone: found or
 * created). 400 for bad input, 422 in the past or outside opening hours, 409 when it overlaps
 * a confirmed booking of the agent (buffers included). Emits booking.created.
 */
export async function createBooking(
  ctx: AppContext,
  scope: Scope,
  input: CreateBookingInput,
  actor: Actor,
): Promise<Booking> {
  const agent = await getAgentRow(ctx.db, scope, input.agent_id);
  const business = parseBusiness(agent);
  const { span, service } = spanOf(business, agent.id, input);
  assertBookable(ctx, business, span);
  return ctx.transaction(async (tx) => {
    let contactId = input.contact_id ?? null;
    if (input.conversation_id) {
      const conv = await getConversationRef(tx.db, scope, input.conversation_id);
      contactId ??= conv.contact_id;
    }
    if (contactId) await getContactRow(tx.db, scope, contactId);
    else if (input.phone) {
      contactId = (
        await findOrCreateContact(
          tx,
          scope,
          { phone: input.phone, ...(input.name ? { name: input.name } : {}) },
          actor,
        )
      ).contact.id;
    } else throw invalidField('contact_id', 'a contact_id, a conversation_id or a phone is required');

    await lockAgentCalendar(ctx, tx, agent.id);
    await assertFree(tx, scope, agent.id, business, span, service?.capacity ?? 1);
    const now = ctx.clock.now().toISOString();
    const row: BookingsTable = {
      ...newRow('bk', scope),
      agent_id: agent.id,
      contact_id: contactId,
      conversation_id: input.conversation_id ?? null,
      service_id: service?.id ?? null,
      service_name: service?.name ?? null,
      start_at: new Date(span.start).toISOString(),
      end_at: new Date(span.end).toISOString(),
      timezone: business.timezone,
      status: 'confirmed',
      notes: input.notes ?? null,
      cancelled_at: null,
      cancellation_reason: null,
      created_at: now,
      updated_at: now,
    };
    await tx.db.insertInto('bookings').values(row).execute();
    await emitBooking(tx, scope, 'booking.created', row, actor);
    return presentBooking(row);
  });
}

/** Cancels a confirmed booking (409 when it already is); the slot becomes free. Emits booking.cancelled. */
export async function cancelBooking(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { reason?: string },
  actor: Actor,
): Promise<Booking> {
  return ctx.transaction(async (tx) => {
    const current = await getBookingRow(tx.db, scope, id);
    await lockAgentCalendar(ctx, tx, current.agent_id);
    // Re-read under the lock: a concurrent cancel or reschedule may have changed it.
    const row = await getBookingRow(tx.db, scope, id);
    if (row.status === 'cancelled') throw new ApiError('conflict', `Booking ${id} is already cancelled.`);
    const now = ctx.clock.now().toISOString();
    const changes = {
      status: 'cancelled' as const,
      cancelled_at: now,
      cancellation_reason: input.reason ?? null,
      updated_at: now,
    };
    return changeBooking(tx, scope, row, changes, 'booking.cancelled', actor);
  });
}

/**
 * Moves a confirmed booking to a new start (same length, or the new service's), with the same
 * checks as a new booking; the booking's own old slot does not count as taken. Emits
 * booking.rescheduled with `previous_start_at` and `previous_end_at`.
 */
export async function rescheduleBooking(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: RescheduleBookingInput,
  actor: Actor,
): Promise<Booking> {
  const before = await getBookingRow(ctx.db, scope, id);
  if (before.status === 'cancelled')
    throw new ApiError('conflict', `Booking ${id} is cancelled; create a new booking instead.`);
  const agent = await getAgentRow(ctx.db, scope, before.agent_id);
  const business = parseBusiness(agent);
  const serviceId = input.service_id ?? before.service_id;
  const previousMinutes = (Date.parse(before.end_at) - Date.parse(before.start_at)) / 60_000;
  const { span, service } = spanOf(
    business,
    agent.id,
    { service_id: serviceId, start_at: input.start_at, ...(input.end_at ? { end_at: input.end_at } : {}) },
    previousMinutes,
  );
  assertBookable(ctx, business, span);
  return ctx.transaction(async (tx) => {
    await lockAgentCalendar(ctx, tx, agent.id);
    const row = await getBookingRow(tx.db, scope, id);
    if (row.status === 'cancelled')
      throw new ApiError('conflict', `Booking ${id} is cancelled; create a new booking instead.`);
    await assertFree(tx, scope, agent.id, business, span, service?.capacity ?? 1, row.id);
    const changes = {
      service_id: service?.id ?? null,
      service_name: service?.name ?? null,
      start_at: new Date(span.start).toISOString(),
      end_at: new Date(span.end).toISOString(),
      timezone: business.timezone,
      updated_at: ctx.clock.now().toISOString(),
    };
    return changeBooking(tx, scope, row, changes, 'booking.rescheduled', actor, {
      previous_start_at: row.start_at,
      previous_end_at: row.end_at,
    });
  });
}

export interface Availability {
  object: 'availability';
  agent_id: string;
  date: string;
  timezone: string;
  service_id: string | null;
  duration_minutes: number;
  slot_step_minutes: number;
  closed: boolean;
  slots: ReturnType<typeof freeSlots>;
}

/**
 * Free slots on a local date (YYYY-MM-DD in the business timezone, default today) for a service: within
 * opening hours, not on a holiday, after now, clear of confirmed bookings and their buffers.
 */
export async function checkAvailability(
  ctx: AppContext,
  scope: Scope,
  agentId: string,
  opts: {
    date?: string;
    serviceId?: string | null;
    /** A draft's business (replay, playground) in place of the saved one; bookings still count. */
    business?: Business;
  },
): Promise<Availability> {
  const agent = await getAgentRow(ctx.db, scope, agentId);
  const business = opts.business ?? parseBusiness(agent);
  const date = opts.date ?? localDateOf(ctx.clock.now().getTime(), business.timezone);
  const service = opts.serviceId ? findService(business, agent.id, opts.serviceId) : null;
  const duration = service?.duration_minutes ?? DEFAULT_SLOT_MINUTES;
  const spans = openingSpans(business, date);
  let slots: Availability['slots'] = [];
  if (spans.length) {
    const gap = business.buffer_minutes * 60_000;
    const from = Math.min(...spans.map((s) => s.start)) - gap;
    const to = Math.max(...spans.map((s) => s.end)) + gap;
    const busy = await busySpans(ctx.db, scope, agent.id, from, to);
    slots = freeSlots(business, date, duration, busy, ctx.clock.now().getTime(), service?.capacity ?? 1);
  }
  return {
    object: 'availability',
    agent_id: agent.id,
    date,
    timezone: business.timezone,
    service_id: service?.id ?? null,
    duration_minutes: duration,
    slot_step_minutes: SLOT_STEP_MINUTES,
    closed: spans.length === 0,
    slots,
  };
}

/** A contact's bookings by start time; `upcoming` keeps confirmed ones that have not started. */
export async function listContactBookings(
  ctx: AppContext,
  scope: Scope,
  contactId: string,
  opts: { upcoming?: boolean } = {},
): Promise<Booking[]> {
  let q = scopedBookings(ctx.db, scope)
    .where('contact_id', '=', contactId)
    .orderBy('start_at', 'asc')
    .limit(100);
  if (opts.upcoming)
    q = q.where('status', '=', 'confirmed').where('start_at', '>', ctx.clock.now().toISOString());
  return (await q.execute()).map(presentBooking);
}

export interface BookingFilter {
  agent_id?: string;
  contact_id?: string;
  conversation_id?: string;
  status?: BookingStatus;
  from?: string;
  to?: string;
}

export async function listBookings(
  ctx: AppContext,
  scope: Scope,
  filter: BookingFilter,
  page: PageRequest,
): Promise<Page<Booking>> {
  let q = scopedBookings(ctx.db, scope).orderBy('start_at', 'desc').orderBy('id', 'desc');
  if (filter.agent_id) q = q.where('agent_id', '=', filter.agent_id);
  if (filter.contact_id) q = q.where('contact_id', '=', filter.contact_id);
  if (filter.conversation_id) q = q.where('conversation_id', '=', filter.conversation_id);
  if (filter.status) q = q.where('status', '=', filter.status);
  if (filter.from) q = q.where('start_at', '>=', new Date(filter.from).toISOString());
  if (filter.to) q = q.where('start_at', '<', new Date(filter.to).toISOString());
  return paginate(q, page, presentBooking);
}

type TenantScope = Pick<Scope, 'workspaceId' | 'livemode'>;

/** The booking with this id in this scope as stored (undefined: none). */
export function findBookingRow(
  db: Db | Trx,
  scope: TenantScope,
  id: string,
): Promise<BookingsTable | undefined> {
  return tenant(db, scope).findById('bookings', id);
}

/** Confirmed bookings starting after `from`, soonest first (reminders scheduled for them). */
export function upcomingBookings(db: Db | Trx, scope: TenantScope, from: string, limit = 1000) {
  return tenant(db, scope)
    .selectFrom('bookings')
    .selectAll()
    .where('status', '=', 'confirmed')
    .where('start_at', '>', from)
    .orderBy('start_at')
    .limit(limit)
    .execute();
}
