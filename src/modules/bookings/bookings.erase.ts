import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';

/** The person's bookings stay as slots taken (times, service, status) without their notes. */
export async function eraseBookings(ctx: AppContext, subject: ErasureSubject) {
  await tenant(ctx.db, subject)
    .updateTable('bookings')
    .set({ notes: null, cancellation_reason: null, updated_at: ctx.clock.now().toISOString() })
    .where('contact_id', '=', subject.contactId)
    .execute();
}
