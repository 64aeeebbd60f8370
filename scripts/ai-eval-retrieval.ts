/**
 * `npm run eval -- --retrieval [--failures]`: the knowledge search scored on the public retrieval
 * fixture (test/support/retrieval-eval.ts) on SQLite and, when reachable, PostgreSQL: P@1 and
 * recall@3 per storage, with every passage indexed and with the first 199 (below the size where
 * the search starts leaving out frequent words).
 */
import pg from 'pg';
import { formatScore, type RetrievalStorage, runRetrievalEval } from '../test/support/retrieval-eval.ts';

const PG_ADMIN_URL = process.env.PARLEY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function runRetrievalCli(opts: { failures: boolean }): Promise<void> {
  const storages: RetrievalStorage[] = ['sqlite'];
  if (await postgresReachable()) storages.push('postgres');
  else console.log(`postgres: not reachable at ${PG_ADMIN_URL}, skipped`);
  console.log('Retrieval: public health FAQ passages, paraphrased questions (test/fixtures/retrieval/)\n');
  for (const limit of [undefined, 199]) {
    for (const storage of storages) {
      const score = await runRetrievalEval(storage, { limit });
      console.log(formatScore(score));
      if (opts.failures)
        for (const m of score.misses)
          console.log(`  miss: ${m.query}\n    want: ${m.expected}\n    got:  ${m.got}`);
    }
  }
}
