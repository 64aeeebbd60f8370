import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { toJson } from '../../platform/json.ts';
import type { ChannelRow } from '../channels/index.ts';
import {
  type ChannelType,
  channelConfigOf,
  channelKinds,
  channelsChanged,
  ensureSandboxChannel,
  invalidAddressMessage,
  type MessagingChannelType,
  normalizeAddress,
  sandboxAdapter,
} from '../channels/index.ts';
import { ingestInbound } from './inbound.service.ts';

interface SandboxScope {
  workspaceId: string;
  livemode: boolean;
  defaultCountry: string;
}

/** The test channel a sandbox message arrives on, bound to the agent that should answer. */
async function sandboxChannelFor(
  ctx: AppContext,
  scope: SandboxScope,
  type: ChannelType,
  to: string | undefined,
): Promise<ChannelRow> {
  const base = ctx.db
    .selectFrom('channels')
    .selectAll()
    .where('workspace_id', '=', scope.workspaceId)
    .where('livemode', '=', 0)
    .where('type', '=', type);
  const agents = ctx.db
    .selectFrom('agents')
    .select(['id', 'phone_number'])
    .where('workspace_id', '=', scope.workspaceId)
    .where('livemode', '=', 0)
    .where('deleted_at', 'is', null);
  let agent: { id: string; phone_number: string | null } | undefined;
  if (to) {
    const address = normalizeAddress(type, to, scope.defaultCountry);
    if (!address)
      throw new ApiError('validation_failed', 'to: must be a valid address', {
        errors: [{ field: 'to', message: 'must be a valid phone number or email address' }],
      });
    const channel = await base.where('address', '=', address).executeTakeFirst();
    if (channel) return channel;
    agent = await agents.where('phone_number', '=', address).executeTakeFirst();
    if (!agent)
      throw new ApiError('not_found', `No test-mode channel or agent has the address ${address}.`, {
        errors: [{ field: 'to', message: 'no channel or agent with this address' }],
      });
  } else {
    // The workspace's default agent: the oldest active one.
    agent = await agents
      .where('status', '=', 'active')
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .executeTakeFirst();
  }
  if (!agent) return ensureSandboxChannel(ctx.db, ctx, scope, type);
  const bound = await base
    .where('agent_id', '=', agent.id)
    .where('status', '=', 'active')
    .orderBy('id')
    .executeTakeFirst();
  if (bound) return bound;
  const fallback = await ensureSandboxChannel(ctx.db, ctx, scope, type);
  if (fallback.agent_id === null) {
    await ctx.db.updateTable('channels').set({ agent_id: agent.id }).where('id', '=', fallback.id).execute();
    await channelsChanged(ctx);
    return { ...fallback, agent_id: agent.id };
  }
  // The default sandbox channel serves another agent: give this agent its own.
  const now = ctx.clock.now().toISOString();
  const own: ChannelRow = {
    id: newId('ch'),
    workspace_id: scope.workspaceId,
    livemode: 0,
    type,
    provider: 'sandbox',
    address:
      agent.phone_number && channelKinds[type].addressKind === 'phone'
        ? agent.phone_number
        : `${channelKinds[type].sandboxAddress}#${agent.id}`,
    agent_id: agent.id,
    credentials: ctx.secrets.sealJson({}),
    settings: toJson(channelKinds[type].sandboxSettings),
    status: 'active',
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('channels').values(own).execute();
  await channelsChanged(ctx);
  return own;
}

/**
 * `POST /v1/sandbox/inbound`: a customer message arrives through the same ingest path a
 * provider webhook takes. Test mode only.
 */
export async function sandboxInbound(
  ctx: AppContext,
  scope: SandboxScope,
  input: { from: string; text: string; channel?: MessagingChannelType; to?: string; name?: string },
) {
  if (scope.livemode) {
    throw new ApiError(
      'forbidden',
      'The sandbox takes test keys only: live messages arrive from the provider.',
    );
  }
  const type = input.channel ?? 'whatsapp';
  const from = normalizeAddress(type, input.from, scope.defaultCountry);
  if (!from)
    throw new ApiError('validation_failed', 'from: must be a valid address', {
      errors: [
        {
          field: 'from',
          message: invalidAddressMessage(type),
        },
      ],
    });
  const row = await sandboxChannelFor(ctx, scope, type, input.to);
  const channel = channelConfigOf(ctx, row);
  const batch = await sandboxAdapter.parseInbound(channel, {
    rawBody: Buffer.alloc(0),
    headers: {},
    url: '',
    body: { from, text: input.text, name: input.name },
  });
  const result = await ingestInbound(ctx, channel, batch);
  const message = result.messages[0] ?? null;
  return {
    stored: result.stored,
    duplicates: result.duplicates,
    message,
    conversation_id: message?.conversation_id ?? null,
  };
}
