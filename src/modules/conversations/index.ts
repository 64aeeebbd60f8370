/** The conversations module's public surface: what other modules may use. */

export { closedConversationIds, setConversationAnalysis } from './conversations.analysis.ts';
export {
  type CallContext,
  noteLastMessage,
  reopenForCalls,
  withCallContext,
} from './conversations.call-context.ts';
export { conversationIdsOfContact } from './conversations.erase.ts';
export { recordCsatInTx, setConversationPriority } from './conversations.extras.ts';
export {
  type CohortGroup,
  type CohortQuery,
  cohortAggregates,
  cohortPeople,
  FIRST_RESPONSE_LIMITS,
  type PersonFigures,
  type SeriesKey,
} from './conversations.facts.cohort.ts';
export { type MessageFactsInput, recordMessageFacts } from './conversations.facts.messages.ts';
export {
  type ConversationFactRow,
  conversationFactPage,
} from './conversations.facts.ts';
export {
  type ConversationSearchFilters,
  conversationIdsFiltered,
  conversationIdsOfContacts,
  listConversations,
  presentedConversationsByIds,
} from './conversations.list.ts';
export {
  assignedConversationIds,
  type ConversationAssignee,
  type ConversationReportQuery,
  type ReportConversation,
} from './conversations.report.ts';
export { analysisObject, conversationObject } from './conversations.schemas.ts';
export {
  type AssignTarget,
  assignConversation,
  type ConversationAnalysis,
  type ConversationObject,
  closeConversation,
  findConversationRow,
  findConversations,
  findOrCreateConversation,
  getConversation,
  getConversationRow,
  handoffConversation,
  insertConversations,
  newConversationRow,
  presentConversation,
  reopenInTx,
  setConversationTags,
  snoozeConversation,
  threadKey,
  unlinkAgentConversations,
  windowOpen,
} from './conversations.service.ts';
export {
  type AdFigures,
  adFigures,
  type ConversationSource,
  conversationAttribution,
  sourceColumns,
  sourceOfReferral,
} from './conversations.source.ts';
export type { ConversationJob, ConversationRow } from './conversations.tables.ts';
export {
  agentConversationIds,
  conversationsByIds,
  latestConversationOfContact,
} from './conversations.views.ts';
export { notYourConversation, seesConversation } from './conversations.visibility.ts';
export {
  contactIdOfConversation,
  conversationsOfThreads,
  conversationWindowExpiry,
  insertNewConversations,
  type LastMessage,
  lockConversation,
  markAiHandled,
  mergeConversationVariables,
  moveThreadsAddress,
  patchConversation,
  setConversationAgent,
  setLastMessages,
} from './conversations.writes.ts';
export { handoffNoticeJob, outOfHoursJob } from './routing/handoff.jobs.ts';
export { handoffHoursNow } from './routing/handoff.timer.ts';
export { localText, type OpeningHours } from './routing/hours.ts';
export {
  type HandoffPolicyInput,
  handoffPolicyInput,
  handoffPolicyObject,
} from './routing/policy.schemas.ts';
export { type AgentRoutingSettings, autoResolveAfterMinutes } from './routing/policy.service.ts';
export { scheduleWindowHandoff, WINDOW_HANDOFF_REASON, windowHandoffJob } from './routing/window-handoff.ts';
