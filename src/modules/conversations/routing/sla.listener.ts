import { sql } from 'kysely';
import type { AppContext } from '../../../platform/context.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import type { ParleyEvent, Tx, TxListener } from '../../../platform/events.ts';
import { applySla, onMessage } from './sla.service.ts';

type Kind = 'answered' | 'received' | 'apply';

/** What an event means for SLAs (null: nothing). */
function kindOf(e: ParleyEvent): Kind | null {
  if (e.event === 'message.sent') {
    const sender = (e.data.sender as { type?: string } | undefined)?.type;
    return e.data.conversation_id && (sender === 'user' || sender === 'api_key') ? 'answered' : null;
  }
  if (e.event === 'message.received') return 'received';
  if (e.event === 'conversation.created' || e.event === 'conversation.tagged') return 'apply';
  return null;
}

function byScope(events: ParleyEvent[]): Array<{ scope: Scope; events: ParleyEvent[] }> {
  const groups = new Map<string, { scope: Scope; events: ParleyEvent[] }>();
  for (const e of events) {
    const key = `${e.workspace_id}:${e.livemode}`;
    const group = groups.get(key);
    if (group) group.events.push(e);
    else groups.set(key, { scope: { workspaceId: e.workspace_id, livemode: e.livemode }, events: [e] });
  }
  return [...groups.values()];
}

/**
 * A person's (or key's) sent replies meet the first and the pending next response: one statement
 * per workspace for a batch of sends (a batch of 200 sends read and wrote each conversation one
 * at a time, inside the send's transaction).
 */
async function answered(ctx: AppContext, tx: Tx, events: ParleyEvent[]) {
  const now = ctx.clock.now().toISOString();
  for (const { scope, events: group } of byScope(events)) {
    // In id order, so concurrent batches lock the rows in the same order.
    const ids = [...new Set(group.map((e) => String(e.data.conversation_id)))].sort();
    await tenant(tx.db, scope)
      .updateTable('conversations')
      .set({
        first_response_at: sql<string>`coalesce(first_response_at, ${now})`,
        next_response_due_at: null,
      })
      .where('id', 'in', ids)
      .where((eb) => eb.or([eb('first_response_at', 'is', null), eb('next_response_due_at', 'is not', null)]))
      .execute();
  }
}

/**
 * The oldest matching policy applies to conversations created or tagged. A workspace without
 * policies costs one look-up per batch, not a read of each conversation.
 */
async function apply(ctx: AppContext, tx: Tx, events: ParleyEvent[]) {
  for (const { scope, events: group } of byScope(events)) {
    const any = await tenant(tx.db, scope)
      .selectFrom('sla_policies')
      .select('id')
      .limit(1)
      .executeTakeFirst();
    if (!any) continue;
    for (const e of group) {
      const row = await tenant(tx.db, scope).findById('conversations', String(e.data.id));
      if (row) await applySla(ctx, tx, scope, row);
    }
  }
}

/** SLA: applied when a conversation is created or tagged; responses met and started by messages. */
export function slaListener(ctx: AppContext): TxListener {
  return async (tx, events) => {
    // Runs of the same kind, in order, each handled set-wise.
    let run: ParleyEvent[] = [];
    let runKind: Kind | null = null;
    const flush = async () => {
      if (runKind === 'answered') await answered(ctx, tx, run);
      else if (runKind === 'apply') await apply(ctx, tx, run);
      else if (runKind === 'received') for (const e of run) await onMessage(ctx, tx, e);
      run = [];
    };
    for (const e of events) {
      const kind = kindOf(e);
      if (!kind) continue;
      if (kind !== runKind) await flush();
      runKind = kind;
      run.push(e);
    }
    await flush();
  };
}
