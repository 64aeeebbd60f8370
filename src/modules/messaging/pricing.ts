/**
 * What a provider says an outbound message costs (Meta's `pricing` object on its status webhooks),
 * kept on the message, and the read-only view the costs report counts from (docs/reports.md).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { ProviderPricing } from '../channels/index.ts';
import type { MessageRow } from './messaging.tables.ts';

/** The message object's `pricing`: Meta's fields as they came, and the market Parley read from the number. */
export interface MessagePricing {
  billable: boolean | null;
  pricing_model: string | null;
  category: string | null;
  type: string | null;
  market: string | null;
}

/**
 * The recipient's country (ISO 3166 alpha-2) from an E.164 number: the market Meta prices a
 * message by. A number shared by several countries (+1) takes the first the library names; a
 * business-scoped user id or an email has none.
 */
export function marketOf(address: string): string | null {
  if (!address.startsWith('+')) return null;
  const parsed = parsePhoneNumberFromString(address);
  if (!parsed) return null;
  return parsed.country ?? parsed.getPossibleCountries()[0] ?? null;
}

/** The columns a status's pricing sets on its message (the latest word wins: Meta repeats it per status). */
export function pricingColumns(
  to: string,
  p: ProviderPricing,
): Pick<
  MessageRow,
  | 'pricing'
  | 'pricing_category'
  | 'pricing_billable'
  | 'pricing_model'
  | 'pricing_market'
  | 'pricing_conversation_id'
> {
  const market = marketOf(to);
  const stored: MessagePricing & { conversation_id: string | null } = {
    billable: p.billable,
    pricing_model: p.pricing_model,
    category: p.category,
    type: p.type,
    market,
    conversation_id: p.conversation_id,
  };
  return {
    pricing: toJson(stored),
    pricing_category: p.category,
    pricing_billable: p.billable === null ? null : p.billable ? 1 : 0,
    pricing_model: p.pricing_model,
    pricing_market: market,
    pricing_conversation_id: p.conversation_id,
  };
}

/** Stores a status's pricing on the message, in the caller's transaction. */
export async function storePricing(
  db: Db | Trx,
  message: Pick<MessageRow, 'id' | 'to_address'>,
  p: ProviderPricing,
): Promise<void> {
  await db
    .updateTable('messages')
    .set(pricingColumns(message.to_address, p))
    .where('id', '=', message.id)
    .where('direction', '=', 'outbound')
    .execute();
}

/** The message object's `pricing` (null until a status carried one). */
export function presentPricing(row: Pick<MessageRow, 'pricing'>): MessagePricing | null {
  const p = fromJson<(MessagePricing & { conversation_id?: string | null }) | null>(
    row.pricing ?? null,
    null,
  );
  if (!p) return null;
  return {
    billable: p.billable ?? null,
    pricing_model: p.pricing_model ?? null,
    category: p.category ?? null,
    type: p.type ?? null,
    market: p.market ?? null,
  };
}

/**
 * A read-only view of this workspace's and mode's priced outbound messages (`id`,
 * `conversation_id`, `created_at`, `pricing_category`, `pricing_billable`, `pricing_model`,
 * `pricing_market`, `pricing_conversation_id`), for the costs report to join and group in its own
 * statement: `.selectFrom(pricedMessages(db, scope).as('m'))`.
 */
export function pricedMessages(db: Db | Trx, scope: Scope) {
  return tenant(db, scope)
    .selectFrom('messages')
    .select([
      'id',
      'conversation_id',
      'created_at',
      'pricing_category',
      'pricing_billable',
      'pricing_model',
      'pricing_market',
      'pricing_conversation_id',
    ])
    .where('direction', '=', 'outbound')
    .where('pricing_category', 'is not', null);
}
