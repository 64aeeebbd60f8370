/** The bookings module's public surface: what other modules may use. */

export {
  cancelBooking,
  checkAvailability,
  createBooking,
  findBookingRow,
  listContactBookings,
  rescheduleBooking,
  upcomingBookings,
} from './bookings.service.ts';
export type { BookingsTable } from './bookings.tables.ts';
