/** The contacts module's public surface: what other modules may use. */

export { type BulkContact, writeImportedContacts } from './contacts.bulk.ts';
export { contactsByIds } from './contacts.read.ts';
export { contactObject } from './contacts.schemas.ts';
export {
  ATTRIBUTE_KEY,
  type Attributes,
  type AttributeValue,
  applyContactFilter,
  type ContactFilter,
  findContactByPhone,
  findContactsByPhones,
  findOrCreateContact,
  findOrCreateWhatsAppContact,
  getContactRow,
  insertContacts,
  moveContactPhone,
  newContactRow,
  normalizeEmail,
  normalizePhone,
  normalizeTags,
  presentContact,
  type Scope,
  scopedContacts,
  setContactOptOut,
  updateContact,
} from './contacts.service.ts';
export type { ContactRow } from './contacts.tables.ts';
export { invalidPhoneMessage } from './phone.ts';
