import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { localText } from '../conversations/index.ts';
import './ai.tables.ts';

/** What a customer is told when their conversation goes to a person. */
export const HANDOFF_EN = "I'm connecting you with a member of our team; they will reply here shortly.";
export const HANDOFF_HI =
  'Main aapko hamari team ke ek member se connect kar raha hoon; woh yahin jaldi reply karenge.';

const OUT_OF_HOURS_EN = (when: string) =>
  `Thanks for your message. We are closed right now; a person will answer from ${when}.`;
const OUT_OF_HOURS_HI = (when: string) =>
  `Aapka message mil gaya. Abhi hum band hain; ${when} se koi aapko jawab dega.`;
const NO_OPENING_EN =
  'Thanks for your message. We are closed right now; a person will answer as soon as we open.';
/** Said by the AI in its own reply when it hands off out of hours (in place of "shortly"). */
const AI_OUT_OF_HOURS_EN = (when: string) =>
  `We are closed right now; a member of our team will answer here from ${when}.`;
const AI_OUT_OF_HOURS_HI = (when: string) =>
  `Abhi hum band hain; ${when} se hamari team ka koi yahin jawab dega.`;
const AI_NO_OPENING_EN = 'We are closed right now; a member of our team will answer here as soon as we open.';

export interface ClosedNotice {
  nextOpening: string | null;
  timezone: string;
  /** The policy's own `out_of_hours.message` (`{{next_opening}}` filled in), else null. */
  text: string | null;
}

/**
 * What the customer is told of an out-of-hours handoff, in their language (`hi`): the policy's
 * message, else when a person will answer (the next opening, in the business's zone). `inReply`:
 * the words the AI's own handoff reply uses.
 */
export function closedNoticeText(notice: ClosedNotice, hi: boolean, inReply = false): string {
  const when = notice.nextOpening
    ? localText(
        { timezone: notice.timezone, hours: {}, holidays: [] },
        new Date(notice.nextOpening),
        hi ? 'en-IN' : 'en',
      )
    : null;
  if (notice.text) return notice.text.replaceAll('{{next_opening}}', when ?? '');
  if (inReply) return when ? (hi ? AI_OUT_OF_HOURS_HI : AI_OUT_OF_HOURS_EN)(when) : AI_NO_OPENING_EN;
  return when ? (hi ? OUT_OF_HOURS_HI : OUT_OF_HOURS_EN)(when) : NO_OPENING_EN;
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
