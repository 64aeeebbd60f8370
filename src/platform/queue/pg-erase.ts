import { sql } from 'kysely';
import { chunked } from '../chunked.ts';
import type { Db } from '../db/database.ts';
import { type ErasedJobs, type JobErasure, judgeJob, namer } from './erase.ts';
import { bookkeepingSchema } from './pg-bookkeeping.ts';

interface Candidate {
  id: string;
  name: string;
  state: string;
  data: unknown;
  output: unknown;
  singleton_key: string | null;
}

/**
 * pg-boss's part of an erasure (erase.ts). THE SECOND EXCEPTION to "pg-boss's public API only"
 * (pgboss-queue.ts): pg-boss has no way to search payloads (`findJobs` matches a whole object by
 * containment, not a value anywhere in it, nor text) nor to change a queued job's data, so this
 * reads and writes its `job` table (the parent of every queue's partition; pg-boss 12 keeps no
 * archive table) by its columns `id, name, state, data, output, singleton_key`, stable since
 * pg-boss 10. Jobs running now (`active`) are left alone.
 */
export async function erasePgBossJobs(db: Db, schema: string, match: JobErasure): Promise<ErasedJobs> {
  const job = sql.raw(`${schema}.job`);
  const cols = sql`id::text as id, name, state::text as state, data, output, singleton_key`;
  const found = new Map<string, Candidate>();
  for (const part of chunked(match.ids, 5000)) {
    const { rows } = await sql<Candidate>`select ${cols} from ${job} j where state <> 'active'
      and exists (select 1 from jsonb_path_query(j.data, 'strict $.**') v
        where jsonb_typeof(v) = 'string' and v #>> '{}' = any(${part}::text[]))`.execute(db);
    for (const r of rows) found.set(r.id, r);
  }
  for (const part of chunked(match.texts.filter(Boolean), 50)) {
    const hits = part.map(
      (t) =>
        sql`strpos(lower(coalesce(j.data::text, '') || ' ' || coalesce(j.output::text, '') || ' ' || coalesce(j.singleton_key, '')), ${t.toLowerCase()}) > 0`,
    );
    const { rows } = await sql<Candidate>`select ${cols} from ${job} j where state <> 'active'
      and (${sql.join(hits, sql` or `)})`.execute(db);
    for (const r of rows) found.set(r.id, r);
  }
  const names = namer(match);
  const gone = new Map<string, string[]>();
  let changed = 0;
  for (const c of found.values()) {
    const verdict = judgeJob(
      {
        payload: c.data,
        key: c.singleton_key,
        error: c.output === null || c.output === undefined ? null : JSON.stringify(c.output),
        finished: !['created', 'retry'].includes(c.state),
      },
      names,
    );
    if (verdict.action === 'delete') gone.set(c.name, [...(gone.get(c.name) ?? []), c.id]);
    else if (verdict.action === 'update') {
      const r = await sql`update ${job} set data = ${JSON.stringify(verdict.payload)}::jsonb
        where name = ${c.name} and id = ${c.id}::uuid and state in ('created', 'retry')`.execute(db);
      changed += Number(r.numAffectedRows ?? 0);
    }
  }
  let deleted = 0;
  const keys = sql.raw(`${bookkeepingSchema(schema)}.job_keys`);
  for (const [name, ids] of gone)
    for (const part of chunked(ids, 500)) {
      const r =
        await sql`delete from ${job} where name = ${name} and id = any(${part}::uuid[]) and state <> 'active'`.execute(
          db,
        );
      deleted += Number(r.numAffectedRows ?? 0);
      // The singleton keys recorded for them (Parley's bookkeeping) name the person too.
      await sql`delete from ${keys} where name = ${name} and job_id = any(${part}::uuid[])`.execute(db);
    }
  return { deleted, changed };
}
