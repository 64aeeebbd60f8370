import type { AppContext } from '../../platform/context.ts';
import { type ErasureSubject, forEachEventAbout } from '../../platform/erasure.ts';
import { toJson } from '../../platform/json.ts';

/**
 * Events kept for `GET /v1/events` (and sent again on redelivery) about the person lose their
 * payload: each keeps only `{id, object, erased: true}`. That an event happened, and when, stays.
 * This runs after every other module's part (they may look the events up).
 */
export async function eraseEventPayloads(ctx: AppContext, subject: ErasureSubject) {
  await forEachEventAbout(ctx, subject, async (events) => {
    for (const e of events)
      await ctx.db
        .updateTable('events')
        .set({ data: toJson({ id: e.object_id, object: e.object_type, erased: true }) })
        .where('id', '=', e.id)
        .execute();
  });
}
