import { moveContactRows } from '../../platform/db/rows.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { flagTemplateTurnedMarketing, frequencyCapListener } from './broadcasts.deferrals.ts';
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
    // A contact merge: the other contact's broadcast recipients (one per broadcast) become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('broadcasts.contact_merge', async (tx, e) => {
        const scope = { workspaceId: e.workspaceId, livemode: e.livemode };
        await moveContactRows(tx.db, 'broadcast_recipients', scope, e.fromId, e.intoId, 'broadcast_id');
      }),
    );
    ctx.queue.register(fanOutJob, (p) => runFanOut(ctx, p.broadcastId));
    ctx.queue.register(completionJob, (p) => checkCompletion(ctx, p.broadcastId, p.round));
    ctx.reactions.add({
      name: 'broadcasts.frequency_cap',
      hears: ['message.failed'],
      step: 'follow',
      run: frequencyCapListener(ctx),
    });
  },
  // Messaging sits below: a template that Meta moved to marketing flags its scheduled broadcasts.
  provides: (ctx) => ({ templateCategoryChanged: flagTemplateTurnedMarketing(ctx) }),
};
