import type { Module } from '../module.ts';
import { drillRoutes } from './reports.drill.routes.ts';
import { reportRoutes } from './reports.routes.ts';

/** Reports (SPEC: Analysis and reports): figures over conversations and calls; docs/reports.md defines them. */
export const reportsModule: Module = {
  name: 'reports',
  routes: [...reportRoutes, ...drillRoutes],
};
