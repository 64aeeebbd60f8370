import type { AppContext } from '../../platform/context.ts';
import { registerAdapter } from '../channels/index.ts';
import type { Module } from '../module.ts';
import { widgetAdapter } from './widget.adapter.ts';
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
  setup(ctx: AppContext) {
    registerAdapter(ctx, widgetAdapter(ctx));
    return {};
  },
};
