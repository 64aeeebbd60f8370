import type { AppContext } from '../../platform/context.ts';
import { randomToken } from '../../platform/crypto.ts';
import { newRow } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { eventChannel, liveNotice } from '../../platform/events.ts';
import type { InboundMessage } from '../channels/index.ts';
import {
  type ContactRow,
  findOrCreateContact,
  insertContacts,
  newContactRow,
  updateContact,
} from '../contacts/index.ts';
import { latestConversationOfContact } from '../conversations/index.ts';
import { ingestInbound, type MessageObject } from '../messaging/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import {
  limit,
  tokenHash,
  type VerifiedIdentity,
  VISITOR_LIMIT,
  type WidgetChannel,
} from './widget.access.ts';
import { appendEvent } from './widget.events.ts';
import type { WidgetVisitorsTable } from './widget.tables.ts';

/** What a visitor's stream and history show of a message. */
export function visitorMessage(
  m: Pick<MessageObject, 'id' | 'direction' | 'type' | 'text' | 'created_at'> & {
    attachments?: Array<{ filename: string | null; mime_type: string; size: number }>;
    media?: { url: string | null; filename: string | null; mime_type: string | null } | null;
    interactive?: Record<string, unknown> | null;
  },
) {
  return {
    id: m.id,
    from: m.direction === 'inbound' ? 'visitor' : 'business',
    type: m.type,
    text: m.text,
    files: (m.attachments ?? []).map((a) => ({ filename: a.filename, mime_type: a.mime_type, size: a.size })),
    media: m.media?.url
      ? { url: m.media.url, filename: m.media.filename, mime_type: m.media.mime_type }
      : null,
    buttons: buttonsOf(m.interactive),
    created_at: m.created_at,
  };
}

function buttonsOf(interactive: Record<string, unknown> | null | undefined): string[] {
  const buttons = (interactive as { buttons?: Array<{ title?: unknown }> } | null)?.buttons;
  return Array.isArray(buttons) ? buttons.map((b) => String(b.title ?? '')).filter(Boolean) : [];
}

/** What the widget shows before anything is typed: the channel's theme, consent line, pre-chat fields and fallback. */
export function publicSettings(channel: WidgetChannel) {
  const s = channel.settings;
  return {
    channel_id: channel.config.id,
    identity: s.identity,
    theme: s.theme,
    consent: s.consent,
    pre_chat_fields: s.pre_chat_fields,
    fallback: {
      email: s.fallback.email,
      whatsapp: s.fallback.whatsapp ? `https://wa.me/${s.fallback.whatsapp.slice(1)}` : null,
    },
    file_max_bytes: s.file_max_bytes,
  };
}

/**
 * The visitor is typing (or stopped): a live notice on the workspace's event stream, which the
 * inbox shows in their conversation. Not stored; nothing when they have no conversation yet.
 */
export async function tellTyping(
  ctx: AppContext,
  channel: WidgetChannel,
  contactId: string,
  typing: boolean,
) {
  const { workspaceId, livemode } = channel.config;
  const conversationId = await latestConversationOfContact(ctx.db, { workspaceId, livemode }, contactId);
  if (!conversationId) return;
  await ctx.bus.publish(
    eventChannel(workspaceId, livemode),
    JSON.stringify(
      liveNotice(workspaceId, livemode, 'conversation.typing', {
        conversation_id: conversationId,
        contact_id: contactId,
        typing,
      }),
    ),
  );
}

interface StartInput {
  pre_chat?: { name?: string; email?: string; phone?: string };
  consent?: boolean;
}

/**
 * A new session for a visitor: the identified visitor's own (one per channel and `sub`, on any
 * device), else a new anonymous visitor with a contact of their own. The token is shown once.
 */
export async function startSession(
  ctx: AppContext,
  channel: WidgetChannel,
  identity: VerifiedIdentity | null,
  input: StartInput,
): Promise<{ token: string; visitor: WidgetVisitorsTable }> {
  const s = channel.settings;
  if (s.consent && !input.consent && !identity)
    throw new ApiError('validation_failed', 'The visitor must accept the consent line first.', {
      errors: [{ field: 'consent', message: 'must be true: this widget asks for consent before a chat' }],
    });
  for (const f of s.pre_chat_fields) {
    if (f.required && !input.pre_chat?.[f.name]?.trim() && !identity)
      throw new ApiError('validation_failed', `${f.label ?? f.name} is required.`, {
        errors: [{ field: `pre_chat.${f.name}`, message: 'is required' }],
      });
  }
  const visitor = await visitorFor(ctx, channel, identity, input);
  const token = `wvt_${randomToken(32)}`;
  await ctx.db
    .insertInto('widget_sessions')
    .values({
      token_hash: tokenHash(token),
      visitor_id: visitor.id,
      created_at: ctx.clock.now().toISOString(),
    })
    .execute();
  return { token, visitor };
}

