/**
 * Which conversations a person sees, when their role limits it (`visibility` `team` or
 * `assigned`, carried on the request's scope as `view`): the one rule, here. Lists, counts,
 * search and reads by id apply it in SQL (`limitToView`); every other answer that names a
 * conversation is checked against it at the HTTP layer (the `conversationsVisible` port, see
 * src/platform/http/visibility-guard.ts), and so is the event stream.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type ConversationView, inRowScope, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, notFound } from '../../platform/errors.ts';
import type { ConversationRow } from './conversations.tables.ts';

/** The view of a scope when it limits conversations (undefined: it sees them all). */
export function limitingView(scope: Scope): ConversationView | undefined {
  const view = scope.view;
  return view && view.visibility !== 'all' ? view : undefined;
}

/**
 * The condition "this person may see it" on the conversations table (or its alias `table`):
 * assigned to one of their teams, or to them or (visibility `team`) a teammate.
 */
export function visibleIn(view: ConversationView, table?: string) {
  const col = (c: string) => (table ? `${table}.${c}` : c);
  return (eb: ExpressionBuilder<any, any>): Expression<SqlBool> => {
    const either: Expression<SqlBool>[] = [];
    if (view.userIds.length)
      either.push(
        eb.and([eb(col('assignee_type'), '=', 'user'), eb(col('assignee_id'), 'in', view.userIds)]),
      );
    if (view.teamIds.length)
      either.push(
        eb.and([eb(col('assignee_type'), '=', 'team'), eb(col('assignee_id'), 'in', view.teamIds)]),
      );
    return either.length ? eb.or(either) : eb.lit(false);
  };
}

/** A query on conversations narrowed to what the scope's person sees (unchanged for everyone else). */
export function limitToView<Q extends { where(...args: any[]): any }>(q: Q, scope: Scope, table?: string): Q {
  const view = limitingView(scope);
  return view ? q.where(visibleIn(view, table)) : q;
}

/** In memory, for rows already read: may the scope's person see this conversation? */
export function seesConversation(scope: Scope, row: Pick<ConversationRow, 'assignee_type' | 'assignee_id'>) {
  const view = limitingView(scope);
  if (!view || row.assignee_id === null) return !view;
  return row.assignee_type === 'team'
    ? view.teamIds.includes(row.assignee_id)
    : view.userIds.includes(row.assignee_id);
}

/** Of `ids`, those the scope's person may see (all of this workspace's and mode's when nothing limits it). */
export async function visibleConversationIds(db: Db | Trx, scope: Scope, ids: readonly string[]) {
  if (!ids.length) return new Set<string>();
  const rows = await db
    .selectFrom('conversations')
    .select(['id', 'workspace_id', 'livemode', 'assignee_type', 'assignee_id'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Set(rows.filter((r) => inRowScope(scope)(r) && seesConversation(scope, r)).map((r) => r.id));
}

/** The ids of the conversations the scope's person sees, as a subquery (for tables that point at conversations). */
export function visibleConversationsQuery(db: Db | Trx, scope: Scope) {
  return limitToView(
    tenant(db, scope).selectFrom('conversations').select('conversations.id'),
    scope,
    'conversations',
  );
}

/** The conversation with this id in this scope; not found for another workspace's, mode's or (a limited role) team's. */
export async function getConversationRow(db: Db | Trx, scope: Scope, id: string): Promise<ConversationRow> {
  const row = await tenant(db, scope).getById('conversations', id, 'conversation');
  // One the person's role does not see is not found, as another workspace's is not.
  if (!seesConversation(scope, row)) throw notFound('conversation', id);
  return row;
}

/** The conversation with this id in this scope, or undefined (another workspace's or mode's is not found). */
export async function findConversationRow(
  db: Db | Trx,
  scope: Scope,
  id: string,
): Promise<ConversationRow | undefined> {
  const row = await tenant(db, scope).findById('conversations', id);
  return row && seesConversation(scope, row) ? row : undefined;
}

/** A write that would reach a conversation the person does not see (a send, a call to its customer). */
export const notYourConversation = () =>
  new ApiError(
    'forbidden',
    "This customer's conversation is not one your role sees (another team's): ask its team or an admin.",
  );
