import { Hook } from '../../platform/hooks.ts';
import type { Module } from '../module.ts';
import { agentsMigrations } from './agents.migrations.ts';
import { agentRoutes } from './agents.routes.ts';
import { type AgentDeleting, agentExists } from './agents.service.ts';
import { agentRoutingSettings } from './routing-settings.ts';

/** The agents module's state for one app. */
export interface AgentsInstance {
  /** Runs inside an agent's delete (`onAgentDelete`): listeners may refuse it or let go of the agent. */
  deleting: Hook<AgentDeleting>;
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
  setup() {
    return { deleting: new Hook<AgentDeleting>() } satisfies AgentsInstance;
  },
  // Channels and routing sit below agents: a channel's `agent_id` is checked, and a handoff reads
  // the agent's policy and hours, through these.
  provides: () => ({ agentExists, agentRoutingSettings }),
};
