import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { describe } from '../../platform/http/schemas.ts';

/** An agent's CSAT settings (SPEC: `csat` on the workspace or an agent). */
export interface AgentCsat {
  enabled: boolean;
  question: string;
  scale: 5;
  send_on: 'resolve';
}

/**
 * Where an agent's CSAT settings live: provided by the module that keeps them (teamtools, above
 * this one: `ctx.ports.agentCsat`), so `PATCH /v1/agents/{id} {csat}` and `PUT /v1/csat/settings
 * {agent_id}` are one setting.
 */
export interface AgentCsatStore {
  /** The settings that apply to the agent's conversations (its own, else the workspace's). */
  read(db: Db | Trx, scope: Scope, agentId: string): Promise<AgentCsat>;
  /** Sets the agent's own settings; fields not given keep what applies now. */
  write(
    ctx: AppContext,
    scope: Scope,
    agentId: string,
    input: { enabled?: boolean | undefined; question?: string | undefined },
  ): Promise<void>;
}

export const agentCsatInput = describe(
  z.strictObject({
    enabled: describe(z.boolean(), 'Ask customers after a conversation is resolved.', true).optional(),
    question: describe(
      z.string().trim().min(1).max(500),
      'The question asked.',
      'How did we do today?',
    ).optional(),
    scale: describe(z.literal(5), 'Answers are 1 (bad) to 5 (great).', 5).optional(),
    send_on: describe(z.literal('resolve'), 'When it is asked.', 'resolve').optional(),
  }),
  "This agent's own CSAT settings (override the workspace's; the same as `PUT /v1/csat/settings` with `agent_id`). Fields not given keep what applies now.",
);

export const agentCsatObject = describe(
  z.object({
    enabled: describe(z.boolean(), 'Customers are asked after a resolve.', true),
    question: describe(z.string(), 'The question asked.', 'How did we do today?'),
    scale: describe(z.literal(5), 'Answers are 1 (bad) to 5 (great).', 5),
    send_on: describe(z.literal('resolve'), 'When it is asked.', 'resolve'),
  }),
  "The CSAT settings that apply to this agent's conversations (its own, else the workspace's). On single-agent reads and updates.",
);

/** The agent as one read or update returns it: with the CSAT settings that apply, when kept. */
export async function withCsat<T extends { id: string }>(
  ctx: AppContext,
  scope: Scope,
  view: T,
  input?: z.output<typeof agentCsatInput>,
): Promise<T & { csat?: AgentCsat }> {
  const store = ctx.ports.agentCsat;
  if (!store) return view;
  if (input && (input.enabled !== undefined || input.question !== undefined))
    await store.write(ctx, scope, view.id, { enabled: input.enabled, question: input.question });
  return { ...view, csat: await store.read(ctx.db, scope, view.id) };
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /** An agent's own CSAT settings (provided by the teamtools module, which keeps them). */
    agentCsat: AgentCsatStore;
  }
}
