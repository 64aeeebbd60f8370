import type { Module } from '../module.ts';
import { agentsMigrations } from './agents.migrations.ts';
import { agentRoutes } from './agents.routes.ts';

export const agentsModule: Module = {
  name: 'agents',
  migrations: agentsMigrations,
  routes: agentRoutes,
};
