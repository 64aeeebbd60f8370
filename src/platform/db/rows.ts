import {
  type Insertable,
  type InsertQueryBuilder,
  type InsertResult,
  PostgresAdapter,
  type SelectQueryBuilder,
  sql,
} from 'kysely';
import type { Db, Trx } from './database.ts';
import type { Database } from './schema.ts';
import { type Scope, scopeSql, type TenantTable } from './scope.ts';

/** Whether this handle (a Kysely instance or a transaction of one) talks to PostgreSQL. */
export const onPostgres = (db: Db | Trx): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

/**
 * A multi-row insert of the batch paths (the send writer's contacts, conversations and
 * messages; the events), to which the caller adds `onConflict`/`returning` as to any insert.
 *
 * On PostgreSQL the rows travel as one JSON parameter that the table's own row type reads
 * (`insert into t (cols) select cols from json_populate_recordset(null::t, $1)`), so a batch of
 * 1 row and one of 500 are the same statement: parsed and planned once per connection (a named
 * prepared statement, see prepareRepeatedStatements) instead of a VALUES list of rows × columns
 * parameters that PostgreSQL parsed, analysed and planned anew for every batch (a third of the
 * server time of the request writer's inserts at volume). Each value is converted by the
 * column's type as a parameter is, and a key missing from a row would be NULL rather than the
 * column's default, so every row must carry the same keys (else the plain VALUES form is used).
 * SQLite (statements parsed in microseconds and cached by text) gets the VALUES form.
 */
export function insertRows<T extends keyof Database & string>(
  db: Db | Trx,
  table: T,
  rows: ReadonlyArray<Insertable<Database[T]>>,
): InsertQueryBuilder<Database, T, InsertResult> {
  const builder = db.insertInto(table);
  if (!onPostgres(db) || rows.length === 0 || !uniform(rows)) return builder.values(rows as any);
  const columns = Object.keys(rows[0]!);
  const list = sql.join(columns.map((c) => sql.ref(c)));
  return builder
    .columns(columns as any)
    .expression(
      sql`select ${list} from json_populate_recordset(null::${sql.table(table)}, ${JSON.stringify(rows)}::json)`,
    );
}

/**
 * Every row has the keys of the first and only plain values (string, finite number, boolean,
 * null): what JSON carries as a parameter would (a Date, Buffer, array or object would not).
 */
function uniform(rows: ReadonlyArray<object>): boolean {
  const first = rows[0]!;
  const n = Object.keys(first).length;
  for (const row of rows) {
    let keys = 0;
    // for-in, not Object.entries: no pair array per column of every row written.
    for (const key in row) {
      if (!Object.hasOwn(row, key)) continue;
      keys++;
      if (!(key in first)) return false;
      const value = (row as Record<string, unknown>)[key];
      const type = typeof value;
      if (
        value !== null &&
        type !== 'string' &&
        type !== 'boolean' &&
        !(type === 'number' && Number.isFinite(value))
      )
        return false;
    }
    if (keys !== n) return false;
  }
  return true;
}

/**
 * One keyset page by id: the rows of `sel` after `afterId` (from the first when null), in id order,
 * at most `limit` of them. The range re-analyses and the report exports walk tables this way.
 */
export function afterIdPage<Q extends SelectQueryBuilder<any, any, any>>(
  sel: Q,
  afterId: string | null,
  limit: number,
): Q {
  const from = afterId ? sel.where('id', '>', afterId) : sel;
  return from.orderBy('id', 'asc').limit(limit) as Q;
}

/**
 * A contact merge in the table's owner: moves this workspace's and mode's rows of `table` from
 * contact `from` to contact `into`. With `unique`, a row whose `unique` column already has a row of
 * `into` (one conversation per channel, one recipient per campaign) stays with `from`, as history.
 * Returns how many rows moved.
 */
export async function moveContactRows<T extends TenantTable>(
  db: Db | Trx,
  table: T,
  scope: Scope,
  from: string,
  into: string,
  unique?: string,
): Promise<number> {
  const t = sql.table(table);
  const clash = unique
    ? sql`and not exists (select 1 from ${t} as kept where kept.contact_id = ${into} and kept.${sql.ref(unique)} = ${t}.${sql.ref(unique)})`
    : sql``;
  const result = await sql`update ${t} set contact_id = ${into}
    where ${scopeSql(scope)} and contact_id = ${from} ${clash}`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
