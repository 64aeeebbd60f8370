/** The messaging module's public surface: what other modules may use. */
export { type InteractiveInput, parsePlaceholders, type TemplateRef } from './content.ts';
export { ingestInbound } from './inbound.service.ts';
export {
  type AnswerGuard,
  conversationThreads,
  inboundMessageIdsAfter,
  latestInboundMessages,
  newestInboundMessage,
  recentMessages,
} from './messages.history.ts';
export { insertMessageRow, messageStatuses } from './messages.views.ts';
export { messageIdsOfConversations } from './messaging.erase.ts';
export { attachmentsOfConversations, type ExportedAttachment, messagesAfter } from './messaging.export.ts';
export {
  type CustomerMessage,
  customerMessageOf,
  type InboundAnswerEvent,
  type TemplateCategoryChangedEvent,
} from './messaging.ports.ts';
export { senderOf } from './messaging.routes.ts';
export { messageObject, replyBody, templateRef } from './messaging.schemas.ts';
export {
  isAlreadyAnswered,
  listConversationMessages,
  type MessageObject,
  openConversation,
  presentMessage,
  type Sender,
  sendMessage,
} from './messaging.service.ts';
export type { MessageRow, MessageStatus } from './messaging.tables.ts';
export { type MessagePricing, marketOf, pricedMessages } from './pricing.ts';
export { replyToConversation } from './replies.service.ts';
export { latestTemplateSent } from './sent-templates.ts';
export { findTemplate, findTemplateForSend } from './templates.service.ts';
export { conversationTranscript, type TranscriptLine } from './transcript.ts';
