import type { Module } from '../module.ts';
import { mediaMigrations } from './media.migrations.ts';
import { mediaRoutes } from './media.routes.ts';

/** Files uploaded to be sent on any channel (`POST /v1/media`): WhatsApp, the inbox composer, the website widget. */
export const mediaModule: Module = {
  name: 'media',
  migrations: mediaMigrations,
  routes: mediaRoutes,
};
