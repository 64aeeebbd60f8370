import type { Module } from '../module.ts';
import { eraseImportData } from './imports.erase.ts';
import { processImportJob } from './imports.jobs.ts';
import { importsMigrations } from './imports.migrations.ts';
import { importRoutes } from './imports.routes.ts';
import { processImport } from './imports.service.ts';

export const importsModule: Module = {
  name: 'imports',
  erase: eraseImportData,
  migrations: importsMigrations,
  routes: importRoutes,
  setup(ctx) {
    ctx.queue.register(processImportJob, (payload, job) =>
      processImport(ctx, payload, job.attempt >= job.maxAttempts),
    );
  },
};
