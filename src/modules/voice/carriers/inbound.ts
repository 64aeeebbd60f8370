import type { AppContext } from '../../../platform/context.ts';
import { scopeOf, tenant } from '../../../platform/db/scope.ts';
import { newId } from '../../../platform/ids.ts';
import { type ChannelRow, channelById } from '../../channels/index.ts';
import { findOrCreateContact } from '../../contacts/index.ts';
import { findOrCreateConversation } from '../../conversations/index.ts';
import { workspaceTerms } from '../../workspaces/index.ts';
import { presentCall } from '../calls.service.ts';
import { freshCallColumns } from '../calls.write.ts';
import { activeStatuses, type CallRow } from '../voice.tables.ts';

export type InboundOutcome =
  | { kind: 'created'; call: CallRow }
  | { kind: 'existing'; call: CallRow }
  | { kind: 'no_agent' }
  | { kind: 'busy'; limit: number };

/**
 * A call to one of the workspace's numbers: the caller becomes (or is) a contact, the call gets
 * its conversation on the voice channel, and the call row starts `ringing` with `call.started`,
 * all in one transaction. The carrier's own id makes a repeated webhook find the same call. A
 * workspace at its concurrent-call limit, or a number with no agent, gets no call.
 */
export async function createInboundCall(
  ctx: AppContext,
  channelId: string,
  input: { providerCallId: string; from: string; to: string; provider: string },
): Promise<InboundOutcome> {
  const channel = await channelById(ctx.db, channelId);
  if (!channel) return { kind: 'no_agent' };
  const existing = await ctx.db
    .selectFrom('calls')
    .selectAll()
    .where('provider', '=', input.provider)
    .where('provider_call_id', '=', input.providerCallId)
    .executeTakeFirst();
  if (existing) return { kind: 'existing', call: existing };
  if (!channel.agent_id) return { kind: 'no_agent' };
  const { limits, defaultCountry } = await workspaceTerms(ctx.db, channel.workspace_id);
  const scope = scopeOf(channel);
  return ctx.transaction(async (tx) => {
    if (limits.concurrent_calls !== null) {
      const row = await tenant(tx.db, scope)
        .selectFrom('calls')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', [...activeStatuses])
        .executeTakeFirst();
      if (Number(row?.n ?? 0) >= limits.concurrent_calls)
        return { kind: 'busy', limit: limits.concurrent_calls };
    }
    const actor = { type: 'customer' as const, id: null };
    const { contact } = await findOrCreateContact(
      tx,
      { ...scope, defaultCountry },
      { phone: input.from },
      actor,
    );
    const now = ctx.clock.now();
    const { conversation } = await findOrCreateConversation(tx, scope, {
      channel: channel as ChannelRow,
      contact,
      address: contact.phone ?? input.from,
      agentId: channel.agent_id,
      now,
      actor: { ...actor, id: contact.id },
    });
    const at = now.toISOString();
    const call: CallRow = {
      id: newId('call'),
      workspace_id: scope.workspaceId,
      livemode: channel.livemode,
      conversation_id: conversation.id,
      contact_id: contact.id,
      agent_id: conversation.agent_id ?? channel.agent_id,
      voice_flow_id: null,
      campaign_id: null,
      direction: 'inbound',
      transport: 'phone',
      channel_id: channel.id,
      provider: input.provider,
      provider_call_id: input.providerCallId,
      from_address: contact.phone ?? input.from,
      to_address: channel.address,
      status: 'ringing',
      answered_by: null,
      ended_reason: null,
      dynamic_variables: '{}',
      identifier: null,
      ignore_dnd: 0,
      sandbox: null,
      ...freshCallColumns(at),
      dialed_at: at,
    };
    await tx.db.insertInto('calls').values(call).execute();
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'call.started',
      actor: { type: 'customer', id: contact.id },
      data: presentCall(call),
    });
    return { kind: 'created', call };
  });
}
