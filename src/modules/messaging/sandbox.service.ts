import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { agentAtPhone, agentIsActive, oldestActiveAgent } from '../agents/index.ts';
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
  // The sandbox is test mode whatever the caller's key.
  const testMode = { workspaceId: scope.workspaceId, livemode: false };
  const row = await sandboxChannelFor(ctx, scope, type, input.to, {
    byPhone: (phoneNumber) => agentAtPhone(ctx.db, testMode, phoneNumber),
    oldestActive: () => oldestActiveAgent(ctx.db, testMode),
    isActive: (agentId) => agentIsActive(ctx.db, testMode, agentId),
  });
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
