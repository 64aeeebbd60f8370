/**
 * The tenant scope: every query on a workspace's tables filters by `workspace_id` and `livemode`,
 * and this file is the one place that writes that filter. An object of another workspace or
 * mode is simply not found.
 *
 *   const scoped = tenant(tx.db, scope);
 *   const row = await scoped.findById('channels', id);                  // or undefined
 *   await scoped.selectFrom('leads').selectAll().where('status', '=', 'open').execute();
 *   await scoped.updateTable('channels').set(patch).where('id', '=', id).execute();
 *   await scoped.updateById('calls', id, { analysis });            // the same, for one row by id
 *   await scoped.deleteFrom('api_keys').where('id', '=', id).execute();
 *   await db.insertInto('leads').values({ id, ...scopeColumns(scope), ... }).execute();
 *   db.selectFrom('conversations').innerJoin('contacts', ...).where(inScope(scope, 'contacts'))  // joins, aliases
 *   tenant(db, scopeOf(row)).selectFrom('contacts')...              // a row's own scope (jobs, drivers)
 *   tenant(db, { ...scope, livemode: false })                          // a literal mode (the sandbox)
 *   sql`SELECT ... FROM knowledge_chunks c WHERE ${scopeSql(scope, 'c')} AND ...`   // raw SQL
 *   const row = await scoped.getById('calls', id, 'call');           // or throws not_found
 *
 * test/app/tenant-scope-check.test.ts fails on a workspace or mode filter written anywhere else.
 */
import type {
  DeleteQueryBuilder,
  DeleteResult,
  Expression,
  ExpressionBuilder,
  Kysely,
  Selectable,
  SelectQueryBuilder,
  SqlBool,
  Updateable,
  UpdateQueryBuilder,
  UpdateResult,
} from 'kysely';
import { type RawBuilder, sql } from 'kysely';
import { notFound } from '../errors.ts';
import { type IdPrefix, newId } from '../ids.ts';
import type { Database } from './schema.ts';

/** The workspace and mode a request (its API key) or a job acting for one works in. */
export interface Scope {
  workspaceId: string;
  livemode: boolean;
  /**
   * Set for an inbox session whose role sees only some conversations or masked contact details
   * (absent: everything, as for API keys and jobs). The conversations module applies it
   * (`conversations.visibility.ts`), the HTTP layer masks (`contact-masking.ts`).
   */
  view?: ConversationView;
}

/** How far a person's role sees: its conversations and customers' contact details. */
export interface ConversationView {
  /** all | team (their teams' and teammates' conversations, and their own) | assigned (their own). */
  visibility: 'all' | 'team' | 'assigned';
  maskContactDetails: boolean;
  /** The person. */
  userId: string;
  /** The teams whose conversations it sees (`team`; empty for `assigned`). */
  teamIds: string[];
  /** The people whose assigned conversations it sees: the person, and with `team` their teammates. */
  userIds: string[];
}

/** The tables that belong to a workspace: those with `workspace_id` and `livemode` columns. */
export type TenantTable = {
  [T in keyof Database]: Database[T] extends { workspace_id: string; livemode: number } ? T : never;
}[keyof Database];

/** `livemode` as stored (integer 0/1). */
export function livemodeValue(scope: Pick<Scope, 'livemode'>): 0 | 1 {
  return scope.livemode ? 1 : 0;
}

/** The scope columns of a new row: `{workspace_id, livemode}`. */
export function scopeColumns(scope: Scope): { workspace_id: string; livemode: number } {
  return { workspace_id: scope.workspaceId, livemode: livemodeValue(scope) };
}

/** How a new row of a workspace's table starts: a fresh id (`prefix_…`) and the scope columns. */
export function newRow(
  prefix: IdPrefix,
  scope: Scope,
): { id: string; workspace_id: string; livemode: number } {
  return { id: newId(prefix), ...scopeColumns(scope) };
}

/** The scope a stored row belongs to: a job or driver acting on that row works in it. */
export function scopeOf(row: { workspace_id: string; livemode: number }): Scope {
  return { workspaceId: row.workspace_id, livemode: row.livemode === 1 };
}

/**
 * Whether a row read by its id belongs to `scope`: for a page's rows looked up by primary key
 * (`id IN (…)`, a few hundred ids at most) with the scope checked on the rows found rather than
 * in the WHERE. Beside `workspace_id = ?`, SQLite without ANALYZE statistics walks the
 * (workspace_id, …) index over every row of the workspace instead of the primary key (measured:
 * 45 ms for three messages among 60,000, growing with them). Keep only rows that pass:
 * `rows.filter(inRowScope(scope))`.
 */