async function visitorFor(
  ctx: AppContext,
  channel: WidgetChannel,
  identity: VerifiedIdentity | null,
  input: StartInput,
): Promise<WidgetVisitorsTable> {
  const c = channel.config;
  if (identity) {
    const known = await ctx.db
      .selectFrom('widget_visitors')
      .selectAll()
      .where('channel_id', '=', c.id)
      .where('subject', '=', identity.sub)
      .executeTakeFirst();
    if (known) {
      await markVerified(ctx, channel, known.contact_id, identity);
      return known;
    }
  }
  const now = ctx.clock.now().toISOString();
  const scope = { workspaceId: c.workspaceId, livemode: c.livemode };
  const defaultCountry = await workspaceCountry(ctx, c.workspaceId);
  const given = identity ?? clean(input.pre_chat);
  const row: WidgetVisitorsTable = {
    ...newRow('vis', scope),
    channel_id: c.id,
    contact_id: '',
    subject: identity?.sub ?? null,
    consented_at: input.consent ? now : null,
    join_code: null,
    join_code_expires_at: null,
    created_at: now,
    last_seen_at: now,
  };
  try {
    await ctx.transaction(async (tx) => {
      let contact: ContactRow;
      // A verified phone or email joins the contact Parley already has for it (WhatsApp, email...);
      // what an anonymous visitor typed makes a contact of their own (it proves nothing).
      if (identity && (identity.phone || identity.email)) {
        contact = (
          await findOrCreateContact(
            tx,
            { ...scope, defaultCountry },
            {
              phone: identity.phone,
              email: identity.phone ? undefined : identity.email,
              name: identity.name,
            },
            { type: 'customer', id: null },
          )
        ).contact;
      } else {
        contact = newContactRow(
          { ...scope, defaultCountry },
          { phone: null, email: null, name: given.name ?? null, attributes: { source: 'web_widget' } },
          now,
        );
        await insertContacts(tx, scope, [contact]);
      }
      row.contact_id = contact.id;
      await tx.db.insertInto('widget_visitors').values(row).execute();
    });
  } catch (err) {
    // Two first sessions of one identified visitor at once: the other one made it.
    if (identity) {
      const known = await ctx.db
        .selectFrom('widget_visitors')
        .selectAll()
        .where('channel_id', '=', c.id)
        .where('subject', '=', identity.sub)
        .executeTakeFirst();
      if (known) return known;
    }
    throw err;
  }
  if (identity) await markVerified(ctx, channel, row.contact_id, identity);
  else if (given.email || given.phone)
    await fillFromPreChat(ctx, channel, row.contact_id, given, defaultCountry);
  return row;
}

const clean = (p: StartInput['pre_chat']) => ({
  name: p?.name?.trim() || undefined,
  email: p?.email?.trim() || undefined,
  phone: p?.phone?.trim() || undefined,
});

async function workspaceCountry(ctx: AppContext, workspaceId: string): Promise<string> {
  return (await workspaceTerms(ctx.db, workspaceId)).defaultCountry;
}

/** A verified identity fills the contact's empty fields and marks it `verified` (attributes, for tools). */
async function markVerified(
  ctx: AppContext,
  channel: WidgetChannel,
  contactId: string,
  identity: VerifiedIdentity,
) {
  const c = channel.config;
  const scope = { workspaceId: c.workspaceId, livemode: c.livemode, defaultCountry: 'US' };
  await updateContact(
    ctx,
    scope,
    contactId,
    {
      ...(identity.name ? { name: identity.name } : {}),
      attributes: { verified: true, verified_id: identity.sub, source: 'web_widget' },
    },
    { type: 'customer', id: contactId },
  );
}

