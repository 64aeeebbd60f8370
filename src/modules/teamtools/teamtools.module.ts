import { moveContactRows } from '../../platform/db/rows.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { automationJob } from './automations.jobs.ts';
import { automationRoutes } from './automations.routes.ts';
import { automationSink, runAutomations, runReminder } from './automations.run.ts';
import { renderCanned } from './canned.render.ts';
import { cannedRoutes } from './canned.routes.ts';
import { claimCsatAnswer, csatAnswerSink } from './csat.answer.ts';
import { askCsat, csatSink } from './csat.ask.ts';
import { csatAskJob } from './csat.jobs.ts';
import { csatRoutes } from './csat.routes.ts';
import { effectiveCsat, putCsatSettings } from './csat.service.ts';
import { macroRoutes } from './macros.routes.ts';
import { bookingReminderJob } from './reminders.ts';
import { eraseTeamtools } from './teamtools.erase.ts';
import { teamtoolsMigrations } from './teamtools.migrations.ts';

/** Canned responses, macros, automations and CSAT: the tools people use on conversations. */
export const teamtoolsModule: Module = {
  name: 'teamtools',
  erase: eraseTeamtools,
  migrations: teamtoolsMigrations,
  routes: [...cannedRoutes, ...macroRoutes, ...automationRoutes, ...csatRoutes],
  setup(ctx) {
    // A contact merge: the other contact's CSAT requests and answers become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('teamtools.contact_merge', async (tx, e) => {
        const scope = { workspaceId: e.workspaceId, livemode: e.livemode };
        await moveContactRows(tx.db, 'csat_requests', scope, e.fromId, e.intoId);
      }),
    );
    ctx.queue.register(automationJob, (payload) => runAutomations(ctx, payload));
    ctx.queue.register(bookingReminderJob, (payload) => runReminder(ctx, payload));
    ctx.queue.register(csatAskJob, (payload) => askCsat(ctx, payload));
    ctx.reactions.add(
      {
        name: 'teamtools.automations',
        // Every event an automation can wait for (automationEvents), and bookings for reminders.
        hears: [
          'message.received',
          'conversation.*',
          'call.completed',
          'csat.received',
          'sla.breached',
          'booking.*',
        ],
        step: 'record',
        run: automationSink(ctx),
      },
      {
        name: 'teamtools.csat',
        hears: ['conversation.resolved', 'contact.deleted'],
        step: 'record',
        run: csatSink(ctx),
      },
    );
    // After the AI's (module order): a score to a pending question is recorded as the answer.
    ctx.reactions.add({
      name: 'teamtools.csat_answer',
      hears: ['message.received'],
      step: 'follow',
      run: csatAnswerSink(ctx),
    });
  },
  provides: (ctx) => ({
    // A bare answer to the CSAT question, before it would reopen the conversation.
    claimAnswer: (tx, e) => claimCsatAnswer(ctx, tx, e),
    // Messaging sits below: its reply route fills `canned_response_id` through this.
    cannedText: (scope, conversationId, cannedId, actor) =>
      renderCanned(ctx, scope, conversationId, cannedId, actor),
    // `csat` on an agent (SPEC) is the agent's own CSAT settings.
    agentCsat: {
      read: (db, scope, agentId) => effectiveCsat(db, scope, agentId),
      write: async (c, scope, agentId, input) => {
        await putCsatSettings(c, scope, { agent_id: agentId, ...input });
      },
    },
  }),
};