export function inRowScope(scope: Scope) {
  const lm = livemodeValue(scope);
  return (row: { workspace_id: string; livemode: number | boolean }): boolean =>
    row.workspace_id === scope.workspaceId && Number(row.livemode) === lm;
}

/**
 * The scope filter on one table (or alias) of a query, for joins and subqueries:
 * `.where(inScope(scope, 'contacts'))`. Pass no table for a query on a single table.
 */
export function inScope(scope: Scope, table?: string) {
  const col = (c: string) => (table ? `${table}.${c}` : c);
  return (eb: ExpressionBuilder<any, any>): Expression<SqlBool> =>
    eb.and([eb(col('workspace_id'), '=', scope.workspaceId), eb(col('livemode'), '=', livemodeValue(scope))]);
}

/**
 * A filter on whichever parts of a scope are known, for the one query that looks across
 * workspaces (sign-in by email, where the person may name the workspace, the mode, both or neither).
 */
export function inPartialScope(scope: Partial<Scope>, table?: string) {
  const col = (c: string) => (table ? `${table}.${c}` : c);
  return (eb: ExpressionBuilder<any, any>): Expression<SqlBool> =>
    eb.and([
      ...(scope.workspaceId === undefined ? [] : [eb(col('workspace_id'), '=', scope.workspaceId)]),
      ...(scope.livemode === undefined ? [] : [eb(col('livemode'), '=', livemodeValue(scope as Scope))]),
    ]);
}

/** The scope filter as a raw SQL condition, for queries written in SQL: `WHERE ${scopeSql(scope, 'c')} AND ...`. */
export function scopeSql(scope: Scope, table?: string): RawBuilder<unknown> {
  const col = (c: string) => sql.ref(table ? `${table}.${c}` : c);
  return sql`${col('workspace_id')} = ${scope.workspaceId} AND ${col('livemode')} = ${livemodeValue(scope)}`;
}

/** Query builders on a workspace's tables, already filtered by its scope. */
export interface TenantDb {
  readonly scope: Scope;
  // biome-ignore lint/complexity/noBannedTypes: Kysely's own type for "no column selected yet".
  selectFrom<T extends TenantTable>(table: T): SelectQueryBuilder<Database, T, {}>;
  updateTable<T extends TenantTable>(table: T): UpdateQueryBuilder<Database, T, T, UpdateResult>;
  deleteFrom<T extends TenantTable>(table: T): DeleteQueryBuilder<Database, T, DeleteResult>;
  /** The row with this id in this scope, or undefined (another workspace's or mode's row is not found). */
  findById<T extends TenantTable>(table: T, id: string): Promise<Selectable<Database[T]> | undefined>;
  /** The row with this id in this scope; throws not_found ("No <what> with id <id>.") when there is none. */
  getById<T extends TenantTable>(table: T, id: string, what: string): Promise<Selectable<Database[T]>>;
  /** Sets columns of the row with this id in this scope (nothing happens when there is none). */
  updateById<T extends TenantTable>(table: T, id: string, patch: Updateable<Database[T]>): Promise<void>;
}

/** Scoped query builders over `db` (the app's database or a transaction's). */
export function tenant(db: Kysely<Database>, scope: Scope): TenantDb {
  // Kysely cannot check a column reference on a generic table; TenantTable guarantees both columns.
  const any = db as unknown as Kysely<any>;
  const lm = livemodeValue(scope);
  const scoped = <Q extends { where(...args: any[]): any }>(q: Q, table: string): Q =>
    q.where(`${table}.workspace_id`, '=', scope.workspaceId).where(`${table}.livemode`, '=', lm);
  const findById = (table: string, id: string) =>
    scoped(any.selectFrom(table), table)
      .selectAll()
      .where(`${table}.id` as string, '=', id)
      .executeTakeFirst() as Promise<any>;
  return {
    scope,
    selectFrom: (table) => scoped(any.selectFrom(table), table) as any,
    updateTable: (table) => scoped(any.updateTable(table), table) as any,
    deleteFrom: (table) => scoped(any.deleteFrom(table), table) as any,
    findById,
    getById: async (table, id, what) => {
      const row = await findById(table, id);
      if (!row) throw notFound(what, id);
      return row;
    },
    updateById: async (table: string, id: string, patch: object) => {
      await scoped(any.updateTable(table), table).where(`${table}.id`, '=', id).set(patch).execute();
    },
  };
}
