/** The messaging module's public surface: what other modules may use. */
export { parsePlaceholders, type TemplateRef } from './content.ts';
export type { InboundAnswerEvent, InboundMessageEvent } from './hooks.ts';
export { type MessageStats, messageStats, replyTimes } from './messages.report.ts';
export { senderOf } from './messaging.routes.ts';
export { messageObject, replyBody, templateRef } from './messaging.schemas.ts';
export {
  listConversationMessages,
  type MessageObject,
  openConversation,
  presentMessage,
  replyToConversation,
  type Sender,
  sendMessage,
} from './messaging.service.ts';
export type { MessageRow, MessageStatus } from './messaging.tables.ts';
export { latestTemplateSent } from './sent-templates.ts';
export { findTemplate, findTemplateForSend } from './templates.service.ts';
export { conversationTranscript, type TranscriptLine } from './transcript.ts';
