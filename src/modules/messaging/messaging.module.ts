import type { Module } from '../module.ts';
import { sandboxAdvanceJob, sendJob } from './messaging.jobs.ts';
import { messagingMigrations } from './messaging.migrations.ts';
import { messagingRoutes } from './messaging.routes.ts';
import { runSandboxAdvance, runSendJob } from './send.job.ts';

export const messagingModule: Module = {
  name: 'messaging',
  migrations: messagingMigrations,
  routes: messagingRoutes,
  setup(ctx) {
    ctx.queue.register(sendJob, (payload, job) => runSendJob(ctx, payload, job));
    ctx.queue.register(sandboxAdvanceJob, (payload) => runSandboxAdvance(ctx, payload));
  },
};
