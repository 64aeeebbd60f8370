import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { defineJob } from '../../platform/queue/queue.ts';
import { findBookingRow, upcomingBookings } from '../bookings/index.ts';
import { latestConversationOfContact } from '../conversations/index.ts';
import type { AutomationsTable } from './teamtools.tables.ts';

/**
 * `booking.starts_in` automations: a job per confirmed booking and automation, due `minutes`
 * before the booking starts (scheduled when the booking is made or moved, and when such an
 * automation is created or changed, for the bookings already made). When it comes due it runs
 * only if the booking is still confirmed at the same start and the automation still wants that
 * time; its run is recorded per booking start, so it runs at most once for it.
 */
export const bookingReminderJob = defineJob({
  name: 'teamtools.booking_reminder',
  payload: z.object({
    workspaceId: z.string(),
    livemode: z.boolean(),
    automationId: z.string(),
    bookingId: z.string(),
    startAt: z.string(),
    dueAt: z.string(),
  }),
  maxAttempts: 5,
  concurrency: 2,
  timeoutMs: 60_000,
});
type Reminder = z.infer<typeof bookingReminderJob.payload>;

const dueOf = (startAt: string, minutes: number) => new Date(Date.parse(startAt) - minutes * 60_000);

async function enqueueReminder(ctx: AppContext, db: Db | Trx, p: Reminder) {
  await ctx.queue.enqueue(db as Trx, bookingReminderJob, p, { runAt: new Date(p.dueAt) });
}

/** A booking was made or moved: its reminders (only those whose time has not passed). */
export async function scheduleForBooking(
  ctx: AppContext,
  db: Trx,
  scope: Scope,
  booking: { id: string; start_at: string; status: string },
) {
  if (booking.status !== 'confirmed') return;
  const rows = await tenant(db, scope)
    .selectFrom('automations')
    .select(['id', 'minutes'])
    .where('active', '=', 1)
    .where('event', '=', 'booking.starts_in')
    .execute();
  const now = ctx.clock.now();
  for (const row of rows) {
    if (!row.minutes) continue;
    const due = dueOf(booking.start_at, row.minutes);
    if (due <= now) continue;
    await enqueueReminder(ctx, db, {
      ...scope,
      automationId: row.id,
      bookingId: booking.id,
      startAt: booking.start_at,
      dueAt: due.toISOString(),
    });
  }
}

/** A `booking.starts_in` automation was created or changed: reminders for the bookings already made. */
export async function scheduleForUpcoming(ctx: AppContext, db: Trx, scope: Scope, row: AutomationsTable) {
  if (row.event !== 'booking.starts_in' || row.active !== 1 || !row.minutes) return;
  const now = ctx.clock.now();
  for (const b of await upcomingBookings(db, scope, now.toISOString())) {
    const due = dueOf(b.start_at, row.minutes);
    if (due <= now) continue;
    await enqueueReminder(ctx, db, {
      ...scope,
      automationId: row.id,
      bookingId: b.id,
      startAt: b.start_at,
      dueAt: due.toISOString(),
    });
  }
}

/** The reminder's time came: what it runs on (null: nothing to do any more). */
export async function reminderTarget(ctx: AppContext, p: Reminder) {
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  if (ctx.clock.now().toISOString() < p.dueAt) {
    // The queue's clock ran ahead of the app's: wait for the due time.
    await ctx.transaction((tx) => enqueueReminder(ctx, tx.db, p));
    return null;
  }
  const automation = await tenant(ctx.db, scope).findById('automations', p.automationId);
  if (automation?.active !== 1 || automation.event !== 'booking.starts_in' || !automation.minutes)
    return null;
  if (dueOf(p.startAt, automation.minutes).toISOString() !== p.dueAt) return null;
  const booking = await findBookingRow(ctx.db, scope, p.bookingId);
  if (booking?.status !== 'confirmed' || booking.start_at !== p.startAt) return null;
  const conversationId =
    booking.conversation_id ?? (await latestConversationOfContact(ctx.db, scope, booking.contact_id));
  if (!conversationId) return null;
  return { scope, automation, conversationId, eventId: `bkr:${booking.id}:${booking.start_at}` };
}
