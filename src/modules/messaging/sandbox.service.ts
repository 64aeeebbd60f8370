import type { AppContext } from '../../platform/context.ts';
import { ApiError, invalidField } from '../../platform/errors.ts';
import { agentAtPhone, agentIsActive, findAgentRow, oldestActiveAgent } from '../agents/index.ts';
import {
  channelConfigOf,
  invalidAddressMessage,
  type MessagingChannelType,
  normalizeAddress,
  type SandboxScope,
  sandboxAdapter,
  sandboxChannelFor,
} from '../channels/index.ts';
import { ingestInbound } from './inbound.service.ts';

/**
 * `POST /v1/sandbox/inbound`: a customer message arrives through the same ingest path a
 * provider webhook takes. Test mode only.
 */
export async function sandboxInbound(
  ctx: AppContext,
  scope: SandboxScope,
  input: {
    from: string;
    text: string;
    channel?: MessagingChannelType;
    to?: string;
    agent_id?: string;
    name?: string;
  },
) {
  if (scope.livemode) {
    throw new ApiError(
      'forbidden',
      'The sandbox takes test keys only: live messages arrive from the provider.',
    );
  }
  const type = input.channel ?? 'whatsapp';
  const from = normalizeAddress(type, input.from, scope.defaultCountry);
  if (!from) throw invalidField('from', invalidAddressMessage(type));
  // The sandbox is test mode whatever the caller's key.
  const testMode = { workspaceId: scope.workspaceId, livemode: false };
  const chosen = input.agent_id ? await chosenAgent(ctx, testMode, input.agent_id, input.to) : undefined;
  const row = await sandboxChannelFor(ctx, scope, type, input.to ?? chosen?.to, {
    byPhone: (phoneNumber) => agentAtPhone(ctx.db, testMode, phoneNumber),
    // A chosen agent without a number takes the default sandbox channel's place of default agent.
    oldestActive: () => (chosen ? Promise.resolve(chosen.agent) : oldestActiveAgent(ctx.db, testMode)),
    isActive: (agentId) => agentIsActive(ctx.db, testMode, agentId),
  });
  if (chosen && row.agent_id !== chosen.agent.id)
    throw new ApiError(
      'conflict',
      `Agent ${chosen.agent.id} has no phone number, and the default sandbox channel answers as agent ${row.agent_id}: give this agent a phone_number (PATCH /v1/agents/{id}) to write to it.`,
      { errors: [{ field: 'agent_id', message: 'this agent has no phone number to write to' }] },
    );
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

/** The agent `agent_id` names (test mode, active), and the number to write to when it has one. */
async function chosenAgent(
  ctx: AppContext,
  testMode: { workspaceId: string; livemode: boolean },
  agentId: string,
  to: string | undefined,
) {
  const agent = await findAgentRow(ctx.db, testMode, agentId);
  if (!agent || agent.deleted_at)
    throw new ApiError('not_found', `No test-mode agent with id ${agentId}.`, {
      errors: [{ field: 'agent_id', message: 'no such test-mode agent' }],
    });
  if (agent.status !== 'active')
    throw new ApiError('conflict', `Agent ${agentId} is paused: it answers nothing.`, {
      errors: [{ field: 'agent_id', message: 'this agent is paused' }],
    });
  if (to !== undefined)
    throw new ApiError('validation_failed', 'Give to or agent_id, not both.', {
      errors: [{ field: 'agent_id', message: 'give to or agent_id, not both' }],
    });
  return { agent: { id: agent.id, phone_number: agent.phone_number }, to: agent.phone_number ?? undefined };
}
