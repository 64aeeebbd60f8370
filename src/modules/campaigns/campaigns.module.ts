import type { Module } from '../module.ts';
import { onFlowDelete } from '../voice-flows/index.ts';
import { callEndedJob, dialJob, tickJob } from './campaigns.jobs.ts';
import { campaignsMigrations } from './campaigns.migrations.ts';
import { campaignRoutes } from './campaigns.routes.ts';
import { flowInUse, runDial, runPass, setCampaignDialer } from './campaigns.service.ts';
import { campaignCallSink, settleCampaignCall, voiceDialer } from './voice.dialer.ts';

export const campaignsModule: Module = {
  name: 'campaigns',
  migrations: campaignsMigrations,
  routes: campaignRoutes,
  setup(ctx) {
    ctx.queue.register(tickJob, async (p, job) => {
      await runPass(ctx, p.campaignId, job);
    });
    ctx.queue.register(dialJob, (p) => runDial(ctx, p.recipientId, p.attempt));
    ctx.queue.register(callEndedJob, (p) => settleCampaignCall(ctx, p.callId));
    ctx.eventSinks.push(campaignCallSink(ctx));
    setCampaignDialer(ctx, voiceDialer);
    onFlowDelete(ctx, flowInUse);
  },
};
