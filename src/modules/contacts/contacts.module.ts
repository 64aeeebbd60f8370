import { Hook } from '../../platform/hooks.ts';
import type { Module } from '../module.ts';
import { consentRoutes } from './contacts.consents.routes.ts';
import type { ContactErasing } from './contacts.delete.ts';
import { eraseConsents } from './contacts.erase.ts';
import { contactsMigrations } from './contacts.migrations.ts';
import { contactRoutes } from './contacts.routes.ts';

/** The contacts module's state for one app. */
export interface ContactsInstance {
  /**
   * Runs inside the transaction that deletes a contact, before its row goes: the privacy module
   * records the erasure there (with what identifies the person), so the erasure of everything
   * else commits with the deletion or not at all.
   */
  erasing: Hook<ContactErasing>;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    contacts: ContactsInstance;
  }
}

export const contactsModule: Module = {
  name: 'contacts',
  migrations: contactsMigrations,
  routes: [...contactRoutes, ...consentRoutes],
  erase: eraseConsents,
  setup(): ContactsInstance {
    return { erasing: new Hook<ContactErasing>() };
  },
};
