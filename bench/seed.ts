/**
 * Bulk loading for a benchmark's seed (the search and retention benchmarks write 1,000,000
 * messages before they measure anything).
 *
 * Written row by row (500 rows a statement, each statement its own transaction, the full-text
 * index kept up per row) a million messages took about 2.5 minutes on SQLite and 8 minutes or more
 * on PostgreSQL here. The seeder instead:
 * - buffers rows and writes them as multi-row INSERTs as wide as the driver takes (under 30,000
 *   parameters a statement), TRANSACTION_ROWS rows in one transaction;
 * - builds the full-text index once at the end instead of row by row: PostgreSQL's GIN index
 *   `messages_search` is dropped and created again from its own definition (pg_indexes) with a
 *   larger maintenance_work_mem; SQLite's `message_fts` is rebuilt from the messages;
 * - runs no trigger while it writes (the report facts' and counts' triggers, one UPDATE per
 *   message): PostgreSQL's session_replication_role = replica in each transaction (which needs a
 *   superuser, as the local test server's postgres is); SQLite's triggers on the seeded tables
 *   dropped and put back from their own text (sqlite_master) once the rows are in.
 * The indexes and triggers a measurement then meets are the ones the migrations define, over the
 * same rows (PostgreSQL's GIN packed as after a REINDEX). The seeded rows are not in reports'
 * facts and counts, which the search and retention benchmarks do not read.
 */
import { type Kysely, sql } from 'kysely';

/** Rows buffered before they are written, in one transaction. */
const TRANSACTION_ROWS = 20_000;
/** Bound parameters a statement (PostgreSQL allows 65,535; SQLite 32,766). */
const PARAMETERS = 30_000;

type Row = Record<string, unknown>;
/** A benchmark writes rows of any table. */
type AnyDb = Kysely<any>;

export class BulkSeeder {
  readonly #db: AnyDb;
  readonly #storage: 'sqlite' | 'postgres';
  /** Buffers by table, in the order tables were first written (a later table may refer to an earlier one). */
  readonly #buffers = new Map<string, Row[]>();
  #buffered = 0;
  #restore: (() => Promise<void>) | undefined;
  written = 0;

  constructor(db: unknown, storage: 'sqlite' | 'postgres') {
    this.#db = db as AnyDb;
    this.#storage = storage;
  }

  /**
   * Stops keeping the full-text index and the report triggers up row by row: the index is built
   * again by `finish`, the triggers put back as they were (what they would have counted is not
   * replayed: the seeded rows are not in reports' facts, which these benchmarks do not read).
   */
  async start(): Promise<void> {
    const db = this.#db;
    if (this.#storage === 'postgres') {
      // Triggers are off per transaction (session_replication_role, in flush); the GIN index goes.
      const def = await sql<{
        indexdef: string;
      }>`select indexdef from pg_indexes where indexname = 'messages_search' and schemaname = current_schema()`.execute(
        db,
      );
      const create = def.rows[0]?.indexdef;
      if (!create) return;
      await sql`drop index messages_search`.execute(db);
      this.#restore = async () => {
        await db.transaction().execute(async (trx) => {
          await sql`set local maintenance_work_mem = '512MB'`.execute(trx);
          await sql.raw(create).execute(trx);
        });
      };
    } else {
      const triggers = (
        await sql<{
          name: string;
          sql: string;
        }>`select name, sql from sqlite_master where type = 'trigger' and tbl_name in ('messages', 'conversations', 'message_attachments')`.execute(
          db,
        )
      ).rows;
      for (const t of triggers) await sql`drop trigger ${sql.id(t.name)}`.execute(db);
      // The index is contentless (it holds `parley_search_text(text)`, codes joined): the rows
      // seeded past the newest indexed one are added to it, as its insert trigger would have.
      const last = await sql<{ n: number | null }>`select max(rowid) as n from messages`.execute(db);
      const from = Number(last.rows[0]?.n ?? 0);
      this.#restore = async () => {
        await sql`insert into message_fts(rowid, text) select rowid, parley_search_text(text) from messages where rowid > ${from} and text is not null`.execute(
          db,
        );
        for (const t of triggers) await sql.raw(t.sql).execute(db);
      };
    }
  }

  /** Adds rows of `table`; they are written once enough are buffered. */
  async add(table: string, ...rows: Row[]): Promise<void> {
    const buffer = this.#buffers.get(table) ?? [];
    this.#buffers.set(table, buffer);
    buffer.push(...rows);
    this.#buffered += rows.length;
    if (this.#buffered >= TRANSACTION_ROWS) await this.flush();
  }

  /** Writes every buffered row, in one transaction. */
  async flush(): Promise<void> {
    if (this.#buffered === 0) return;
    const buffers = [...this.#buffers].filter(([, rows]) => rows.length > 0);
    await this.#db.transaction().execute(async (trx) => {
      if (this.#storage === 'postgres') await sql`set local session_replication_role = replica`.execute(trx);
      for (const [table, rows] of buffers) {
        const per = Math.max(1, Math.floor(PARAMETERS / Object.keys(rows[0]!).length));
        for (let i = 0; i < rows.length; i += per)
          await trx
            .insertInto(table)
            .values(rows.slice(i, i + per))
            .execute();
      }
    });
    for (const [, rows] of buffers) {
      this.written += rows.length;
      rows.length = 0;
    }
    this.#buffered = 0;
  }

  /** Writes what is left and builds the full-text index. */
  async finish(): Promise<void> {
    await this.flush();
    await this.#restore?.();
    this.#restore = undefined;
  }
}
