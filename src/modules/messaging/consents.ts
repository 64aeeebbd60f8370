import type { AppContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/events.ts';
import type { ChannelConfig, ConsentNotice } from '../channels/index.ts';
import {
  findContactByPhone,
  findContactRow,
  findOrCreateContact,
  findOrCreateWhatsAppContact,
  recordConsents,
} from '../contacts/index.ts';
import { contactIdOfConversation } from '../conversations/index.ts';

/**
 * What providers say about a customer's consent, written to the contacts' consent ledger: Meta's
 * `user_preferences` webhook (stop or resume marketing messages) and Meta's error 131050 on a
 * send ("the user stopped marketing messages from this business"), which stops marketing only.
 */

/** Meta's error for a marketing message to a user who stopped marketing messages from this business. */
export const MARKETING_STOPPED_CODE = '131050';

/** A `user_preferences` change: the contact (made when unknown, so the stop is kept) records it. */
export async function applyConsentNotice(
  ctx: AppContext,
  channel: ChannelConfig,
  n: ConsentNotice,
  defaultCountry: string,
): Promise<void> {
  const scope = { workspaceId: channel.workspaceId, livemode: channel.livemode, defaultCountry };
  await ctx.transaction(async (tx) => {
    const customer = { type: 'customer' as const, id: null };
    const { contact } = n.userId
      ? await findOrCreateWhatsAppContact(
          tx,
          scope,
          { ...(n.phone ? { phone: n.phone } : {}), userId: n.userId, name: n.profileName },
          customer,
        )
      : await findOrCreateContact(
          tx,
          scope,
          { phone: n.phone!, name: n.profileName, providerVouched: true },
          customer,
        );
    await recordConsents(
      tx,
      scope,
      contact,
      [
        {
          channel: channel.type,
          purpose: n.purpose,
          status: n.status,
          source: 'user_preferences',
          detail: n.detail ?? null,
        },
      ],
      n.timestamp,
    );
  });
}

/**
 * A message refused with Meta 131050: its contact stopped marketing messages on this channel
 * (not every message: utility and service messages still go). Runs in the caller's transaction.
 */
export async function marketingStoppedBySend(
  tx: Tx,
  message: { workspace_id: string; livemode: number; conversation_id: string; to_address: string },
  channelType: string,
  at: Date,
): Promise<void> {
  const scope = { workspaceId: message.workspace_id, livemode: message.livemode === 1 };
  const contactId = await contactIdOfConversation(tx.db, message.conversation_id);
  const contact = contactId
    ? await findContactRow(tx.db, scope, contactId)
    : await findContactByPhone(tx.db, scope, message.to_address);
  if (!contact) return;
  await recordConsents(
    tx,
    scope,
    contact,
    [
      {
        channel: channelType,
        purpose: 'marketing',
        status: 'revoked',
        source: 'provider_error',
        detail: MARKETING_STOPPED_CODE,
      },
    ],
    at,
  );
}
