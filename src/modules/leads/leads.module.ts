import type { Module } from '../module.ts';
import { eraseLeads } from './leads.erase.ts';
import { leadsMigrations } from './leads.migrations.ts';
import { leadRoutes } from './leads.routes.ts';

export const leadsModule: Module = {
  name: 'leads',
  erase: eraseLeads,
  migrations: leadsMigrations,
  routes: leadRoutes,
};
