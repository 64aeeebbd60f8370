import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import type { Actor, ParleyEvent } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { Reaction } from '../../platform/reactions.ts';
import { defaultAgent, getAgentRow, parseBusiness } from '../agents/index.ts';
import { getContactRow } from '../contacts/index.ts';
import { getConversationRow, latestConversationOfContact } from '../conversations/index.ts';
import { attempt } from './actions.run.ts';
import type { Action, ActionResult } from './actions.schemas.ts';
import { type AutomationJob, automationJob } from './automations.jobs.ts';
import { automationEvents } from './automations.schemas.ts';
import { type Condition, type Facts, holds, openAt } from './conditions.ts';
import { reminderTarget, scheduleForBooking } from './reminders.ts';
import type { AutomationsTable } from './teamtools.tables.ts';

const triggers = new Set<string>(automationEvents);

/** Events caused by an automation carry it as their actor (`system`, `atm_...`): they start none. */
export const automationActor = (id: string): Actor => ({ type: 'system', id });
const byAutomation = (e: ParleyEvent) => e.actor.type === 'system' && (e.actor.id ?? '').startsWith('atm_');

/** Booking events not made in a conversation: the conversation each runs on (by event id, briefly). */
const bookingConversations = new Map<string, string>();

function conversationOfEvent(e: ParleyEvent): string | null {
  if (e.data.object === 'conversation' && typeof e.data.id === 'string') return e.data.id;
  return typeof e.data.conversation_id === 'string' ? e.data.conversation_id : null;
}

/**
 * A booking event: a booking made or moved gets its reminders (`booking.starts_in`); one not made
 * in a conversation runs its automations on the contact's latest conversation.
 */
async function bookingEvent(ctx: AppContext, trx: Trx, e: ParleyEvent) {
  const scope = { workspaceId: e.workspace_id, livemode: e.livemode };
  if (e.event === 'booking.created' || e.event === 'booking.rescheduled')
    await scheduleForBooking(ctx, trx, scope, {
      id: String(e.data.id),
      start_at: String(e.data.start_at),
      status: String(e.data.status),
    });
  if (!e.data.conversation_id && typeof e.data.contact_id === 'string') {
    const id = await latestConversationOfContact(trx, scope, e.data.contact_id);
    if (id) bookingConversations.set(e.id, id);
  }
}

/**
 * In the transaction that records events: each event that some active automation of its
 * workspace waits for becomes one job (committed with the event, or not at all).
 */
export function automationSink(ctx: AppContext): Reaction['run'] {
  return async ({ db: trx }, events) => {
    const bookings = events.filter((e) => e.event.startsWith('booking.') && !byAutomation(e));
    for (const e of bookings) await bookingEvent(ctx, trx, e);
    const conversationOf = (e: ParleyEvent) => bookingConversations.get(e.id) ?? conversationOfEvent(e);
    const candidates = events.filter((e) => triggers.has(e.event) && !byAutomation(e) && conversationOf(e));
    if (!candidates.length) return;
    const wanted = new Map<string, Set<string>>();
    for (const e of candidates) {
      const key = `${e.workspace_id}:${e.livemode}`;
      if (!wanted.has(key)) {
        const rows = await tenant(trx, { workspaceId: e.workspace_id, livemode: e.livemode })
          .selectFrom('automations')
          .select('event')
          .distinct()
          .where('active', '=', 1)
          .execute();
        wanted.set(key, new Set(rows.map((r) => r.event)));
      }
      if (!wanted.get(key)?.has(e.event)) continue;
      await ctx.queue.enqueue(trx, automationJob, {
        eventId: e.id,
        type: e.event,
        workspaceId: e.workspace_id,
        livemode: e.livemode,
        conversationId: conversationOf(e) as string,
        at: e.timestamp,
        text: typeof e.data.text === 'string' ? e.data.text : null,
        ...(e.event === 'message.received' && typeof e.data.id === 'string' ? { messageId: e.data.id } : {}),
      });
    }
    for (const e of bookings) bookingConversations.delete(e.id);
  };
}

async function agentBusiness(ctx: AppContext, scope: Scope, agentId: string | null) {
  const agent = agentId
    ? await getAgentRow(ctx.db, scope, agentId).catch(() => undefined)
    : await defaultAgent(ctx.db, scope);
  return agent ? parseBusiness(agent) : null;
}

