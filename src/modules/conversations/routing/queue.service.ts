import type { AppContext } from '../../../platform/context.ts';
import { type Scope, tenant } from '../../../platform/db/scope.ts';
import { notFound } from '../../../platform/errors.ts';
import { contactCards } from '../../contacts/index.ts';
import { teamForRouting } from '../../users/index.ts';
import { priorityRank, waitingFrom } from './assign.ts';

/**
 * `GET /v1/teams/{id}/queue`: what waits for a member in the order it is given out (priority, then
 * the longest wait), with the waiting time counted from the customer's first unanswered message.
 */
export async function teamQueue(ctx: AppContext, scope: Scope, teamId: string, limit: number) {
  const now = ctx.clock.now();
  const team = await teamForRouting(ctx.db, scope, teamId, now);
  if (!team) throw notFound('team', teamId);
  const base = tenant(ctx.db, scope)
    .selectFrom('conversations')
    .where('assignee_type', '=', 'team')
    .where('assignee_id', '=', teamId)
    .where('queued_at', 'is not', null)
    .where('status', '!=', 'closed');
  const [rows, total] = await Promise.all([
    base
      .select(['id', 'channel', 'contact_id', 'priority', 'queued_at', 'last_message', 'handoff_reason'])
      .select(waitingFrom.as('waiting_from'))
      .orderBy(priorityRank)
      .orderBy(waitingFrom)
      .orderBy('id')
      .limit(limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
  ]);
  const ids = [...new Set(rows.map((r) => r.contact_id))];
  const contacts = new Map(
    (ids.length ? await contactCards(ctx.db).where('id', 'in', ids).execute() : []).map((c) => [c.id, c]),
  );
  return {
    object: 'team_queue' as const,
    team_id: team.id,
    assignment: team.rule,
    total: Number(total?.n ?? 0),
    members: team.members.map((m) => ({ user_id: m.id, availability: m.availability, capacity: m.capacity })),
    data: rows.map((r, i) => ({
      position: i + 1,
      conversation_id: r.id,
      channel: r.channel,
      contact_id: r.contact_id,
      contact: {
        id: r.contact_id,
        name: contacts.get(r.contact_id)?.name ?? null,
        phone: contacts.get(r.contact_id)?.phone ?? null,
        email: contacts.get(r.contact_id)?.email ?? null,
      },
      priority: r.priority,
      handoff_reason: r.handoff_reason,
      last_message: r.last_message,
      queued_at: r.queued_at as string,
      waiting_since: r.waiting_from,
      waiting_seconds: Math.max(0, Math.floor((now.getTime() - Date.parse(r.waiting_from)) / 1000)),
    })),
  };
}
