/** The conversations module's public surface: what other modules may use. */

export { closedConversationIds, setConversationAnalysis } from './conversations.analysis.ts';
export {
  type ConversationReportQuery,
  type ReportConversation,
  reportConversationPage,
} from './conversations.report.ts';
export { analysisObject, conversationObject } from './conversations.schemas.ts';
export {
  type ConversationAnalysis,
  type ConversationObject,
  findConversations,
  findOrCreateConversation,
  getConversation,
  getConversationRow,
  handoffConversation,
  insertConversations,
  newConversationRow,
  presentConversation,
  reopenInTx,
  threadKey,
  unlinkAgentConversations,
  windowOpen,
} from './conversations.service.ts';
export type { ConversationRow } from './conversations.tables.ts';
