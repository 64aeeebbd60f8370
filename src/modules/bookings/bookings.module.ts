import type { Module } from '../module.ts';
import { eraseBookings } from './bookings.erase.ts';
import { bookingsMigrations } from './bookings.migrations.ts';
import { bookingRoutes } from './bookings.routes.ts';

export const bookingsModule: Module = {
  name: 'bookings',
  erase: eraseBookings,
  migrations: bookingsMigrations,
  routes: bookingRoutes,
};
