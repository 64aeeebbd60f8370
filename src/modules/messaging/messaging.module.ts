import type { Module } from '../module.ts';
import { sandboxAdvanceJob, sendJob } from './messaging.jobs.ts';
import { messagingMigrations } from './messaging.migrations.ts';
import { messagingRoutes } from './messaging.routes.ts';
import { sendWriters } from './messaging.service.ts';
import { runSandboxAdvanceBatch, runSendBatch } from './send.job.ts';
import { createSendWriter } from './send-batch.ts';

export const messagingModule: Module = {
  name: 'messaging',
  migrations: messagingMigrations,
  routes: messagingRoutes,
  setup(ctx) {
    sendWriters.set(ctx, createSendWriter(ctx));
    ctx.queue.registerBatch(sendJob, (items) => runSendBatch(ctx, items));
    ctx.queue.registerBatch(sandboxAdvanceJob, (items) => runSandboxAdvanceBatch(ctx, items));
  },
};
