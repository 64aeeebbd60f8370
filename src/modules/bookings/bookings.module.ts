import { moveContactRows } from '../../platform/db/rows.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { eraseBookings } from './bookings.erase.ts';
import { bookingsMigrations } from './bookings.migrations.ts';
import { bookingRoutes } from './bookings.routes.ts';

export const bookingsModule: Module = {
  name: 'bookings',
  erase: eraseBookings,
  migrations: bookingsMigrations,
  routes: bookingRoutes,
  setup(ctx) {
    // A contact merge: the other contact's bookings become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('bookings.contact_merge', async (tx, e) => {
        await moveContactRows(
          tx.db,
          'bookings',
          { workspaceId: e.workspaceId, livemode: e.livemode },
          e.fromId,
          e.intoId,
        );
      }),
    );
  },
};
