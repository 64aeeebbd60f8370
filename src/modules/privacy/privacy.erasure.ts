import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { reclaimErasedSpace } from '../../platform/db/reclaim.ts';
import { newRow, type Scope, scopeOf, tenant } from '../../platform/db/scope.ts';
import { type Eraser, type ErasureSubject, identifierForms } from '../../platform/erasure.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { defineJob } from '../../platform/queue/queue.ts';
import { type ContactRow, emitContactDeleted, removeContact } from '../contacts/index.ts';
import { conversationIdsOfContact } from '../conversations/index.ts';
import { callIdsOfContact, liveCallIdsOfContact } from '../voice/index.ts';
import { eraseJobsNaming, erasePlatformRecords } from './privacy.platform-erase.ts';
import type { ContactErasuresTable } from './privacy.tables.ts';

/**
 * Erasing a person runs as one job per erasure, module by module (each module's `erase`, then
 * the platform's own tables). After each module the job records it as done, so a job cut short
 * (a crash, a deploy) runs again from the module it was in; every part is idempotent.
 */
export const eraseContactJob = defineJob({
  name: 'privacy.erase_contact',
  payload: z.object({ erasureId: z.string() }),
  maxAttempts: 20,
  // Short: on SQLite a job whose process was killed is taken again only once its lock (this
  // timeout) runs out; an attempt that runs longer is retried and resumes after its last part.
  timeoutMs: 5 * 60_000,
  concurrency: 1,
});

interface SealedSubject {
  phone: string | null;
  email: string | null;
  name: string | null;
}

export function presentErasure(row: ContactErasuresTable) {
  return {
    ...objectHead(row, 'contact_erasure'),
    contact_id: row.contact_id,
    reason: row.reason,
    status: row.status,
    created_at: row.created_at,
    completed_at: row.completed_at,
  };
}

/** A contact being deleted: the erasure of everything else of theirs starts in this transaction. */
interface ContactErasing {
  scope: Scope;
  contact: ContactRow;
  /** Why (an explicit erasure request's reason), or null for a plain delete. */
  reason: string | null;
  actor: Actor;
}

/**
 * Deletes the contact (`DELETE /v1/contacts/{id}`; `POST /v1/contacts/{id}/erase` with a reason)
 * and records the erasure of everything else of theirs in the same transaction: a deleted contact
 * is an erased one, and the erasure commits with the deletion or not at all.
 */
export async function deleteAndErase(
  ctx: AppContext,
  scope: Scope,
  id: string,
  actor: Actor,
  reason: string | null = null,
) {
  return ctx.transaction(async (tx) => {
    const contact = await removeContact(tx, scope, id);
    await recordErasure(ctx, tx, { scope, contact, reason, actor });
    await emitContactDeleted(tx, scope, contact, actor);
    return { id: contact.id, object: 'contact' as const, deleted: true as const };
  });
}

/**
 * In the deleting transaction (`deleteAndErase`, once the contact's row is gone): the erasure is
 * recorded and queued. A contact on a call that has not ended is refused (409, nothing deleted):
 * the call's session writes its transcript when the call ends, after the erasure would have run.
 */
async function recordErasure(ctx: AppContext, tx: Tx, e: ContactErasing) {
  const live = await liveCallIdsOfContact(tx.db, e.scope, e.contact.id);
  if (live.length > 0)
    throw new ApiError(
      'conflict',
      `Contact ${e.contact.id} is on a call that has not ended (${live.join(', ')}); its transcript is still being written. Hang it up (POST /v1/calls/{id}/hangup) or wait until it ends, then erase the contact.`,
      { details: { call_ids: live } },
    );
  const subject: SealedSubject = { phone: e.contact.phone, email: e.contact.email, name: e.contact.name };
  const row: ContactErasuresTable = {
    ...newRow('era', e.scope),
    contact_id: e.contact.id,
    reason: e.reason,
    status: 'running',
    subject: ctx.secrets.sealJson(subject),
    steps_done: '[]',
    actor_type: e.actor.type,
    actor_id: e.actor.id,
    created_at: ctx.clock.now().toISOString(),
    completed_at: null,
  };
  await tx.db.insertInto('contact_erasures').values(row).execute();
  await ctx.queue.enqueue(tx.db, eraseContactJob, { erasureId: row.id });
}

/**
 * Every part, in order: the modules' (in module order) with the events module's last (others find
 * the events about the person before their payloads go), then the platform's tables.
 */
function steps(ctx: AppContext): Eraser[] {
  const events = ctx.erasers.filter((e) => e.module === 'events');
  return [
    ...ctx.erasers.filter((e) => e.module !== 'events'),
    ...events,
    { module: 'platform', erase: erasePlatformRecords },
  ];
}

export async function runErasure(ctx: AppContext, erasureId: string) {
  const row = await ctx.db
    .selectFrom('contact_erasures')
    .selectAll()
    .where('id', '=', erasureId)
    .executeTakeFirst();
  if (!row || row.status === 'completed' || !row.subject) return;
  const scope = scopeOf(row);
  const sealed = ctx.secrets.openJson<SealedSubject>(row.subject);
  const conversationIds = await conversationIdsOfContact(ctx, scope, row.contact_id);
  const subject: ErasureSubject = {
    ...scope,
    contactId: row.contact_id,
    conversationIds,
    callIds: await callIdsOfContact(ctx, scope, row.contact_id, conversationIds),
    identifiers: identifierForms(sealed.phone, sealed.email),
    name: sealed.name,
  };
  const done = fromJson<string[]>(row.steps_done, []);
  for (const step of steps(ctx)) {
    if (done.includes(step.module)) continue;
    await step.erase(ctx, subject);
    done.push(step.module);
    await ctx.db
      .updateTable('contact_erasures')
      .set({ steps_done: toJson(done) })
      .where('id', '=', row.id)
      .execute();
  }
  await ctx.transaction(async (tx) => {
    const r = await tx.db
      .updateTable('contact_erasures')
      .set({ status: 'completed', subject: null, completed_at: ctx.clock.now().toISOString() })
      .where('id', '=', row.id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return;
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'contact.erased',
      actor: { type: row.actor_type, id: row.actor_id } as Actor,
      data: { id: row.contact_id, object: 'contact', erased: true, erasure_id: row.id },
    });
  });
  // After the commit, best effort: jobs that ran during the erasure and have finished since, then
  // the freed space in the database's files.
  await eraseJobsNaming(ctx, subject).catch((err) =>
    ctx.logger.warn({ err, erasureId: row.id }, 'erasure: second pass over the jobs failed'),
  );
  await reclaimErasedSpace(ctx);
}

export function erasuresOfContact(ctx: AppContext, scope: Scope, contactId: string) {
  return tenant(ctx.db, scope)
    .selectFrom('contact_erasures')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

export async function getErasure(ctx: AppContext, scope: Scope, id: string) {
  return presentErasure(await tenant(ctx.db, scope).getById('contact_erasures', id, 'erasure'));
}
