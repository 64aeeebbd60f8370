import type { AppContext } from '../../../platform/context.ts';
import type { Scope } from '../../../platform/db/scope.ts';
import type { Tx } from '../../../platform/events.ts';
import { giveOut } from './assign.ts';
import { handoffTimerJob } from './handoff.jobs.ts';
import { handoffTimeout, rerouteReopened, startHandoff } from './handoff.timer.ts';
import { routeQueueJob } from './routing.jobs.ts';
import type { RoutingReactions } from './routing.listener.ts';

/** The conversations module's instance: what modules above it plug into routing. */
export interface ConversationsInstance {
  reactions: RoutingReactions;
}

declare module '../../../platform/context.ts' {
  interface AppModules {
    conversations: ConversationsInstance;
  }
}

export function routingSetup(ctx: AppContext): ConversationsInstance {
  ctx.queue.register(handoffTimerJob, (payload, job) => handoffTimeout(ctx, payload, job.id));
  ctx.queue.registerBatch(routeQueueJob, async (items) => {
    // A burst queues many jobs for one team: one pass over each team's queue serves them all.
    const teams = new Map(items.map(({ payload: p }) => [`${p.workspaceId}:${p.livemode}:${p.teamId}`, p]));
    for (const p of teams.values()) {
      const scope: Scope = { workspaceId: p.workspaceId, livemode: p.livemode };
      await ctx.transaction((tx) => giveOut(ctx, tx, scope, [p.teamId]));
    }
  });
  return {
    reactions: {
      async escalated(tx: Tx, row, e) {
        const scope: Scope = { workspaceId: e.workspace_id, livemode: e.livemode };
        await startHandoff(ctx, tx, scope, row, undefined, true);
      },
      async reopened(tx: Tx, row, e) {
        const scope: Scope = { workspaceId: e.workspace_id, livemode: e.livemode };
        await rerouteReopened(ctx, tx, scope, row);
      },
    },
  };
}
