import type { AppContext } from '../../../platform/context.ts';
import { tenant } from '../../../platform/db/scope.ts';
import type { TxListener } from '../../../platform/events.ts';
import { applySla, onMessage } from './sla.service.ts';

/** SLA: applied when a conversation is created or tagged; responses met and started by messages. */
export function slaListener(ctx: AppContext): TxListener {
  return async (tx, events) => {
    for (const e of events) {
      if (e.event === 'message.sent' || e.event === 'message.received') await onMessage(ctx, tx, e);
      else if (e.event === 'conversation.created' || e.event === 'conversation.tagged') {
        const scope = { workspaceId: e.workspace_id, livemode: e.livemode };
        const row = await tenant(tx.db, scope).findById('conversations', String(e.data.id));
        if (row) await applySla(ctx, tx, scope, row);
      }
    }
  };
}
