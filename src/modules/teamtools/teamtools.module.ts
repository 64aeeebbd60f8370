import type { Module } from '../module.ts';
import { renderCanned } from './canned.render.ts';
import { cannedRoutes } from './canned.routes.ts';
import { macroRoutes } from './macros.routes.ts';
import { teamtoolsMigrations } from './teamtools.migrations.ts';

/** Canned responses, macros, automations and CSAT: the tools people use on conversations. */
export const teamtoolsModule: Module = {
  name: 'teamtools',
  migrations: teamtoolsMigrations,
  routes: [...cannedRoutes, ...macroRoutes],
  setup(ctx) {
    // Messaging sits below: its reply route fills `canned_response_id` through this.
    ctx.modules.messaging.cannedText = (scope, conversationId, cannedId, actor) =>
      renderCanned(ctx, scope, conversationId, cannedId, actor);
  },
};
