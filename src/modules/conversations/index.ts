/** The conversations module's public surface: what other modules may use. */
export { conversationObject } from './conversations.schemas.ts';
export {
  type ConversationObject,
  findOrCreateConversation,
  getConversation,
  getConversationRow,
  handoffConversation,
  newConversationRow,
  presentConversation,
  reopenInTx,
  windowOpen,
} from './conversations.service.ts';
export type { ConversationRow } from './conversations.tables.ts';
