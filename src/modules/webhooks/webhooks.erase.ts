import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, forEachEventAbout, redactText } from '../../platform/erasure.ts';

/**
 * Delivery bodies are built from the events when sent (so erased events go out erased); what a
 * receiver answered may echo the person back: the deliveries of events about them lose the
 * receiver's answer, and any other that names them is redacted.
 */
export async function eraseDeliveryRecords(ctx: AppContext, subject: ErasureSubject) {
  await forEachEventAbout(ctx, subject, async (events) => {
    await tenant(ctx.db, subject)
      .updateTable('webhook_deliveries')
      .set({ response_excerpt: null })
      .where(
        'event_id',
        'in',
        events.map((e) => e.id),
      )
      .execute();
  });
  const needles = subject.identifiers.map((s) => s.toLowerCase()).filter(Boolean);
  if (!needles.length) return;
  let after = '';
  for (;;) {
    const rows = await tenant(ctx.db, subject)
      .selectFrom('webhook_deliveries')
      .select(['id', 'response_excerpt', 'error', 'attempt_log'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute();
    if (!rows.length) return;
    for (const r of rows) {
      const names = (v: string | null) => v !== null && needles.some((n) => v.toLowerCase().includes(n));
      if (!names(r.response_excerpt) && !names(r.error) && !names(r.attempt_log)) continue;
      await ctx.db
        .updateTable('webhook_deliveries')
        .set({
          response_excerpt: names(r.response_excerpt) ? null : r.response_excerpt,
          error: redactText(r.error, subject.identifiers),
          attempt_log: redactText(r.attempt_log, subject.identifiers),
        })
        .where('id', '=', r.id)
        .execute();
    }
    after = rows[rows.length - 1]!.id;
  }
}
