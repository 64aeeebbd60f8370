/**
 * What the exports of WhatsApp BSPs (WATI, Interakt, AiSensy, Gupshup) keep in columns of their
 * own: the country code apart from the number, first and last names, opt-in and opt-out flags
 * (docs/coming-from/bsp.md). The import puts them together and keeps opt-outs in the consent ledger.
 */
import type { Tx } from '../../platform/events.ts';
import {
  type Attributes,
  consentStopped,
  findContactsByPhones,
  normalizePhone,
  recordConsents,
  type Scope,
} from '../contacts/index.ts';
import { joinPhone, yesNo } from './csv.ts';

/** A row of the upload as read, before it is checked. */
export interface RawRow {
  row: number;
  phone?: string;
  name?: string;
  email?: string;
  tags: string[];
  attributes: Attributes;
  /** An opt-out column said yes, or an opt-in column said no: WhatsApp marketing is stopped. */
  marketingStopped?: boolean;
}

/** The parts a BSP export keeps in columns of their own, put together (see csv.ts). */
export interface RowParts {
  countryCode?: string;
  firstName?: string;
  lastName?: string;
}

/** A cell's value for a column that is not a contact field or an attribute of its own. */
export function readPart(raw: RawRow, parts: RowParts, col: string, cell: string): boolean {
  if (col === 'country_code') parts.countryCode = cell;
  else if (col === 'first_name') parts.firstName = cell;
  else if (col === 'last_name') parts.lastName = cell;
  else if (col === 'opt_out' || col === 'opt_in') {
    const said = yesNo(cell);
    if (said !== undefined && said === (col === 'opt_out')) raw.marketingStopped = true;
  } else return false;
  return true;
}

export function finishRow(raw: RawRow, parts: RowParts): RawRow {
  if (raw.phone) raw.phone = joinPhone(raw.phone, parts.countryCode);
  if (!raw.name && (parts.firstName || parts.lastName))
    raw.name = [parts.firstName, parts.lastName].filter(Boolean).join(' ');
  return raw;
}

/**
 * A phone as written in the file: national numbers in the workspace's country, else, for digits
 * that are no national number there, the same digits as an international number (BSP exports
 * write WhatsApp ids, `919876543210`, without the `+`).
 */
export function importedPhone(input: string, defaultCountry: string): string | null {
  const phone = normalizePhone(input, defaultCountry);
  if (phone) return phone;
  const digits = input.trim();
  return /^\d{8,15}$/.test(digits) ? normalizePhone(`+${digits}`, defaultCountry) : null;
}

/**
 * The opt-outs of a batch, in the consent ledger: WhatsApp marketing revoked (source `import`,
 * the import's id as the detail) for each contact not stopped already. Written whether the
 * contact was created, updated or skipped: an opt-out is honoured whatever `on_conflict` says.
 */
export async function stopMarketing(tx: Tx, scope: Scope, importId: string, phones: string[], at: Date) {
  if (!phones.length) return;
  for (const contact of await findContactsByPhones(tx.db, scope, phones)) {
    if (consentStopped(contact, 'whatsapp', 'marketing')) continue;
    await recordConsents(
      tx,
      scope,
      contact,
      [{ channel: 'whatsapp', purpose: 'marketing', status: 'revoked', source: 'import', detail: importId }],
      at,
    );
  }
}
