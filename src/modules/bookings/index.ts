/** The bookings module's public surface: what other modules may use. */

export {
  cancelBooking,
  checkAvailability,
  createBooking,
  listContactBookings,
  rescheduleBooking,
} from './bookings.service.ts';
