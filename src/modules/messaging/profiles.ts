import type { AppContext } from '../../platform/context.ts';
import type { Tx } from '../../platform/events.ts';
import {
  adapterFor,
  type ChannelConfig,
  channelById,
  channelConfigOf,
  channelKinds,
} from '../channels/index.ts';
import { type ContactRow, getContactRow, updateContact } from '../contacts/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { customerProfileJob } from './messaging.jobs.ts';

/**
 * Names for Messenger and Instagram customers (issue 62): their webhooks carry only a scoped id
 * (PSID, IGSID), so the inbox showed raw numbers. A customer with no name gets their profile read
 * from Meta's Graph API (name, picture), kept on the contact (`attributes.avatar_url`,
 * `attributes.profile_checked_at`) and asked again at most once a week while they still have none.
 */
const RECHECK_MS = 7 * 86_400_000;

/** In the inbound message's transaction: the profile job, when the customer has no name yet. */
export async function askCustomerProfile(
  ctx: AppContext,
  tx: Tx,
  channel: ChannelConfig,
  contact: ContactRow,
  userId: string,
  now: Date,
) {
  if (!channelKinds[channel.type].userIdField || contact.name) return;
  const checked = Date.parse(String(attributesOf(contact).profile_checked_at ?? ''));
  if (Number.isFinite(checked) && now.getTime() - checked < RECHECK_MS) return;
  await ctx.queue.enqueue(
    tx.db,
    customerProfileJob,
    {
      workspaceId: channel.workspaceId,
      livemode: channel.livemode,
      channelId: channel.id,
      contactId: contact.id,
      userId,
    },
    { singletonKey: `profile:${contact.id}` },
  );
}

const attributesOf = (contact: ContactRow): Record<string, unknown> => {
  try {
    return JSON.parse(contact.attributes ?? '{}') ?? {};
  } catch {
    return {};
  }
};

/** The job: the profile read and kept; a name the contact got meanwhile (a person typed it) wins. */
export async function readCustomerProfile(
  ctx: AppContext,
  p: { workspaceId: string; livemode: boolean; channelId: string; contactId: string; userId: string },
) {
  const { defaultCountry } = await workspaceTerms(ctx.db, p.workspaceId);
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode, defaultCountry };
  const row = await channelById(ctx.db, p.channelId);
  if (!row) return;
  const channel = channelConfigOf(ctx, row);
  const lookup = adapterFor(ctx, channel.provider)?.lookupProfile;
  if (!lookup) return;
  const contact = await getContactRow(ctx.db, scope, p.contactId).catch(() => undefined);
  if (!contact || contact.name || contact.merged_into) return;
  const profile = await lookup(channel, p.userId);
  const now = ctx.clock.now().toISOString();
  await updateContact(
    ctx,
    scope,
    contact.id,
    {
      ...(profile?.name ? { name: profile.name } : {}),
      attributes: {
        profile_checked_at: now,
        ...(profile?.avatarUrl ? { avatar_url: profile.avatarUrl } : {}),
      },
    },
    { type: 'system', id: null },
  );
}
