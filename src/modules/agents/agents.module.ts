import type { Module } from '../module.ts';
import { agentsMigrations } from './agents.migrations.ts';
import { agentRoutes } from './agents.routes.ts';
import { agentExists } from './agents.service.ts';
import { agentRoutingSettings } from './routing-settings.ts';

export const agentsModule: Module = {
  name: 'agents',
  migrations: agentsMigrations,
  routes: agentRoutes,
  // Channels and routing sit below agents: a channel's `agent_id` is checked, and a handoff reads
  // the agent's policy and hours, through these.
  provides: () => ({ agentExists, agentRoutingSettings }),
};
