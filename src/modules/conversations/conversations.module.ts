import type { Module } from '../module.ts';
import { onAssigneeDelete } from '../users/index.ts';
import { wakeJob } from './conversations.jobs.ts';
import { conversationsMigrations } from './conversations.migrations.ts';
import { conversationRoutes } from './conversations.routes.ts';
import { unassignDeleted, wakeConversation } from './conversations.service.ts';

export const conversationsModule: Module = {
  name: 'conversations',
  migrations: conversationsMigrations,
  routes: conversationRoutes,
  setup(ctx) {
    ctx.queue.register(wakeJob, (payload) => wakeConversation(ctx, payload.conversationId, payload.until));
    onAssigneeDelete(ctx, unassignDeleted);
  },
};
