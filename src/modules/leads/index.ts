/** The leads module's public surface: what other modules may use. */

export { leadCounts } from './leads.report.ts';
export { captureLead, getConversationRef } from './leads.service.ts';
