import type { Module } from '../module.ts';
import { voiceRuntime } from '../voice/index.ts';
import { flowDriver } from './flow.driver.ts';
import { deliverFlowWebhook, webhookJob } from './voice-flows.jobs.ts';
import { voiceFlowsMigrations } from './voice-flows.migrations.ts';
import { voiceFlowRoutes } from './voice-flows.routes.ts';
import type { FlowInUseCheck } from './voice-flows.service.ts';
import { getFlowRow } from './voice-flows.service.ts';

/** The voice flows module's state for one app. */
export interface VoiceFlowsInstance {
  /** Checks other modules registered (onFlowDelete) that may refuse deleting a flow they still need. */
  inUseChecks: FlowInUseCheck[];
}

declare module '../../platform/context.ts' {
  interface AppModules {
    'voice-flows': VoiceFlowsInstance;
  }
}

export const voiceFlowsModule: Module = {
  name: 'voice-flows',
  migrations: voiceFlowsMigrations,
  routes: voiceFlowRoutes,
  setup(ctx) {
    ctx.queue.register(webhookJob, (p, job) => deliverFlowWebhook(ctx, p, job.id));
    // Calls with voice_flow_id: the call engine asks here whether the flow exists and for its driver.
    const rt = voiceRuntime(ctx);
    rt.voiceFlowExists = async (db, scope, id) =>
      getFlowRow(db, scope, id).then(
        () => true,
        () => false,
      );
    rt.voiceFlowDriver = flowDriver;
    return { inUseChecks: [] } satisfies VoiceFlowsInstance;
  },
};
