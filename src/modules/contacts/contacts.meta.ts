import { tenant } from '../../platform/db/scope.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { emitContact, newContactRow, type Scope } from './contacts.service.ts';
import type { ContactRow } from './contacts.tables.ts';

/** The contact columns that keep a customer's provider-scoped id (each unique per workspace and mode). */
export type ProviderIdField = 'messenger_psid' | 'instagram_igsid' | 'telegram_chat_id';

/**
 * The contact of a Messenger, Instagram or Telegram customer, keyed by Meta's scoped id (PSID or IGSID, in
 * `field`), made when none has it. Meta gives no phone or email with these ids.
 */
export async function findOrCreateMetaUserContact(
  tx: Tx,
  scope: Scope,
  input: { field: ProviderIdField; id: string; name?: string },
  actor: Actor,
): Promise<{ contact: ContactRow; created: boolean }> {
  const find = () =>
    tenant(tx.db, scope)
      .selectFrom('contacts')
      .selectAll()
      .where(input.field, '=', input.id)
      .executeTakeFirst();
  const found = await find();
  if (found) return { contact: found, created: false };
  const row: ContactRow = {
    ...newContactRow(
      scope,
      { phone: null, email: null, name: input.name?.trim() || null },
      new Date().toISOString(),
    ),
    [input.field]: input.id,
  };
  const made = await tx.db
    .insertInto('contacts')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode', input.field]).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!made) {
    const winner = await find();
    if (!winner)
      throw new Error(`contact ${input.field}=${input.id} conflicted on insert but cannot be read`);
    return { contact: winner, created: false };
  }
  await emitContact(tx, scope, 'contact.created', row, actor);
  return { contact: row, created: true };
}
