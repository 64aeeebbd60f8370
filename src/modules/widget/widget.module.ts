import type { AppContext } from '../../platform/context.ts';
import { moveContactRows } from '../../platform/db/rows.ts';
import { registerAdapter } from '../channels/index.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { widgetAdapter } from './widget.adapter.ts';
import { eraseVisitors, purgeOldWidgetEvents } from './widget.erase.ts';
import { joinCodeReaction, joinContacts, joinJob } from './widget.fallback.ts';
import { widgetMigrations } from './widget.migrations.ts';
import { widgetRoutes } from './widget.routes.ts';

/**
 * The website chat widget (channel type `web`, provider `widget`): `/widget.js` on any page of an
 * allowed domain, visitors' sessions, their messages into the inbound pipeline (the AI agent
 * answers, hands off, people reply from the inbox) and every reply back over their stream.
 */
export const widgetModule: Module = {
  name: 'widget',
  migrations: widgetMigrations,
  routes: widgetRoutes,
  erase: eraseVisitors,
  retain: { messages: purgeOldWidgetEvents },
  setup(ctx: AppContext) {
    registerAdapter(ctx, widgetAdapter(ctx));
    // "Continue on WhatsApp": a WhatsApp message carrying a visitor's join code joins the contacts.
    ctx.reactions.add(joinCodeReaction(ctx));
    ctx.queue.register(joinJob, (payload) => joinContacts(ctx, payload));
    // A contact merge: the other contact's visitors (their sessions and thread) become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('widget.contact_merge', async (tx, e) => {
        await moveContactRows(
          tx.db,
          'widget_visitors',
          { workspaceId: e.workspaceId, livemode: e.livemode },
          e.fromId,
          e.intoId,
        );
      }),
    );
    return {};
  },
};