/** What an anonymous visitor typed in the pre-chat form: kept on their own contact, never matched to another. */
async function fillFromPreChat(
  ctx: AppContext,
  channel: WidgetChannel,
  contactId: string,
  given: { email?: string; phone?: string },
  defaultCountry: string,
) {
  const c = channel.config;
  const scope = { workspaceId: c.workspaceId, livemode: c.livemode, defaultCountry };
  try {
    await updateContact(
      ctx,
      scope,
      contactId,
      { attributes: { pre_chat_email: given.email ?? null, pre_chat_phone: given.phone ?? null } },
      { type: 'customer', id: contactId },
    );
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
}

interface SendInput {
  idempotency_key: string;
  text?: string;
  file?: { content: Buffer; mimeType: string; filename: string | null };
}

/**
 * A visitor's message, stored once per idempotency key: the key is claimed first; a resend with
 * the same key answers the message the first one stored (waiting for it while it is stored).
 * The message goes through the inbound pipeline as any channel's (contact, conversation, the
 * AI agent's answer, handoff), then into the visitor's stream.
 */
export async function sendVisitorMessage(
  ctx: AppContext,
  channel: WidgetChannel,
  visitor: WidgetVisitorsTable,
  input: SendInput,
): Promise<{ message: ReturnType<typeof visitorMessage>; replayed: boolean }> {
  const claimed = await claimKey(ctx, visitor.id, input.idempotency_key);
  if (!claimed) return { message: await claimedMessage(ctx, visitor, input.idempotency_key), replayed: true };
  await limit(ctx, `widget:visitor:${visitor.id}`, VISITOR_LIMIT).catch(async (err) => {
    await releaseKey(ctx, visitor.id, input.idempotency_key);
    throw err;
  });
  const m: InboundMessage = {
    providerMessageId: `${visitor.id}:${input.idempotency_key}`,
    from: visitor.id,
    contactId: visitor.contact_id,
    type: input.file ? (input.file.mimeType.startsWith('image/') ? 'image' : 'document') : 'text',
    text: input.text?.trim() ?? '',
    ...(input.file
      ? {
          attachments: [
            { filename: input.file.filename, mimeType: input.file.mimeType, content: input.file.content },
          ],
        }
      : {}),
    timestamp: ctx.clock.now(),
  };
  let stored: MessageObject | undefined;
  try {
    const result = await ingestInbound(ctx, channel.config, { messages: [m], statuses: [], notices: [] });
    stored = result.messages[0];
    if (!stored) throw new Error('the visitor message was not stored');
  } catch (err) {
    await releaseKey(ctx, visitor.id, input.idempotency_key);
    throw err;
  }
  const message = visitorMessage(stored);
  await ctx.transaction(async (tx) => {
    await tx.db
      .updateTable('widget_sends')
      .set({ message_id: stored.id })
      .where('visitor_id', '=', visitor.id)
      .where('idempotency_key', '=', input.idempotency_key)
      .execute();
    await tx.db
      .updateTable('widget_visitors')
      .set({ last_seen_at: ctx.clock.now().toISOString() })
      .where('id', '=', visitor.id)
      .execute();
  });
  await appendEvent(ctx, ctx.db, visitor.id, 'message', message);
  return { message, replayed: false };
}

async function claimKey(ctx: AppContext, visitorId: string, key: string): Promise<boolean> {
  const r = await ctx.db
    .insertInto('widget_sends')
    .values({
      visitor_id: visitorId,
      idempotency_key: key,
      message_id: null,
      created_at: ctx.clock.now().toISOString(),
    })
    .onConflict((oc) => oc.columns(['visitor_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

async function releaseKey(ctx: AppContext, visitorId: string, key: string) {
  await ctx.db
    .deleteFrom('widget_sends')
    .where('visitor_id', '=', visitorId)
    .where('idempotency_key', '=', key)
    .where('message_id', 'is', null)
    .execute();
}

/** The message a claimed key stored, waited for up to 10 s while the first request stores it. */
async function claimedMessage(ctx: AppContext, visitor: WidgetVisitorsTable, key: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const send = await ctx.db
      .selectFrom('widget_sends')
      .select('message_id')
      .where('visitor_id', '=', visitor.id)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    if (send?.message_id) {
      const events = await ctx.db
        .selectFrom('widget_events')
        .select('data')
        .where('visitor_id', '=', visitor.id)
        .where('type', '=', 'message')
        .orderBy('id', 'desc')
        .limit(200)
        .execute();
      for (const e of events) {
        const data = JSON.parse(e.data) as ReturnType<typeof visitorMessage>;
        if (data.id === send.message_id) return data;
      }
    }
    if (!send || Date.now() > deadline)
      throw new ApiError(
        'idempotency_conflict',
        'A message with this Idempotency-Key is still being stored; retry.',
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
