import { moveContactRows } from '../../platform/db/rows.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { eraseConversations } from './conversations.erase.ts';
import { factsCohortMigrations } from './conversations.facts.cohort.migrations.ts';
import { factsMigrations } from './conversations.facts.migrations.ts';
import { factsReaction } from './conversations.facts.reactions.ts';
import { wakeJob } from './conversations.jobs.ts';
import { conversationsMigrations } from './conversations.migrations.ts';
import { conversationRoutes } from './conversations.routes.ts';
import { unassignDeleted, wakeConversation } from './conversations.service.ts';
import { visibleConversationIds } from './conversations.visibility.ts';
import { policyRoutes } from './routing/policy.routes.ts';
import { presenceRoutes } from './routing/presence.ts';
import { queueRoutes } from './routing/queue.routes.ts';
import { roomListener, routingListener } from './routing/routing.listener.ts';
import { routingMigrations } from './routing/routing.migrations.ts';
import { routingSetup } from './routing/routing.setup.ts';
import { slaTimerJob } from './routing/sla.jobs.ts';
import { slaListener } from './routing/sla.listener.ts';
import { slaRoutes } from './routing/sla.routes.ts';
import { slaTimeout } from './routing/sla.service.ts';
import { timersListener } from './routing/timers.ts';
import { registerWindowHandoff } from './routing/window-handoff.ts';

export const conversationsModule: Module = {
  name: 'conversations',
  erase: eraseConversations,
  migrations: {
    ...conversationsMigrations,
    ...routingMigrations,
    ...factsMigrations,
    ...factsCohortMigrations,
  },
  routes: [...conversationRoutes, ...queueRoutes, ...policyRoutes, ...slaRoutes, ...presenceRoutes],
  setup(ctx) {
    // A contact merge: the other contact's conversations (but one per channel: a clash stays with the other contact) become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('conversations.contact_merge', async (tx, e) => {
        const scope = { workspaceId: e.workspaceId, livemode: e.livemode };
        await moveContactRows(tx.db, 'conversations', scope, e.fromId, e.intoId, 'channel_id');
      }),
      // The reports' facts that events give: handoffs, resolves, reopens, leads, bookings.
      factsReaction,
    );
    ctx.queue.register(wakeJob, (payload) => wakeConversation(ctx, payload.conversationId, payload.until));
    const instance = routingSetup(ctx);
    // In this order: the timers after SLA, so they see the response times SLA records.
    ctx.reactions.add(
      {
        name: 'conversations.routing',
        hears: ['message.sent', 'conversation.*'],
        step: 'follow',
        run: routingListener(ctx, instance.reactions),
      },
      {
        name: 'conversations.sla',
        hears: [
          'message.sent',
          'message.received',
          'conversation.created',
          'conversation.tagged',
          'conversation.escalated',
          'conversation.handoff_resolved',
        ],
        step: 'follow',
        run: slaListener(ctx),
      },
      {
        name: 'conversations.timers',
        hears: [
          'message.sent',
          'conversation.resolved',
          'conversation.reopened',
          'conversation.handoff_resolved',
        ],
        step: 'follow',
        run: timersListener(ctx),
      },
    );
    ctx.queue.register(slaTimerJob, (payload, job) => slaTimeout(ctx, payload, job.id));
    registerWindowHandoff(ctx);
    return instance;
  },
  // Users sit below: a deleted user's or team's conversations are unassigned, and routing gives out
  // what waits when people may take conversations.
  provides: (ctx) => ({
    assigneeDeleting: unassignDeleted,
    roomMaybeFreed: roomListener(ctx),
    conversationsVisible: visibleConversationIds,
  }),
};
