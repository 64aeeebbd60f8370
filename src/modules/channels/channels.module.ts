import type { Module } from '../module.ts';
import { registerAdapter } from './adapters.ts';
import { channelsMigrations } from './channels.migrations.ts';
import { channelRoutes } from './channels.routes.ts';
import { sandboxAdapter } from './sandbox.adapter.ts';

export const channelsModule: Module = {
  name: 'channels',
  migrations: channelsMigrations,
  routes: channelRoutes,
  setup() {
    registerAdapter(sandboxAdapter);
  },
};
