import type { Module } from '../module.ts';
import { flagTemplateTurnedMarketing, frequencyCapListener } from './broadcasts.deferrals.ts';
import { runFanOut } from './broadcasts.fanout.ts';
import { completionJob, fanOutJob } from './broadcasts.jobs.ts';
import { broadcastsMigrations } from './broadcasts.migrations.ts';
import { broadcastRoutes } from './broadcasts.routes.ts';
import { checkCompletion } from './broadcasts.service.ts';

export const broadcastsModule: Module = {
  name: 'broadcasts',
  migrations: broadcastsMigrations,
  routes: broadcastRoutes,
  setup(ctx) {
    ctx.queue.register(fanOutJob, (p) => runFanOut(ctx, p.broadcastId));
    ctx.queue.register(completionJob, (p) => checkCompletion(ctx, p.broadcastId, p.round));
    ctx.txListeners.push(frequencyCapListener(ctx));
    flagTemplateTurnedMarketing(ctx);
  },
};
