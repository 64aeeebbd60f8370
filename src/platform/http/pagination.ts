import { type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { invalidField } from '../errors.ts';
import { type Cursor, keysetPage } from './cursor.ts';

export interface PageRequest {
  page: number;
  perPage: number;
  /** The page after (`starting_after`) or before (`ending_before`) this item's id, in the list's order. */
  cursor?: Cursor;
}

/**
 * Reads `page`, `per_page` and its alias `limit`, `starting_after` and `ending_before` from a
 * parsed list query. A cursor with a page past the first, or both cursors, is refused.
 */
export function pageRequest(query: {
  page?: number;
  per_page?: number;
  limit?: number;
  starting_after?: string;
  ending_before?: string;
}): PageRequest {
  const page = query.page ?? 1;
  const perPage = query.per_page ?? query.limit ?? 20;
  if (query.starting_after && query.ending_before)
    throw invalidField('ending_before', 'give starting_after or ending_before, not both');
  const id = query.starting_after ?? query.ending_before;
  if (!id) return { page, perPage };
  if (page > 1)
    throw invalidField(
      query.starting_after ? 'starting_after' : 'ending_before',
      'give a cursor or a page past the first, not both',
    );
  return { page, perPage, cursor: { id, after: !!query.starting_after } };
}

/**
 * Adds `column = value` for each of `columns` whose filter is given (neither undefined nor
 * empty): a list's exact-match filters, each named as the column it matches.
 */
export function whereEquals<DB, TB extends keyof DB, O, F extends object>(
  query: SelectQueryBuilder<DB, TB, O>,
  filters: F,
  columns: readonly (keyof F & string)[],
): SelectQueryBuilder<DB, TB, O> {
  let q = query;
  for (const column of columns) {
    const value = filters[column];
    if (value) q = q.where(sql<SqlBool>`${sql.ref(column)} = ${value}`);
  }
  return q;
}

export interface Page<T> {
  data: T[];
  meta: { total: number; page: number; per_page: number; total_pages: number; has_more: boolean };
}

/**
 * Runs a filtered query as one page plus a count of all matches. `query` carries the filters
 * and the ordering; the count drops the ordering. A caller that keeps its own total (a counter
 * table) passes it as `knownTotal` and no count is run.
 */
export async function paginate<DB, TB extends keyof DB, O, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  map: (row: O) => T,
  knownTotal?: number,
): Promise<Page<T>> {
  const rowsQuery = page.cursor
    ? keysetPage(query, page.cursor, page.perPage)
    : query
        .limit(page.perPage)
        .offset((page.page - 1) * page.perPage)
        .execute()
        .then((rows) => ({ rows, more: null }));
  const countQuery =
    knownTotal === undefined
      ? query
          .clearSelect()
          .clearOrderBy()
          .select((eb) => eb.fn.countAll<number>().as('total'))
          .executeTakeFirst()
      : undefined;
  const [{ rows, more }, countRow] = await Promise.all([rowsQuery, countQuery]);
  const total = knownTotal ?? Number((countRow as { total?: number } | undefined)?.total ?? 0);
  return pageOf(rows.map(map), total, page, more);
}

/**
 * `paginate` for objects that need something more loaded for the page in one batch (counts,
 * stats): `load` gets the page's row ids and returns what each id gets; `present` joins the two.
 */
export async function paginateWithBatch<DB, TB extends keyof DB, O extends { id: string }, X, T>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: PageRequest,
  load: (ids: string[]) => Promise<Map<string, X>>,
  present: (row: O, extra: X) => T,
): Promise<Page<T>> {
  const rows = await paginate(query, page, (r) => r);
  const extras = await load(rows.data.map((r) => r.id));
  return { ...rows, data: rows.data.map((r) => present(r, extras.get(r.id)!)) };
}

/**
 * A page's response. `has_more`: with a cursor, whether more items follow in the direction read
 * (`more`, found by reading one item past the page); by page number, whether pages follow.
 */
export function pageOf<T>(data: T[], total: number, page: PageRequest, more: boolean | null = null): Page<T> {
  return {
    data,
    meta: {
      total,
      page: page.page,
      per_page: page.perPage,
      total_pages: Math.ceil(total / page.perPage),
      has_more: more ?? page.page * page.perPage < total,
    },
  };
}
