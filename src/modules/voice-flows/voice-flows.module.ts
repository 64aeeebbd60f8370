import type { Module } from '../module.ts';
import { flowDriver } from './flow.driver.ts';
import { deliverFlowWebhook, webhookJob } from './voice-flows.jobs.ts';
import { voiceFlowsMigrations } from './voice-flows.migrations.ts';
import { voiceFlowRoutes } from './voice-flows.routes.ts';
import { getFlowRow } from './voice-flows.service.ts';

export const voiceFlowsModule: Module = {
  name: 'voice-flows',
  migrations: voiceFlowsMigrations,
  routes: voiceFlowRoutes,
  setup(ctx) {
    ctx.queue.register(webhookJob, (p, job) => deliverFlowWebhook(ctx, p, job.id));
  },
  // Calls with voice_flow_id: the call engine (below) asks here whether the flow exists and for its driver.
  provides: () => ({
    voiceFlowExists: (db, scope, id) =>
      getFlowRow(db, scope, id).then(
        () => true,
        () => false,
      ),
    voiceFlowDriver: flowDriver,
  }),
};
