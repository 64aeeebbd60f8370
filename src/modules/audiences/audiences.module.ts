import type { Module } from '../module.ts';
import { audiencesMigrations } from './audiences.migrations.ts';
import { audienceRoutes } from './audiences.routes.ts';

export const audiencesModule: Module = {
  name: 'audiences',
  migrations: audiencesMigrations,
  routes: audienceRoutes,
};
