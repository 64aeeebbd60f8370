import type { AppContext } from '../../../platform/context.ts';
import type { Scope } from '../../../platform/db/scope.ts';
import type { Tx } from '../../../platform/events.ts';
import { routeToTeam } from './assign.ts';
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
  return {
    reactions: {
      async escalated(tx: Tx, row, e) {
        const scope: Scope = { workspaceId: e.workspace_id, livemode: e.livemode };
        if (row.assignee_type === 'team' && row.assignee_id)
          await routeToTeam(ctx, tx, scope, row, row.assignee_id);
      },
    },
  };
}
