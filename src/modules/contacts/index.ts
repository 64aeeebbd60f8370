/** The contacts module's public surface: what other modules may use. */

export { type BulkContact, writeImportedContacts } from './contacts.bulk.ts';
export {
  type ConsentChange,
  consentPurposes,
  consentStopped,
  consentsOf,
  eraseContactConsents,
  recordConsents,
} from './contacts.consents.ts';
export { emitContactDeleted, removeContact } from './contacts.delete.ts';
export { type ContactMergeEvent, contactMergeReaction, mergeContacts } from './contacts.merge.ts';
export { findOrCreateMetaUserContact, type ProviderIdField } from './contacts.meta.ts';
export { contactObject } from './contacts.schemas.ts';
export {
  ATTRIBUTE_KEY,
  type Attributes,
  type AttributeValue,
  applyContactFilter,
  type ContactFilter,
  findContactByPhone,
  findContactRow,
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
export type { ConsentPurpose, ContactRow } from './contacts.tables.ts';
export {
  contactCards,
  contactIdsMatching,
  contactIdsNamed,
  contactReachability,
  contactsByIds,
} from './contacts.views.ts';
export { changeWhatsAppUserId, fillEmptyContactField, insertNewContactsByPhone } from './contacts.writes.ts';
export { invalidPhoneMessage } from './phone.ts';
