import { Hook } from '../../platform/hooks.ts';
import type { Module } from '../module.ts';
import type { AgentCsatStore } from './agents.csat.ts';
import { agentsMigrations } from './agents.migrations.ts';
import { agentRoutes } from './agents.routes.ts';
import { type AgentDeleting, agentExists } from './agents.service.ts';
import { agentRoutingSettings } from './routing-settings.ts';

/** The agents module's state for one app. */
export interface AgentsInstance {
  /** Runs inside an agent's delete (`onAgentDelete`): listeners may refuse it or let go of the agent. */
  deleting: Hook<AgentDeleting>;
  /** Installed by the teamtools module: the agent's `csat` settings. */
  csat?: AgentCsatStore;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    agents: AgentsInstance;
  }
}

export const agentsModule: Module = {
  name: 'agents',
  migrations: agentsMigrations,
  routes: agentRoutes,
  setup(ctx) {
    ctx.modules.conversations.agentSettings = agentRoutingSettings;
    ctx.modules.channels.agentExists = agentExists;
    return { deleting: new Hook<AgentDeleting>() } satisfies AgentsInstance;
  },
};
