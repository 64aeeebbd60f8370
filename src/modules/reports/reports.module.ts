import type { Module } from '../module.ts';
import { costRoutes } from './reports.costs.routes.ts';
import { drillRoutes } from './reports.drill.routes.ts';
import { reportsMigrations } from './reports.migrations.ts';
import { reportRoutes } from './reports.routes.ts';

/** Reports (SPEC: Analysis and reports): figures over conversations and calls; docs/reports.md defines them. */
export const reportsModule: Module = {
  name: 'reports',
  migrations: reportsMigrations,
  routes: [...reportRoutes, ...drillRoutes, ...costRoutes],
};
