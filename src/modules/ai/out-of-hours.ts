import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { lookupIn, renderPlaceholders } from '../../platform/placeholders.ts';
import { findContactRow } from '../contacts/index.ts';
import { type ConversationJob, getConversationRow, localText } from '../conversations/index.ts';
import { replyToConversation } from '../messaging/index.ts';
import { workspaceSender } from './ai.service.ts';
import { detectLocale, isHindi, say } from './locale.ts';

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
 * The out-of-hours notice of a handoff (`conversations.out_of_hours`): tells the customer, in
 * their language (the language of their latest message), when a person will answer: the next
 * opening, in the business's zone. Not sent once a person has answered or the handoff ended.
 */
export async function sendOutOfHoursNotice(
  ctx: AppContext,
  p: ConversationJob & {
    handoffAt: string;
    nextOpening: string | null;
    timezone: string;
    text: string | null;
  },
) {
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  const row = await getConversationRow(ctx.db, scope, p.conversationId).catch(() => undefined);
  if (!row || row.handoff_at !== p.handoffAt || row.waiting_since === null || !row.agent_id) return;
  const locale = detectLocale(row.last_message ?? '');
  const hi = isHindi(locale);
  const when = p.nextOpening
    ? localText(
        { timezone: p.timezone, hours: {}, holidays: [] },
        new Date(p.nextOpening),
        hi ? 'en-IN' : 'en',
      )
    : null;
  const contact = p.text ? await findContactRow(ctx.db, scope, row.contact_id) : undefined;
  const text = p.text
    ? outOfHoursText(p.text, when, contact ?? null)
    : when
      ? say(locale, 'out_of_hours', { when })
      : say(locale, 'out_of_hours_no_opening');
  try {
    await replyToConversation(ctx, await workspaceSender(ctx, scope, row.agent_id), row.id, {
      type: 'text',
      text,
    });
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) {
      ctx.logger.warn({ conversationId: row.id, code: err.code }, 'out-of-hours notice not sent');
      return;
    }
    throw err;
  }
}
