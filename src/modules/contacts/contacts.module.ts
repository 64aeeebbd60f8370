import type { Module } from '../module.ts';
import { consentRoutes } from './contacts.consents.routes.ts';
import { eraseConsents } from './contacts.erase.ts';
import { contactsMigrations } from './contacts.migrations.ts';
import { contactRoutes } from './contacts.routes.ts';

export const contactsModule: Module = {
  name: 'contacts',
  migrations: contactsMigrations,
  routes: [...contactRoutes, ...consentRoutes],
  erase: eraseConsents,
};
