import { sql } from 'kysely';
import { chunked } from '../chunked.ts';
import type { Db } from '../db/database.ts';
import { type ErasedJobs, type JobErasure, judgeJob, namer } from './erase.ts';

interface Candidate {
  id: string;
  state: string;
  payload: string;
  singleton_key: string | null;
  last_error: string | null;
}

/**
 * The SQLite queue's part of an erasure (erase.ts): jobs of the `jobs` table whose payload holds
 * one of the person's ids as a value (json_tree, lists included), or whose payload, error or key
 * holds one of the texts, except those running now.
 */
export async function eraseSqliteJobs(db: Db, match: JobErasure): Promise<ErasedJobs> {
  const found = new Map<string, Candidate>();
  const cols = sql`id, state, payload, singleton_key, last_error`;
  for (const part of chunked(match.ids, 5000)) {
    const { rows } = await sql<Candidate>`select ${cols} from jobs where state <> 'active'
      and exists (select 1 from json_tree(jobs.payload) t
        where t.type = 'text' and t.atom in (select value from json_each(${JSON.stringify(part)})))`.execute(
      db,
    );
    for (const r of rows) found.set(r.id, r);
  }
  for (const part of chunked(match.texts.filter(Boolean), 50)) {
    const hits = part.map(
      (t) =>
        sql`instr(lower(payload || ' ' || coalesce(last_error, '') || ' ' || coalesce(singleton_key, '')), ${t.toLowerCase()}) > 0`,
    );
    const { rows } = await sql<Candidate>`select ${cols} from jobs where state <> 'active'
      and (${sql.join(hits, sql` or `)})`.execute(db);
    for (const r of rows) found.set(r.id, r);
  }
  const names = namer(match);
  const gone: string[] = [];
  let changed = 0;
  for (const job of found.values()) {
    const verdict = judgeJob(
      {
        payload: JSON.parse(job.payload),
        key: job.singleton_key,
        error: job.last_error,
        finished: job.state !== 'queued',
      },
      names,
    );
    if (verdict.action === 'delete') gone.push(job.id);
    else if (verdict.action === 'update') {
      // Only while still queued: a job claimed meanwhile runs with what it had.
      const r = await db
        .updateTable('jobs')
        .set({ payload: JSON.stringify(verdict.payload) })
        .where('id', '=', job.id)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      changed += Number(r.numUpdatedRows);
    }
  }
  let deleted = 0;
  for (const part of chunked(gone, 500)) {
    const r = await db
      .deleteFrom('jobs')
      .where('id', 'in', part)
      .where('state', '<>', 'active')
      .executeTakeFirst();
    deleted += Number(r.numDeletedRows);
  }
  return { deleted, changed };
}
