import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { ApiError, invalidField } from '../../platform/errors.ts';
import { normalizeAddress } from './address.ts';
import { channelsChanged, ensureSandboxChannel, newSandboxChannelRow } from './channels.service.ts';
import type { ChannelRow } from './channels.tables.ts';
import { type ChannelType, channelKinds } from './kinds.ts';

/*
 * Which test-mode channel a sandbox message (`POST /v1/sandbox/inbound`) arrives on, binding the
 * default sandbox channel to an agent or making one at the agent's own number on the way.
 */

export interface SandboxScope {
  workspaceId: string;
  livemode: boolean;
  defaultCountry: string;
}

/**
 * What the binding needs to know of the test-mode agents (the agents module answers it; the
 * channels module does not read the agents' table): the agent at a phone number, the workspace's
 * default agent (the oldest active one), and whether an agent is active. Deleted agents are none.
 */
export interface SandboxAgents {
  byPhone(phoneNumber: string): Promise<{ id: string } | undefined>;
  oldestActive(): Promise<{ id: string; phone_number: string | null } | undefined>;
  isActive(agentId: string): Promise<boolean>;
}

/**
 * The test channel a sandbox message arrives on. With `to`, the channel at that address, or the
 * agent's with that phone number (the default sandbox channel when no agent has it yet, else one
 * at the agent's own number). Without it, the one default sandbox channel of the type, answered by
 * the workspace's default agent unless another active agent holds it (SPEC §6, §4). Every
 * address is a real one: no agent ever gets a made-up address.
 */
export async function sandboxChannelFor(
  ctx: AppContext,
  scope: SandboxScope,
  type: ChannelType,
  to: string | undefined,
  agents: SandboxAgents,
): Promise<ChannelRow> {
  // The sandbox is test mode whatever the caller's key.
  const testMode = tenant(ctx.db, { workspaceId: scope.workspaceId, livemode: false });
  const base = testMode.selectFrom('channels').selectAll().where('type', '=', type);
  const boundTo = (agentId: string) =>
    base.where('agent_id', '=', agentId).where('status', '=', 'active').orderBy('id').executeTakeFirst();
  if (to) {
    const address = normalizeAddress(type, to, scope.defaultCountry);
    if (!address) throw invalidField('to', 'must be a valid phone number or email address');
    const channel = await base.where('address', '=', address).executeTakeFirst();
    if (channel) return channel;
    const agent = await agents.byPhone(address);
    if (!agent)
      throw new ApiError('not_found', `No test-mode channel or agent has the address ${address}.`, {
        errors: [{ field: 'to', message: 'no channel or agent with this address' }],
      });
    const bound = await boundTo(agent.id);
    if (bound) return bound;
    // Only a free default channel is taken: whoever holds it keeps it.
    const fallback = await bindIfFree(
      ctx,
      scope,
      await ensureSandboxChannel(ctx.db, ctx, scope, type),
      agent.id,
      () => Promise.resolve(true),
    );
    if (fallback.agent_id === agent.id) return fallback;
    // The default sandbox channel serves another agent: this one answers at its own number.
    return ownChannel(ctx, scope, type, agent.id, address);
  }
  // The workspace's default agent: the oldest active one.
  const agent = await agents.oldestActive();
  if (!agent) return ensureSandboxChannel(ctx.db, ctx, scope, type);
  // The default channel goes to the default agent when no active agent holds it (none yet, or
  // its agent was paused or deleted): its threads go on there, nothing is split.
  const heldByActive = (agentId: string) => agents.isActive(agentId);
  const fallback = await ensureSandboxChannel(ctx.db, ctx, scope, type);
  const current = await bindIfFree(ctx, scope, fallback, agent.id, heldByActive);
  if (current.agent_id === agent.id) return current;
  // Another active agent holds it (bound on purpose): the default agent answers on its own
  // channel, at its own number when it has one, else that channel's agent answers.
  const bound = await boundTo(agent.id);
  if (bound) return bound;
  if (agent.phone_number && channelKinds[type].addressKind === 'phone')
    return ownChannel(ctx, scope, type, agent.id, agent.phone_number);
  return current;
}

/**
 * The default sandbox `channel`, bound to `agentId` when it has no agent or `isHeld` says its agent
 * no longer holds it. Concurrent first messages race to bind it: one binds it, each reads what
 * it is now.
 */
async function bindIfFree(
  ctx: AppContext,
  scope: SandboxScope,
  channel: ChannelRow,
  agentId: string,
  isHeld: (agentId: string) => Promise<boolean>,
): Promise<ChannelRow> {
  if (channel.agent_id === agentId) return channel;
  if (channel.agent_id !== null && (await isHeld(channel.agent_id))) return channel;
  let bind = ctx.db.updateTable('channels').set({ agent_id: agentId }).where('id', '=', channel.id);
  bind =
    channel.agent_id === null
      ? bind.where('agent_id', 'is', null)
      : bind.where('agent_id', '=', channel.agent_id);
  const done = await bind.executeTakeFirst();
  if (Number(done.numUpdatedRows) > 0) await channelsChanged(ctx);
  return tenant(ctx.db, { workspaceId: scope.workspaceId, livemode: false })
    .selectFrom('channels')
    .selectAll()
    .where('id', '=', channel.id)
    .executeTakeFirstOrThrow();
}

/** A sandbox channel of the agent's own at its own phone number. */
async function ownChannel(
  ctx: AppContext,
  scope: SandboxScope,
  type: ChannelType,
  agentId: string,
  address: string,
): Promise<ChannelRow> {
  const own = newSandboxChannelRow(ctx, scope, type, address, agentId);
  // Concurrent first messages may race to make it too: the loser reads the winner's row.
  const made = await ctx.db
    .insertInto('channels')
    .values(own)
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'type', 'address']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!made)
    return tenant(ctx.db, { workspaceId: scope.workspaceId, livemode: false })
      .selectFrom('channels')
      .selectAll()
      .where('type', '=', type)
      .where('address', '=', address)
      .executeTakeFirstOrThrow();
  await channelsChanged(ctx);
  return own;
}
