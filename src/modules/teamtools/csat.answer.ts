import type { AppContext } from '../../platform/context.ts';
import { type Scope, scopeOf, tenant } from '../../platform/db/scope.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import type { Reaction } from '../../platform/reactions.ts';
import { findContactRow } from '../contacts/index.ts';
import { recordCsatInTx } from '../conversations/index.ts';
import { customerMessageOf, type InboundAnswerEvent } from '../messaging/index.ts';
import type { CsatRequestsTable } from './teamtools.tables.ts';

/** A question is answered within 7 days; later messages are ordinary messages. */
const ANSWER_WITHIN_MS = 7 * 86_400_000;

/**
 * The score in a reply: a lone digit 1-5, maybe followed by words ("5", "4 - quick, thanks"),
 * which become the comment. Anything else ("7", "10", "great!!") is not an answer.
 */
export function parseCsatAnswer(text: string): { score: number; comment: string | null } | null {
  const m = /^\s*([1-5])(?![0-9])\s*[-–.:,!)/]*\s*([\s\S]*)$/.exec(text);
  if (!m) return null;
  const comment = m[2]!.trim();
  return { score: Number(m[1]), comment: comment ? comment.slice(0, 1000) : null };
}

async function answer(
  tx: Tx,
  request: CsatRequestsTable,
  parsed: { score: number; comment: string | null },
  contact: { id: string; phone: string | null; name: string | null; email: string | null },
  at: string,
  actor: Actor,
) {
  const scope: Scope = scopeOf(request);
  const r = await tx.db
    .updateTable('csat_requests')
    .set({
      status: 'answered',
      score: parsed.score,
      comment: parsed.comment,
      answered_at: at,
      updated_at: at,
    })
    .where('id', '=', request.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) return false;
  await recordCsatInTx(tx, scope, request.conversation_id, { ...parsed, at }, contact, actor);
  return true;
}

async function pendingRequest(ctx: AppContext, tx: Tx, scope: Scope, conversationId: string) {
  const now = ctx.clock.now();
  return tenant(tx.db, scope)
    .selectFrom('csat_requests')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('status', '=', 'pending')
    .where('created_at', '>=', new Date(now.getTime() - ANSWER_WITHIN_MS).toISOString())
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

/** Inside the inbound message's transaction: a reply to a pending question records the score. */
/**
 * Hears each customer message as it is stored (`message.received`): a score to the
 * conversation's pending CSAT question, written while the conversation is still active, is the
 * answer (a closed one's answer is claimed before it would reopen it: `claimCsatAnswer`).
 */
export function csatAnswerSink(ctx: AppContext): Reaction['run'] {
  return async (tx, events) => {
    for (const e of events) {
      const m = customerMessageOf(e);
      const parsed = m?.text ? parseCsatAnswer(m.text) : null;
      if (!m || !parsed) continue;
      const scope = { workspaceId: m.workspaceId, livemode: m.livemode };
      const pending = await pendingRequest(ctx, tx, scope, m.conversationId);
      const contact = pending && (await findContactRow(tx.db, scope, m.contactId));
      if (!pending || !contact) continue;
      await answer(tx, pending, parsed, contact, ctx.clock.now().toISOString(), {
        type: 'customer',
        id: contact.id,
      });
    }
  };
}

/**
 * Before a reply reopens the resolved conversation: a score to its pending question is the answer,
 * recorded here and claimed, so the conversation stays resolved and the AI does not answer it.
 */
export async function claimCsatAnswer(ctx: AppContext, tx: Tx, e: InboundAnswerEvent): Promise<boolean> {
  const parsed = parseCsatAnswer(e.text);
  if (!parsed) return false;
  const scope = { workspaceId: e.workspaceId, livemode: e.livemode };
  const pending = await pendingRequest(ctx, tx, scope, e.conversation.id);
  if (!pending) return false;
  const at = ctx.clock.now().toISOString();
  return answer(tx, pending, parsed, e.contact, at, { type: 'customer', id: e.contact.id });
}

/** What became of a click on an emailed link. */
export type LinkOutcome =
  | { state: 'recorded'; score: number }
  /** The question was answered before (by this link or a reply): `score` is the one kept. */
  | { state: 'already_answered'; score: number | null }
  /** No open or answered question has this token (mistyped, not an emailed question, or its contact deleted). */
  | { state: 'unknown' }
  /** Asked more than 7 days ago: answers are no longer taken, as for replies. */
  | { state: 'expired' };

/**
 * The emailed link: records the clicked score once (a second click changes nothing). The question
 * is open for 7 days, as it is to a reply.
 */
export async function answerByLink(ctx: AppContext, token: string, score: number): Promise<LinkOutcome> {
  const request = await ctx.db
    .selectFrom('csat_requests')
    .selectAll()
    .where('token', '=', token)
    .executeTakeFirst();
  if (!request || (request.status !== 'pending' && request.status !== 'answered'))
    return { state: 'unknown' };
  if (request.status === 'answered') return { state: 'already_answered', score: request.score };
  if (Date.parse(request.created_at) < ctx.clock.now().getTime() - ANSWER_WITHIN_MS)
    return { state: 'expired' };
  // A contact deleted meanwhile: the link is simply unknown (an anonymous caller learns no id).
  const contact = await findContactRow(ctx.db, scopeOf(request), request.contact_id);
  if (!contact) return { state: 'unknown' };
  const recorded = await ctx.transaction((tx) =>
    answer(tx, request, { score, comment: null }, contact, ctx.clock.now().toISOString(), {
      type: 'customer',
      id: contact.id,
    }),
  );
  if (recorded) return { state: 'recorded', score };
  // Answered meanwhile (a reply, or another click, committed first).
  const now = await ctx.db
    .selectFrom('csat_requests')
    .select('score')
    .where('id', '=', request.id)
    .executeTakeFirst();
  return { state: 'already_answered', score: now?.score ?? null };
}
