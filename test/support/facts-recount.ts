import { backfillCohortColumns } from '../../src/modules/conversations/conversations.facts.cohort.migrations.ts';
import { backfillConversationFacts } from '../../src/modules/conversations/conversations.facts.migrations.ts';
import type { TestApp } from './harness.ts';

/**
 * Every `conversation_facts` row as stored, and as the backfill of 1101/1102 recounts it from the
 * raw rows (messages, events, leads, bookings, conversations) in a transaction rolled back, so the
 * stored rows stay; both ordered by conversation, with the JSON columns in a comparable form.
 */
export async function storedAndRecountedFacts(t: TestApp) {
  const all = (db: TestApp['ctx']['db']) =>
    db.selectFrom('conversation_facts').selectAll().orderBy('conversation_id').execute();
  const norm = (rows: Awaited<ReturnType<typeof all>>) =>
    rows.map((r) => ({
      ...r,
      handoff_reasons: (JSON.parse(r.handoff_reasons) as unknown[]).map(String).sort(),
      replies_by_user: Object.entries(JSON.parse(r.replies_by_user) as Record<string, number>).sort(),
    }));
  const ROLLBACK = new Error('rollback');
  let recounted: Awaited<ReturnType<typeof all>> = [];
  await t.ctx.db
    .transaction()
    .execute(async (trx) => {
      await trx.deleteFrom('conversation_facts').execute();
      await backfillConversationFacts(trx, t.ctx.dialect);
      await backfillCohortColumns(trx, t.ctx.dialect);
      recounted = await all(trx);
      throw ROLLBACK;
    })
    .catch((err) => {
      if (err !== ROLLBACK) throw err;
    });
  return { stored: norm(await all(t.ctx.db)), recounted: norm(recounted) };
}

/** The stored facts row of one conversation (throws when there is none). */
export const factsRow = (t: TestApp, conversationId: string) =>
  t.ctx.db
    .selectFrom('conversation_facts')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .executeTakeFirstOrThrow();

/** An API call that must succeed (any status of 300 or more fails the test); its body. */
export async function okCall(t: TestApp, key: string, method: string, url: string, body?: unknown) {
  const r = await t.call(method, url, { key, body });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${r.text}`);
  return r.body;
}