/** What conditions test, read fresh (an earlier automation's actions are seen by the next). */
async function factsFor(ctx: AppContext, scope: Scope, job: AutomationJob): Promise<Facts> {
  const conv = await getConversationRow(ctx.db, scope, job.conversationId);
  const contact = await getContactRow(ctx.db, scope, conv.contact_id);
  const business = await agentBusiness(ctx, scope, conv.agent_id);
  const facts: Facts = {
    channel: conv.channel,
    text: job.text,
    tags: fromJson<string[]>(conv.tags, []),
    agent_id: conv.agent_id,
    priority: conv.priority,
    status: conv.status,
    within_business_hours: business ? openAt(business, new Date(job.at)) : false,
  };
  for (const [k, v] of Object.entries(fromJson<Record<string, unknown>>(contact.attributes, {})))
    facts[`contact.${k}`] = v;
  Object.assign(facts, {
    'contact.name': contact.name,
    'contact.phone': contact.phone,
    'contact.email': contact.email,
    'contact.tags': fromJson<string[]>(contact.tags, []),
  });
  return facts;
}

/** Claims action `i` of a run: only one runner moves it on, and never back (at most once each). */
async function claim(ctx: AppContext, automationId: string, eventId: string, i: number) {
  const r = await ctx.db
    .updateTable('automation_runs')
    .set({ next_action: i + 1, updated_at: ctx.clock.now().toISOString() })
    .where('automation_id', '=', automationId)
    .where('event_id', '=', eventId)
    .where('next_action', '=', i)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Starts (or resumes) the run of one automation for one event; null when its conditions fail. */
async function startRun(ctx: AppContext, scope: Scope, row: AutomationsTable, job: AutomationJob) {
  const run = await ctx.db
    .selectFrom('automation_runs')
    .selectAll()
    .where('automation_id', '=', row.id)
    .where('event_id', '=', job.eventId)
    .executeTakeFirst();
  if (run) return run;
  const conditions = fromJson<Condition[]>(row.conditions, []);
  const facts = await factsFor(ctx, scope, job);
  if (!conditions.every((c) => holds(c, facts))) return null;
  const now = ctx.clock.now().toISOString();
  await ctx.db
    .insertInto('automation_runs')
    .values({
      automation_id: row.id,
      event_id: job.eventId,
      conversation_id: job.conversationId,
      next_action: 0,
      results: '[]',
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return { next_action: 0, results: '[]' };
}

export async function runOne(ctx: AppContext, scope: Scope, row: AutomationsTable, job: AutomationJob) {
  const run = await startRun(ctx, scope, row, job);
  if (!run) return;
  const actions = fromJson<Action[]>(row.actions, []);
  const results = fromJson<ActionResult[]>(run.results, []);
  const context = {
    scope,
    conversationId: job.conversationId,
    actor: automationActor(row.id),
    event: { id: job.eventId, type: job.type },
    answering: job.messageId,
  };
  for (let i = run.next_action; i < actions.length; i++) {
    if (!(await claim(ctx, row.id, job.eventId, i))) return;
    results.push(await attempt(ctx, context, actions[i]!, i));
    await ctx.db
      .updateTable('automation_runs')
      .set({ results: toJson(results) })
      .where('automation_id', '=', row.id)
      .where('event_id', '=', job.eventId)
      .execute();
  }
}

/** The job: every active automation of the event, in order of creation. */
export async function runAutomations(ctx: AppContext, job: AutomationJob) {
  const scope = { workspaceId: job.workspaceId, livemode: job.livemode };
  const rows = await tenant(ctx.db, scope)
    .selectFrom('automations')
    .selectAll()
    .where('active', '=', 1)
    .where('event', '=', job.type)
    .where('created_at', '<=', job.at)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const row of rows) await runOne(ctx, scope, row, job);
}

/** A `booking.starts_in` reminder came due: its automation runs on the booking's conversation. */
export async function runReminder(ctx: AppContext, p: Parameters<typeof reminderTarget>[1]) {
  const target = await reminderTarget(ctx, p);
  if (!target) return;
  await runOne(ctx, target.scope, target.automation, {
    eventId: target.eventId,
    type: 'booking.starts_in',
    workspaceId: p.workspaceId,
    livemode: p.livemode,
    conversationId: target.conversationId,
    at: ctx.clock.now().toISOString(),
    text: null,
  });
}
