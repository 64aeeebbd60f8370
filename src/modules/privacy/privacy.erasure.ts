import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { newRow, type Scope, scopeOf, tenant } from '../../platform/db/scope.ts';
import { type Eraser, type ErasureSubject, identifierForms } from '../../platform/erasure.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { defineJob } from '../../platform/queue/queue.ts';
import type { ContactErasing } from '../contacts/index.ts';
import { conversationIdsOfContact } from '../conversations/index.ts';
import { callIdsOfContact, liveCallIdsOfContact } from '../voice/index.ts';
import { erasePlatformRecords } from './privacy.platform-erase.ts';
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

/**
 * In the deleting transaction (the contacts module's `erasing` hook): the erasure is recorded and
 * queued. A contact on a call that has not ended is refused (409, nothing deleted): the call's
 * session writes its transcript when the call ends, after the erasure would have run.
 */
export async function recordErasure(ctx: AppContext, tx: Tx, e: ContactErasing) {
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
