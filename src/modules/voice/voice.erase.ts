import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, inChunks } from '../../platform/erasure.ts';
import { activeStatuses } from './voice.tables.ts';

/**
 * The person's calls stay as counted rows (status, direction, times, duration, who answered)
 * and lose what identifies them or what they said: the transcript, the recording's address, the
 * person's number, variables, reference, analysis and error texts.
 */
export async function eraseCalls(ctx: AppContext, subject: ErasureSubject) {
  const now = ctx.clock.now().toISOString();
  const redact = {
    transcript: '[]',
    recording_url: null,
    dynamic_variables: '{}',
    identifier: null,
    sandbox: null,
    analysis: null,
    error_message: null,
    updated_at: now,
  };
  for (const ids of inChunks(subject.callIds)) {
    const scoped = tenant(ctx.db, subject);
    await scoped.updateTable('calls').set(redact).where('id', 'in', ids).execute();
    // The person's side of the call: the caller of an inbound call, the callee of an outbound one.
    await scoped
      .updateTable('calls')
      .set({ from_address: null })
      .where('id', 'in', ids)
      .where('direction', '=', 'inbound')
      .execute();
    await scoped
      .updateTable('calls')
      .set({ to_address: null })
      .where('id', 'in', ids)
      .where('direction', '=', 'outbound')
      .execute();
  }
}

/** The person's calls: theirs by contact, or in one of their conversations. */
export async function callIdsOfContact(
  ctx: AppContext,
  scope: { workspaceId: string; livemode: boolean },
  contactId: string,
  conversationIds: string[],
): Promise<string[]> {
  const ids = new Set<string>();
  const byContact = await tenant(ctx.db, scope)
    .selectFrom('calls')
    .select('id')
    .where('contact_id', '=', contactId)
    .execute();
  for (const r of byContact) ids.add(r.id);
  for (const chunk of inChunks(conversationIds)) {
    const rows = await tenant(ctx.db, scope)
      .selectFrom('calls')
      .select('id')
      .where('conversation_id', 'in', chunk)
      .execute();
    for (const r of rows) ids.add(r.id);
  }
  return [...ids];
}

/**
 * The person's calls that have not ended (queued, dialing, ringing, in progress): an erasure is
 * refused while one runs, since its session writes the transcript when the call ends.
 */
export async function liveCallIdsOfContact(db: Db | Trx, scope: Scope, contactId: string): Promise<string[]> {
  const rows = await tenant(db, scope)
    .selectFrom('calls')
    .select('id')
    .where('contact_id', '=', contactId)
    .where('status', 'in', [...activeStatuses])
    .execute();
  return rows.map((r) => r.id);
}
