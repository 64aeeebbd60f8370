import type { Module } from '../module.ts';
import { processImportJob } from './imports.jobs.ts';
import { importsMigrations } from './imports.migrations.ts';
import { importRoutes } from './imports.routes.ts';
import { processImport } from './imports.service.ts';

// The upload route's body limit comes from the configuration, known only once `setup` runs
// (which startParley calls before it builds the routes); the default is the documented 50 MB.
let uploadLimitBytes = 50 * 1024 * 1024;

export const importsModule: Module = {
  name: 'imports',
  migrations: importsMigrations,
  get routes() {
    return importRoutes(uploadLimitBytes);
  },
  setup(ctx) {
    uploadLimitBytes = ctx.config.uploadLimitBytes;
    ctx.queue.register(processImportJob, (payload, job) =>
      processImport(ctx, payload, job.attempt >= job.maxAttempts),
    );
  },
};
