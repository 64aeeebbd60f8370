import type { AppContext } from '../../platform/context.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { lookupIn, renderPlaceholders } from '../../platform/placeholders.ts';
import { agentConfig } from '../agents/index.ts';
import { findContactRow } from '../contacts/index.ts';
import { type ConversationJob, getConversationRow } from '../conversations/index.ts';
import { recentMessages, replyToConversation } from '../messaging/index.ts';
import { agentFor, recordReply, workspaceSender } from './ai.service.ts';
import { type ClosedNotice, closedNoticeText } from './handoff-words.ts';
import { detectLocale, replyLocale, say } from './locale.ts';

/** The business's own out-of-hours text, its `{{next_opening}}` and the contact's fields filled. */
export const outOfHoursText = (
  text: string,
  nextOpening: string | null,
  contact: { name: string | null; phone: string | null } | null,
) =>
  renderPlaceholders(
    text,
    lookupIn({ next_opening: nextOpening, name: contact?.name, phone: contact?.phone }),
  );

/**
 * The notice of a handoff not made by the AI (`conversations.handoff_notice`): tells the customer
 * at once, in their language (of their latest message), what happens next: a member of the team
 * will reply here shortly, or out of hours when a person will answer. Not sent once the handoff
 * ended, a person answered, or (in hours) anyone wrote to the customer since the handoff.
 */
export async function sendHandoffNotice(
  ctx: AppContext,
  p: ConversationJob & { handoffAt: string; outOfHours: ClosedNotice | null },
) {
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  const row = await getConversationRow(ctx.db, scope, p.conversationId).catch(() => undefined);
  if (!row || row.handoff_at !== p.handoffAt || row.waiting_since === null || row.status === 'closed') return;
  // On a call the handoff is a transfer: nobody "replies here".
  if (row.channel === 'voice') return;
  const agent = await agentFor(ctx.db, scope, row);
  if (!agent) return;
  // Newest first: the customer's latest words say their language.
  const recent = await recentMessages(ctx.db, scope, row.id, 20);
  const since = recent.filter((m) => m.direction === 'outbound' && m.created_at >= p.handoffAt);
  if (
    !p.outOfHours &&
    (await toldSince(
      ctx,
      scope,
      since.map((m) => m.id),
    ))
  )
    return;
  const said = recent.find((m) => m.direction === 'inbound' && m.text)?.text ?? row.last_message ?? '';
  const locale = replyLocale(detectLocale(said), agentConfig(ctx, agent).languages);
  const contact = p.outOfHours?.text ? await findContactRow(ctx.db, scope, row.contact_id) : undefined;
  const text = p.outOfHours
    ? closedNoticeText(p.outOfHours, locale, false, contact ?? null)
    : say(locale, 'handoff');
  const at = ctx.clock.now().toISOString();
  try {
    await replyToConversation(ctx, await workspaceSender(ctx, scope, agent.id), row.id, {
      type: 'text',
      text,
      // Recorded with the message: the AI, answering the customer meanwhile, knows it is no answer.
      written: (db, messageId) =>
        recordReply(db, scope, messageId, row, agent.id, {
          engine: 'notice',
          sources: toJson([]),
          actions: toJson([]),
          answered: 1,
          created_at: at,
        }),
    });
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) {
      ctx.logger.warn({ conversationId: row.id, code: err.code }, 'handoff notice not sent');
      return;
    }
    throw err;
  }
}

/**
 * Whether what was sent since the handoff told the customer a person is coming or is one: a
 * person's or an automation's message, a notice or holding message, an AI reply that handed off.
 * The AI's plain answer does not: marked urgent while the AI wrote it, the notice still follows.
 */
async function toldSince(ctx: AppContext, scope: Scope, messageIds: string[]): Promise<boolean> {
  if (messageIds.length === 0) return false;
  const replies = await tenant(ctx.db, scope)
    .selectFrom('ai_replies')
    .select(['message_id', 'engine', 'actions'])
    .where('message_id', 'in', messageIds)
    .execute();
  const aiAnswers = replies.filter(
    (r) =>
      r.engine !== 'notice' &&
      r.engine !== 'holding' &&
      !fromJson<Array<{ type: string }>>(r.actions, []).some((a) => a.type === 'handoff'),
  );
  return aiAnswers.length < messageIds.length;
}

/** A job of the old `conversations.out_of_hours` kind, still queued: the same notice. */
export function sendOutOfHoursNotice(
  ctx: AppContext,
  p: ConversationJob & {
    handoffAt: string;
    nextOpening: string | null;
    timezone: string;
    text: string | null;
  },
) {
  const { nextOpening, timezone, text, ...rest } = p;
  return sendHandoffNotice(ctx, { ...rest, outOfHours: { nextOpening, timezone, text } });
}
