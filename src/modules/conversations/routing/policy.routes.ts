import { defineRoute, ok } from '../../../platform/http/route.ts';
import { handoffPolicyInput, handoffPolicyObject } from './policy.schemas.ts';
import { setWorkspacePolicy, workspacePolicy } from './policy.service.ts';

export const policyRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/handoff-policy',
    summary: "The workspace's handoff policy",
    description:
      "The default every handoff follows unless its agent overrides it (the agent's `handoff_policy`): which team gets it, how many minutes a person has to reply (in the agent's business hours), what happens when nobody does, and what the customer is told out of hours.",
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:read',
    responses: { 200: handoffPolicyObject },
    handler: async ({ ctx, auth }) => ({ status: 200, body: await workspacePolicy(ctx.db, auth) }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/handoff-policy',
    summary: "Set the workspace's handoff policy",
    description:
      'Fields given change, the others stay. `reply_within_minutes` is at least 1; an unknown `team_id` is a 404. Applies to handoffs that start afterwards.',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:write',
    body: handoffPolicyInput,
    responses: { 200: handoffPolicyObject },
    errors: ['not_found'],
    handler: ok(({ ctx, auth, body }) => setWorkspacePolicy(ctx, auth, body)),
  }),
];
