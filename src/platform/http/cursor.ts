/**
 * Cursor pagination (`starting_after` / `ending_before`, as Stripe's lists): a page is the items
 * after (or before) one item in the list's own order, found by comparing the order's keys with
 * that item's, so items created or deleted meanwhile never shift a page and no item is read twice.
 * The keys are read from the query's ORDER BY; the id is added as the last key when the order
 * does not end in it, so equal keys still have one order.
 */
import {
  type Expression,
  type OperationNode,
  type SelectQueryBuilder,
  type SelectQueryNode,
  type SqlBool,
  sql,
} from 'kysely';
import { invalidField } from '../errors.ts';

export interface Cursor {
  /** The id of the item the page starts after (`after`) or ends before. */
  id: string;
  after: boolean;
}

interface Key {
  expr: Expression<unknown>;
  desc: boolean;
}

const asExpression = (node: OperationNode): Expression<unknown> => ({
  get expressionType() {
    return undefined;
  },
  toOperationNode: () => node,
});

const isDesc = (direction: OperationNode | undefined) =>
  direction?.kind === 'RawNode' &&
  (direction as { sqlFragments?: readonly string[] }).sqlFragments?.[0] === 'desc';

/** A reference to a column named `id` (`id`, `t.id`). */
function isIdColumn(node: OperationNode): boolean {
  if (node.kind !== 'ReferenceNode') return false;
  const column = (node as { column?: { kind: string; column?: { name?: string } } }).column;
  return column?.kind === 'ColumnNode' && column.column?.name === 'id';
}

/** The order's keys, the id last; and the id's expression. */
function orderKeys(query: SelectQueryBuilder<any, any, any>): { keys: Key[]; id: Expression<unknown> } {
  const node = query.toOperationNode() as SelectQueryNode;
  const items = node.orderBy?.items ?? [];
  const keys: Key[] = items.map((item) => ({
    expr: asExpression(item.orderBy),
    desc: isDesc(item.direction),
  }));
  const idItem = items.find((item) => isIdColumn(item.orderBy));
  if (idItem) return { keys, id: asExpression(idItem.orderBy) };
  const id = sql.ref('id') as Expression<unknown>;
  keys.push({ expr: id, desc: keys.at(-1)?.desc ?? false });
  return { keys, id };
}

/**
 * The query of one cursor page: the list's filters and the items past the cursor's, in the
 * direction read (reversed for `ending_before`), one item more than the page to tell `has_more`.
 * `finish` turns its rows (in the list's order when `listOrder`, else as this query read them)
 * into the page's rows in the list's order. A cursor that is not an item of this list is a 400.
 */
export async function keysetQuery<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  cursor: Cursor,
  perPage: number,
): Promise<{
  query: SelectQueryBuilder<DB, TB, O>;
  finish: <R>(rows: R[], listOrder?: boolean) => { rows: R[]; more: boolean };
}> {
  const { keys, id } = orderKeys(query);
  const field = cursor.after ? 'starting_after' : 'ending_before';
  const at = (await query
    .clearSelect()
    .clearOrderBy()
    .select(keys.map((k, i) => sql`${k.expr}`.as(`k${i}`)) as never)
    .where(sql<SqlBool>`${id} = ${cursor.id}`)
    .limit(1)
    .executeTakeFirst()) as Record<string, unknown> | undefined;
  if (!at) throw invalidField(field, `${cursor.id} is not an item of this list (with these filters)`);
  // Items after the cursor in the direction read: (k0, k1, ...) past (v0, v1, ...), each key in
  // its own direction, written out as ORs so mixed directions work on both storages.
  const past = (k: Key, i: number) => {
    const forward = k.desc !== cursor.after;
    return forward ? sql<SqlBool>`${k.expr} > ${at[`k${i}`]}` : sql<SqlBool>`${k.expr} < ${at[`k${i}`]}`;
  };
  const branches = keys.map((k, i) =>
    sql.join([...keys.slice(0, i).map((e, j) => sql`${e.expr} = ${at[`k${j}`]}`), past(k, i)], sql` AND `),
  );
  let q = query.clearOrderBy().where(sql<SqlBool>`(${sql.join(branches, sql`) OR (`)})`);
  for (const k of keys) q = q.orderBy(k.expr as never, k.desc === cursor.after ? 'desc' : 'asc');
  return {
    query: q.limit(perPage + 1),
    finish: (rows, listOrder = false) => {
      const more = rows.length > perPage;
      if (listOrder) return { rows: cursor.after ? rows.slice(0, perPage) : rows.slice(-perPage), more };
      const page = rows.slice(0, perPage);
      return { rows: cursor.after ? page : page.reverse(), more };
    },
  };
}

/** One cursor page of a list query, in the list's order, and whether more items follow. */
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  cursor: Cursor,
  perPage: number,
): Promise<{ rows: O[]; more: boolean }> {
  const page = await keysetQuery(query, cursor, perPage);
  return page.finish(await page.query.execute());
}
