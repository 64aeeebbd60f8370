import { moveContactRows } from '../../platform/db/rows.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { eraseCampaignRecipients } from './campaigns.erase.ts';
import { callEndedJob, dialJob, expandJob, tickJob } from './campaigns.jobs.ts';
import { campaignsMigrations } from './campaigns.migrations.ts';
import { campaignRoutes } from './campaigns.routes.ts';
import {
  type CampaignDialer,
  flowInUse,
  refuseAgentInUse,
  runDial,
  runExpansion,
  runPass,
} from './campaigns.service.ts';
import { campaignCallSink, settleCampaignCall, voiceDialer } from './voice.dialer.ts';

/** The campaigns module's state for one app. */
export interface CampaignsInstance {
  /** Places voice campaign calls (through the calls service). */
  dialer: CampaignDialer | null;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    campaigns: CampaignsInstance;
  }
}

export const campaignsModule: Module = {
  name: 'campaigns',
  erase: eraseCampaignRecipients,
  migrations: campaignsMigrations,
  routes: campaignRoutes,
  setup(ctx) {
    // A contact merge: the other contact's campaign recipients (one per campaign) become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('campaigns.contact_merge', async (tx, e) => {
        const scope = { workspaceId: e.workspaceId, livemode: e.livemode };
        await moveContactRows(tx.db, 'campaign_recipients', scope, e.fromId, e.intoId, 'campaign_id');
      }),
    );
    ctx.queue.register(tickJob, async (p, job) => {
      await runPass(ctx, p.campaignId, job);
    });
    ctx.queue.register(expandJob, (p, job) => runExpansion(ctx, p.campaignId, job));
    ctx.queue.register(dialJob, (p) => runDial(ctx, p.recipientId, p.attempt));
    ctx.queue.register(callEndedJob, (p) => settleCampaignCall(ctx, p.callId));
    ctx.reactions.add({
      name: 'campaigns.call_ended',
      hears: ['call.completed', 'call.failed'],
      step: 'record',
      run: campaignCallSink(ctx),
    });
    return { dialer: voiceDialer } satisfies CampaignsInstance;
  },
  // A flow or an agent a campaign still needs is not deleted (409).
  provides: () => ({ flowInUse, agentDeleting: refuseAgentInUse }),
};
