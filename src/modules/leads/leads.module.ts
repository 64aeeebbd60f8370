import type { Module } from '../module.ts';
import { leadsMigrations } from './leads.migrations.ts';
import { leadRoutes } from './leads.routes.ts';

export const leadsModule: Module = {
  name: 'leads',
  migrations: leadsMigrations,
  routes: leadRoutes,
};
