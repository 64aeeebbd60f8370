/** The leads module's public surface: what other modules may use. */

export { captureLead, getConversationRef, listLeads } from './leads.service.ts';
