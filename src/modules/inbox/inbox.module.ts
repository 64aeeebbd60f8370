import type { Module } from '../module.ts';
import { inboxRoutes } from './inbox.routes.ts';
import { savedViewsMigrations } from './saved-views.migrations.ts';
import { savedViewRoutes } from './saved-views.ts';
import './saved-views.tables.ts';

/** The web inbox at /app: its static files, and each person's saved views of the list. */
export const inboxModule: Module = {
  name: 'inbox',
  migrations: savedViewsMigrations,
  routes: [...inboxRoutes, ...savedViewRoutes],
};
