import type { ParleyMigration } from '../platform/db/migrate.ts';
import { platformMigrations } from '../platform/db/platform.migrations.ts';
import { agentsModule } from './agents/agents.module.ts';
import { aiModule } from './ai/ai.module.ts';
import { analysisModule } from './analysis/analysis.module.ts';
import { audiencesModule } from './audiences/audiences.module.ts';
import { bookingsModule } from './bookings/bookings.module.ts';
import { broadcastsModule } from './broadcasts/broadcasts.module.ts';
import { campaignsModule } from './campaigns/campaigns.module.ts';
import { channelsModule } from './channels/channels.module.ts';
import { providersModule } from './channels/providers.module.ts';
import { contactsModule } from './contacts/contacts.module.ts';
import { conversationsModule } from './conversations/conversations.module.ts';
import { eventsModule } from './events/events.module.ts';
import { importsModule } from './imports/imports.module.ts';
import { inboxModule } from './inbox/inbox.module.ts';
import { knowledgeModule } from './knowledge/knowledge.module.ts';
import { leadsModule } from './leads/leads.module.ts';
import { mediaModule } from './media/media.module.ts';
import { messagingModule } from './messaging/messaging.module.ts';
import type { Module } from './module.ts';
import { notificationsModule } from './notifications/notifications.module.ts';
import { outreachModule } from './outreach/outreach.module.ts';
import { privacyModule } from './privacy/privacy.module.ts';
import { reportsModule } from './reports/reports.module.ts';
import { teamtoolsModule } from './teamtools/teamtools.module.ts';
import { toolsModule } from './tools/tools.module.ts';
import { usersModule } from './users/users.module.ts';
import { linesModule } from './voice/carriers/lines.module.ts';
import { voiceModule } from './voice/voice.module.ts';
import { voiceFlowsModule } from './voice-flows/voice-flows.module.ts';
import { webhooksModule } from './webhooks/webhooks.module.ts';
import { widgetModule } from './widget/widget.module.ts';
import { workspacesModule } from './workspaces/workspaces.module.ts';

/**
 * Every module of Parley, in dependency order. This list is the one place that takes a module's
 * `Module` object from its `*.module.ts`; other modules use each other through `index.ts`.
 */
export const modules: Module[] = [
  workspacesModule,
  contactsModule,
  mediaModule,
  audiencesModule,
  importsModule,
  usersModule,
  channelsModule,
  conversationsModule,
  messagingModule,
  broadcastsModule,
  agentsModule,
  leadsModule,
  bookingsModule,
  knowledgeModule,
  toolsModule,
  aiModule,
  eventsModule,
  webhooksModule,
  providersModule,
  voiceModule,
  linesModule,
  voiceFlowsModule,
  outreachModule,
  campaignsModule,
  teamtoolsModule,
  notificationsModule,
  analysisModule,
  reportsModule,
  inboxModule,
  privacyModule,
  widgetModule,
];

export function allMigrations(list: Module[] = modules): Record<string, ParleyMigration> {
  const out: Record<string, ParleyMigration> = { ...platformMigrations };
  for (const m of list) {
    for (const [name, migration] of Object.entries(m.migrations ?? {})) {
      if (out[name]) throw new Error(`Migration ${name} is declared twice`);
      out[name] = migration;
    }
  }
  return out;
}
