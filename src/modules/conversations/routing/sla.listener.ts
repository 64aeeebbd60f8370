import { sql } from 'kysely';
import type { AppContext } from '../../../platform/context.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import type { ParleyEvent, Tx } from '../../../platform/events.ts';
import type { Reaction } from '../../../platform/reactions.ts';
import { applySla, onMessage, stopSla } from './sla.service.ts';

type Kind = 'answered' | 'ai_answered' | 'received' | 'apply' | 'handoff' | 'handed_back';

/** What an event means for SLAs (null: nothing). */
function kindOf(e: ParleyEvent): Kind | null {
  if (e.event === 'message.sent') {
    const sender = (e.data.sender as { type?: string } | undefined)?.type;
    if (!e.data.conversation_id) return null;
    if (sender === 'user' || sender === 'api_key') return 'answered';
    return sender === 'ai' ? 'ai_answered' : null;
  }
  if (e.event === 'message.received') return 'received';
  if (e.event === 'conversation.created' || e.event === 'conversation.tagged') return 'apply';
  if (e.event === 'conversation.escalated') return 'handoff';
  if (e.event === 'conversation.handoff_resolved') return 'handed_back';
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
async function answered(ctx: AppContext, tx: Tx, events: ParleyEvent[], byAi = false) {
  const now = ctx.clock.now().toISOString();
  for (const { scope, events: group } of byScope(events)) {
    // In id order, so concurrent batches lock the rows in the same order.
    const ids = [...new Set(group.map((e) => String(e.data.conversation_id)))].sort();
    let q = tenant(tx.db, scope)
      .updateTable('conversations')
      .set({
        first_response_at: sql<string>`coalesce(first_response_at, ${now})`,
        next_response_due_at: null,
      })
      .where('id', 'in', ids)
      .where((eb) =>
        eb.or([eb('first_response_at', 'is', null), eb('next_response_due_at', 'is not', null)]),
      );
    // The AI's replies meet the targets only of policies that count them.
    if (byAi)
      q = q.where('sla_policy_id', 'in', (eb) =>
        eb.selectFrom('sla_policies').select('id').where('counts_ai_replies', '=', 1),
      );
    await q.execute();
  }
}

/**
 * The oldest matching policy applies to conversations created or tagged. A workspace without
 * policies costs one look-up per batch, not a read of each conversation.
 */
async function apply(ctx: AppContext, tx: Tx, events: ParleyEvent[], handoff = false) {
  for (const { scope, events: group } of byScope(events)) {
    const any = await tenant(tx.db, scope)
      .selectFrom('sla_policies')
      .select('id')
      .limit(1)
      .executeTakeFirst();
    if (!any) continue;
    for (const e of group) {
      const row = await tenant(tx.db, scope).findById('conversations', String(e.data.id));
      if (row) await applySla(ctx, tx, scope, row, { handoff });
    }
  }
}

/** Handed back to the AI: people-only policies stop counting. */
async function handedBack(tx: Tx, events: ParleyEvent[]) {
  for (const e of events) {
    const scope = { workspaceId: e.workspace_id, livemode: e.livemode };
    const row = await tenant(tx.db, scope).findById('conversations', String(e.data.id));
    if (row) await stopSla(tx, scope, row);
  }
}

/** SLA: applied when a conversation is created, tagged or handed off; stopped when handed back; responses met and started by messages. */
export function slaListener(ctx: AppContext): Reaction['run'] {
  return async (tx, events) => {
    // Runs of the same kind, in order, each handled set-wise.
    let run: ParleyEvent[] = [];
    let runKind: Kind | null = null;
    const flush = async () => {
      if (runKind === 'answered') await answered(ctx, tx, run);
      else if (runKind === 'ai_answered') await answered(ctx, tx, run, true);
      else if (runKind === 'apply') await apply(ctx, tx, run);
      else if (runKind === 'handoff') await apply(ctx, tx, run, true);
      else if (runKind === 'handed_back') await handedBack(tx, run);
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
