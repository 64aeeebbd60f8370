import type { Module } from '../module.ts';
import { bookingsMigrations } from './bookings.migrations.ts';
import { bookingRoutes } from './bookings.routes.ts';

export const bookingsModule: Module = {
  name: 'bookings',
  migrations: bookingsMigrations,
  routes: bookingRoutes,
};
