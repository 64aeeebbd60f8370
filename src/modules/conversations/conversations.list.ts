/** Listing conversations: the filters of GET /v1/conversations, a page with each row's contact, and the total. */
import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { likeContains } from '../../platform/db/like.ts';
import type { Database } from '../../platform/db/schema.ts';
import { inRowScope, type Scope, tenant } from '../../platform/db/scope.ts';
import { keysetQuery } from '../../platform/http/cursor.ts';
import { type Page, type PageRequest, pageOf, whereEquals } from '../../platform/http/pagination.ts';
import { contactCards, contactIdsNamed } from '../contacts/index.ts';
import { type ConversationObject, presentConversation } from './conversations.present.ts';
import type { ConversationPriority, ConversationRow, ConversationStatus } from './conversations.tables.ts';
import { limitingView, limitToView, seesConversation } from './conversations.visibility.ts';

export interface ConversationFilters {
  status?: ConversationStatus;
  channel?: string;
  assignee?: string;
  tag?: string;
  contact_id?: string;
  agent_id?: string;
  ai_paused?: boolean;
  priority?: ConversationPriority;
  q?: string;
  /** ISO date-times: only conversations whose last message was written at or after `from`, before `to`. */
  from?: string;
  to?: string;
}

/**
 * Newest activity first. The filters and the count touch only `conversations` (its indexes
 * serve them); the page's contacts are read in one query after.
 */
export async function listConversations(
  ctx: AppContext,
  scope: Scope,
  f: ConversationFilters,
  page: PageRequest,
): Promise<Page<ConversationObject>> {
  let q = whereEquals(limitToView(tenant(ctx.db, scope).selectFrom('conversations').selectAll(), scope), f, [
    'status',
    'channel',
    'contact_id',
    'agent_id',
    'priority',
  ]);
  if (f.ai_paused !== undefined) q = q.where('ai_paused', '=', f.ai_paused ? 1 : 0);
  if (f.assignee === 'none') q = q.where('assignee_id', 'is', null);
  else if (f.assignee) q = q.where('assignee_id', '=', f.assignee);
  // Tags are a JSON array of strings: match the quoted element.
  if (f.tag) q = q.where(likeContains('tags', JSON.stringify(f.tag.toLowerCase())));
  if (f.from) q = q.where('last_message_at', '>=', f.from);
  if (f.to) q = q.where('last_message_at', '<', f.to);
  if (f.q) {
    const text = f.q;
    q = q.where((eb) =>
      eb.or([
        likeContains('last_message', text, { lower: true }),
        likeContains('contact_address', text, { lower: true }),
        eb('contact_id', 'in', contactIdsNamed(ctx.db, scope, text)),
      ]),
    );
  }
  const onlyStatus =
    !f.channel &&
    !f.contact_id &&
    !f.agent_id &&
    f.ai_paused === undefined &&
    !f.assignee &&
    !f.tag &&
    !f.priority &&
    !f.from &&
    !f.to &&
    !f.q &&
    // The kept totals count every conversation; a person who sees some counts theirs.
    !limitingView(scope);
  // The total the triggers keep (no filter but status), or a count of the matches.
  const total = onlyStatus ? countByStatus(ctx, scope, f.status) : q.clearSelect().select(countAll);
  // One statement: the page, each row's contact and the total (a round trip costs more than
  // the rows on PostgreSQL). The contacts are joined after the page is cut, not for skipped rows.
  // By page number, or (a cursor) the items past the cursor's keys, one more to tell has_more.
  const ordered = q.orderBy('last_message_at', 'desc').orderBy('id', 'desc');
  const keyset = page.cursor ? await keysetQuery(ordered, page.cursor, page.perPage) : null;
  const pageRows = keyset ? keyset.query : ordered.limit(page.perPage).offset((page.page - 1) * page.perPage);
  const read = await ctx.db
    .selectFrom(pageRows.as('c'))
    .leftJoin(contactCards(ctx.db).as('ct'), 'ct.id', 'c.contact_id')
    .selectAll('c')
    .select(['ct.phone as contact_phone', 'ct.name as contact_name', 'ct.email as contact_email'])
    .select(total.as('total'))
    .orderBy('c.last_message_at', 'desc')
    .orderBy('c.id', 'desc')
    .execute();
  const { rows, more } = keyset ? keyset.finish(read, true) : { rows: read, more: null };
  // A page past the end has no row to carry the total.
  const count = read[0]?.total ?? (await total.executeTakeFirst())?.total ?? 0;
  return pageOf(
    // The row is presented as read (its extra columns are not copied out first: the presenter
    // names every field it answers).
    rows.map((row) =>
      presentConversation(row, {
        id: row.contact_id,
        phone: row.contact_phone,
        name: row.contact_name,
        email: row.contact_email,
      }),
    ),
    Number(count),
    page,
    more,
  );
}

