import type { Module } from '../module.ts';
import { eraseBroadcastRecipients } from './broadcasts.erase.ts';
import { runFanOut } from './broadcasts.fanout.ts';
import { completionJob, fanOutJob } from './broadcasts.jobs.ts';
import { broadcastsMigrations } from './broadcasts.migrations.ts';
import { broadcastRoutes } from './broadcasts.routes.ts';
import { checkCompletion } from './broadcasts.service.ts';

export const broadcastsModule: Module = {
  name: 'broadcasts',
  erase: eraseBroadcastRecipients,
  migrations: broadcastsMigrations,
  routes: broadcastRoutes,
  setup(ctx) {
    ctx.queue.register(fanOutJob, (p) => runFanOut(ctx, p.broadcastId));
    ctx.queue.register(completionJob, (p) => checkCompletion(ctx, p.broadcastId, p.round));
  },
};
