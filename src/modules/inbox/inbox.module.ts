import type { Module } from '../module.ts';
import { inboxRoutes } from './inbox.routes.ts';

/** The web inbox at /app: static files only; everything it shows comes from the public API. */
export const inboxModule: Module = {
  name: 'inbox',
  routes: inboxRoutes,
};