/** The filters of a search over conversations (GET /v1/search), matched on the conversations table. */
export interface ConversationSearchFilters {
  status?: ConversationStatus;
  channel?: string;
  assignee?: string;
  agent_id?: string;
  tag?: string;
  ai_paused?: boolean;
  priority?: ConversationPriority;
}

/**
 * The ids of this workspace's and mode's conversations that pass `f`, as a subquery to embed in
 * the caller's statement (the search joins its message matches to it); undefined when `f` filters
 * nothing, so the caller adds no join at all.
 */
export function conversationIdsFiltered(ctx: AppContext, scope: Scope, f: ConversationSearchFilters) {
  if (
    !f.status &&
    !f.channel &&
    !f.assignee &&
    !f.agent_id &&
    !f.tag &&
    !f.priority &&
    f.ai_paused === undefined &&
    !limitingView(scope)
  )
    return undefined;
  let q = whereEquals(limitToView(tenant(ctx.db, scope).selectFrom('conversations').select('id'), scope), f, [
    'status',
    'channel',
    'agent_id',
    'priority',
  ]);
  if (f.assignee === 'none') q = q.where('assignee_id', 'is', null);
  else if (f.assignee) q = q.where('assignee_id', '=', f.assignee);
  if (f.ai_paused !== undefined) q = q.where('ai_paused', '=', f.ai_paused ? 1 : 0);
  if (f.tag) q = q.where(likeContains('tags', JSON.stringify(f.tag.toLowerCase())));
  return q;
}

/** The ids of the conversations of the contacts `contactIds` (a subquery) that pass `f`, newest first, at most `limit`. */
export async function conversationIdsOfContacts(
  ctx: AppContext,
  scope: Scope,
  contactIds: SelectQueryBuilder<Database, 'contacts', { id: string }>,
  f: ConversationSearchFilters,
  limit: number,
): Promise<string[]> {
  const filtered = conversationIdsFiltered(ctx, scope, f);
  let q = limitToView(tenant(ctx.db, scope).selectFrom('conversations').select('id'), scope).where(
    'contact_id',
    'in',
    contactIds,
  );
  if (filtered) q = q.where('id', 'in', filtered);
  const rows = await q.orderBy('id', 'desc').limit(limit).execute();
  return rows.map((r) => r.id);
}

/**
 * This workspace's and mode's conversations among `ids`, presented with their contacts, in the
 * order of `ids` (ids of no conversation are left out).
 */
export async function presentedConversationsByIds(
  ctx: AppContext,
  scope: Scope,
  ids: readonly string[],
): Promise<ConversationObject[]> {
  if (ids.length === 0) return [];
  // By primary key, the scope checked on the rows (inRowScope says why).
  const rows = await ctx.db
    .selectFrom('conversations as c')
    .leftJoin(contactCards(ctx.db).as('ct'), 'ct.id', 'c.contact_id')
    .selectAll('c')
    .select(['ct.phone as contact_phone', 'ct.name as contact_name', 'ct.email as contact_email'])
    .where('c.id', 'in', [...ids])
    .execute();
  const byId = new Map(
    rows
      .filter((row) => inRowScope(scope)(row) && seesConversation(scope, row))
      .map((row) => [
        row.id,
        presentConversation(row, {
          id: row.contact_id,
          phone: row.contact_phone,
          name: row.contact_name,
          email: row.contact_email,
        }),
      ]),
  );
  return ids.flatMap((id) => byId.get(id) ?? []);
}

const countAll = (eb: ExpressionBuilder<Database, 'conversations'>) => eb.fn.countAll<number>().as('total');

/** The total the triggers keep, for the unfiltered list or one status (a query, to embed). */
function countByStatus(ctx: AppContext, scope: Scope, status: string | undefined) {
  let q = tenant(ctx.db, scope)
    .selectFrom('conversation_counts')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n'), eb.lit(0)).as('total'));
  if (status) q = q.where('status', '=', status as ConversationRow['status']);
  return q;
}
