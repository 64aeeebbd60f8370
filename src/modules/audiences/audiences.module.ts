import type { Module } from '../module.ts';
import { eraseAudienceMembers } from './audiences.erase.ts';
import { audiencesMigrations } from './audiences.migrations.ts';
import { audienceRoutes } from './audiences.routes.ts';

export const audiencesModule: Module = {
  name: 'audiences',
  erase: eraseAudienceMembers,
  migrations: audiencesMigrations,
  routes: audienceRoutes,
};
