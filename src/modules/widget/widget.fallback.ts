import { randomInt } from 'node:crypto';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { inScope, type Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { defineJob } from '../../platform/queue/queue.ts';
import type { Reaction } from '../../platform/reactions.ts';
import { findContactRow, mergeContacts, updateContact } from '../contacts/index.ts';
import { findConversationRow, handoffHoursNow } from '../conversations/index.ts';
import { sendMessage } from '../messaging/index.ts';
import { anyoneOnline } from '../users/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { limit, type VerifiedIdentity, type WidgetChannel } from './widget.access.ts';
import { appendEvent, eventsAfter } from './widget.events.ts';
import type { WidgetVisitorsTable } from './widget.tables.ts';

/**
 * When no person can answer (outside the channel's agent's opening hours, or nobody of the team
 * online), the widget offers the channel's fallbacks: "reply by email" (the thread so far goes to
 * the visitor by email from the workspace's email channel, and the conversation carries on there)
 * and "continue on WhatsApp" (a `wa.me` link whose prefilled text carries a code; the WhatsApp
 * message carrying it joins the visitor's contact into the WhatsApp contact).
 */

/** A join code lasts this long, and is used once. */
export const JOIN_CODE_HOURS = 24;
const CODE_LETTERS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_PATTERN = /\bWEB-([0-9A-HJKMNP-TV-Z]{6})\b/i;

const systemActor = { type: 'system' as const, id: null };
const scopeOf = (channel: WidgetChannel) => ({
  workspaceId: channel.config.workspaceId,
  livemode: channel.config.livemode,
});

/** Whether a person can answer now, and so whether the widget offers its fallbacks. */
export async function availabilityOf(ctx: AppContext, channel: WidgetChannel) {
  const scope = scopeOf(channel);
  const closed = await handoffHoursNow(ctx, ctx.db, scope, {
    agent_id: channel.agentId,
    channel_id: channel.config.id,
  });
  const online = await anyoneOnline(ctx.db, scope, ctx.clock.now());
  return {
    open: !closed,
    next_opening: closed?.nextOpening ?? null,
    people_online: online,
    offer_fallback: !!closed || !online,
  };
}

/** What the visitor's thread says so far, as plain lines for an email. */
async function threadText(ctx: AppContext, visitorId: string): Promise<string> {
  const events = await eventsAfter(ctx.db, visitorId, undefined, 200);
  return events
    .filter((e) => e.type === 'message' && typeof e.data.text === 'string' && e.data.text)
    .map((e) => `${e.data.from === 'visitor' ? 'You' : 'Us'}: ${e.data.text as string}`)
    .join('\n');
}

/**
 * "Reply by email": the visitor's email goes on their contact (when it has none and no other
 * contact has it), and the thread so far is sent to it from the channel's `fallback.email` email
 * channel: the conversation carries on there, in the inbox, by email.
 */
export async function continueByEmail(
  ctx: AppContext,
  channel: WidgetChannel,
  visitor: WidgetVisitorsTable,
  identity: VerifiedIdentity | null,
  given: string | undefined,
) {
  const from = channel.settings.fallback.email;
  if (!from) throw new ApiError('unprocessable', 'This widget offers no reply by email.');
  const email = given ?? identity?.email;
  if (!email)
    throw new ApiError('validation_failed', 'Give the email address to reply to.', {
      errors: [{ field: 'email', message: 'is required' }],
    });
  await limit(ctx, `widget:continue:${visitor.id}`, { windowMs: 3_600_000, limit: 5 });
  const scope = scopeOf(channel);
  const terms = await workspaceTerms(ctx.db, scope.workspaceId);
  const contact = await findContactRow(ctx.db, scope, visitor.contact_id);
  if (contact && !contact.email) {
    await updateContact(
      ctx,
      { ...scope, defaultCountry: terms.defaultCountry },
      contact.id,
      { email },
      { type: 'customer', id: contact.id },
    ).catch((err) => {
      // Another contact has this address: the email conversation is theirs (typing it proves nothing).
      if (!(err instanceof ApiError)) throw err;
    });
  }
  const thread = await threadText(ctx, visitor.id);
  const text = `You asked us to reply by email: we will answer you here.${thread ? `\n\nYour conversation so far:\n\n${thread}` : ''}`;
  await sendMessage(
    ctx,
    {
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      defaultCountry: terms.defaultCountry,
      actor: systemActor,
      limits: terms.limits,
    },
    {
      channel: 'email',
      from,
      to: email,
      type: 'text',
      subject: `Your chat on ${channel.config.address}`,
      text,
    },
  );
  await appendEvent(ctx, ctx.db, visitor.id, 'continued', { via: 'email', email });
  return { via: 'email' as const, email };
}

const newCode = () =>
  `WEB-${Array.from({ length: 6 }, () => CODE_LETTERS[randomInt(CODE_LETTERS.length)]).join('')}`;

/**
 * "Continue on WhatsApp": the visitor's join code (a new one, or the one still valid) and the
 * `wa.me` link to the channel's `fallback.whatsapp` number with the code in its prefilled text.
 */
export async function continueOnWhatsApp(
  ctx: AppContext,
  channel: WidgetChannel,
  visitor: WidgetVisitorsTable,
) {
  const number = channel.settings.fallback.whatsapp;
  if (!number) throw new ApiError('unprocessable', 'This widget offers no WhatsApp.');
  const now = ctx.clock.now();
  let code = visitor.join_code;
  let expiresAt = visitor.join_code_expires_at;
  if (!code || !expiresAt || expiresAt <= now.toISOString()) {
    await limit(ctx, `widget:continue:${visitor.id}`, { windowMs: 3_600_000, limit: 5 });
    expiresAt = new Date(now.getTime() + JOIN_CODE_HOURS * 3_600_000).toISOString();
    for (let attempt = 0; ; attempt++) {
      code = newCode();
      try {
        await ctx.db
          .updateTable('widget_visitors')
          .set({ join_code: code, join_code_expires_at: expiresAt })
          .where('id', '=', visitor.id)
          .execute();
        break;
      } catch (err) {
        // The unique index: another visitor of the workspace holds this code (1 in a billion).
        if (attempt >= 2) throw err;
      }
    }
  }
  const text = `Hello! My chat code is ${code}`;
  return {
    via: 'whatsapp' as const,
    url: `https://wa.me/${number.slice(1)}?text=${encodeURIComponent(text)}`,
    code,
    expires_at: expiresAt,
  };
}

/** Joins a visitor's contact into the WhatsApp contact that sent their code. */
export const joinJob = defineJob({
  name: 'widget.join',
  payload: z.object({
    workspaceId: z.string(),
    livemode: z.boolean(),
    visitorId: z.string(),
    contactId: z.string(),
  }),
  maxAttempts: 3,
  backoffMs: (attempt) => attempt * 2000,
  timeoutMs: 30_000,
  concurrency: 2,
});

/**
 * "Continue on WhatsApp": a customer's WhatsApp message carrying a visitor's join code uses the code
 * up and asks for the two contacts to be joined (a job: the merge moves every module's rows), in
 * the transaction that records the message (`message.received`, heard as a reaction).
 */
export function joinCodeReaction(ctx: AppContext): Reaction {
  return {
    name: 'widget.join_code',
    hears: ['message.received'],
    step: 'follow',
    async run(tx, events) {
      for (const event of events) {
        const message = event.data as { conversation_id?: string; direction?: string; text?: string | null };
        if (message.direction !== 'inbound' || !message.conversation_id) continue;
        const m = CODE_PATTERN.exec(message.text ?? '');
        if (!m) continue;
        const scope = { workspaceId: event.workspace_id, livemode: event.livemode };
        const conversation = await findConversationRow(tx.db, scope, message.conversation_id);
        if (conversation?.channel !== 'whatsapp' || !conversation.contact_id) continue;
        await useJoinCode(ctx, tx, scope, `WEB-${m[1]!.toUpperCase()}`, conversation.contact_id);
      }
    },
  };
}

async function useJoinCode(ctx: AppContext, tx: Tx, scope: Scope, code: string, contactId: string) {
  const visitor = await tx.db
    .selectFrom('widget_visitors')
    .select(['id', 'contact_id', 'join_code_expires_at'])
    .where(inScope(scope))
    .where('join_code', '=', code)
    .executeTakeFirst();
  if (!visitor || (visitor.join_code_expires_at ?? '') <= ctx.clock.now().toISOString()) return;
  await tx.db
    .updateTable('widget_visitors')
    .set({ join_code: null, join_code_expires_at: null })
    .where('id', '=', visitor.id)
    .execute();
  if (visitor.contact_id === contactId) return;
  await ctx.queue.enqueue(tx.db, joinJob, {
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
    visitorId: visitor.id,
    contactId,
  });
}

export async function joinContacts(ctx: AppContext, p: z.infer<typeof joinJob.payload>) {
  const visitor = await ctx.db
    .selectFrom('widget_visitors')
    .select(['id', 'contact_id'])
    .where('id', '=', p.visitorId)
    .executeTakeFirst();
  if (!visitor) return;
  if (visitor.contact_id !== p.contactId) {
    try {
      await mergeContacts(ctx, p, p.contactId, visitor.contact_id, systemActor);
    } catch (err) {
      // A contact erased or merged away meanwhile: nothing left to join.
      if (!(err instanceof ApiError)) throw err;
      ctx.logger.warn({ visitorId: p.visitorId, code: err.code }, 'widget join: contacts not joined');
      return;
    }
  }
  await appendEvent(ctx, ctx.db, visitor.id, 'continued', { via: 'whatsapp' });
}
