import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { lookupIn, renderPlaceholders } from '../../platform/placeholders.ts';
import { localText } from '../conversations/index.ts';
import { isHindi, type LocaleCode, say } from './locale.ts';
import './ai.tables.ts';

export interface ClosedNotice {
  nextOpening: string | null;
  timezone: string;
  /** The policy's own `out_of_hours.message` (`{{next_opening}}` filled in), else null. */
  text: string | null;
}

/**
 * What the customer is told of an out-of-hours handoff, in their language (`locale`): the policy's
 * message (its `{{next_opening}}` and the contact's fields filled, as every placeholder is), else
 * when a person will answer (the next opening, in the business's zone). `inReply`: the words the
 * AI's own handoff reply uses.
 */
export function closedNoticeText(
  notice: ClosedNotice,
  locale: LocaleCode,
  inReply = false,
  contact: { name: string | null; phone: string | null } | null = null,
): string {
  const when = notice.nextOpening
    ? localText(
        { timezone: notice.timezone, hours: {}, holidays: [] },
        new Date(notice.nextOpening),
        isHindi(locale) ? 'en-IN' : 'en',
      )
    : null;
  if (notice.text)
    return renderPlaceholders(
      notice.text,
      lookupIn({ next_opening: when, name: contact?.name, phone: contact?.phone }),
    );
  const key = inReply ? 'out_of_hours_in_reply' : 'out_of_hours';
  return when ? say(locale, key, { when }) : say(locale, `${key}_no_opening`);
}

/**
 * The ids of a conversation's notices and holding messages (`ai_replies` of engine `notice` or
 * `holding`): outbound, but no answer to what the customer asked (the AI still answers it).
 */
export function noticeIds(db: Db | Trx, scope: Scope, conversationId: string) {
  return tenant(db, scope)
    .selectFrom('ai_replies')
    .select('message_id')
    .where('conversation_id', '=', conversationId)
    .where('engine', 'in', ['notice', 'holding']);
}
