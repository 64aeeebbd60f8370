import type { Actor } from '../../platform/events.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';
import { kindOf } from '../channels/index.ts';
import { presentSource } from './conversations.source.ts';
import type { ConversationRow } from './conversations.tables.ts';

export type ContactBits = { id: string; phone: string | null; name: string | null; email: string | null };

/** Messenger and Instagram: until when a person may still reply (HUMAN_AGENT, 7 days after the customer's last message). */
export function humanAgentWindowEnd(
  row: Pick<ConversationRow, 'channel' | 'last_inbound_at'>,
): string | null {
  const hours = kindOf(row.channel)?.humanAgentHours;
  if (!hours || !row.last_inbound_at) return null;
  const at = Date.parse(row.last_inbound_at);
  return Number.isFinite(at) ? new Date(at + hours * 3_600_000).toISOString() : null;
}

export function presentConversation(row: ConversationRow, contact: ContactBits | undefined) {
  return {
    ...objectHead(row, 'conversation'),
    channel: row.channel,
    channel_id: row.channel_id,
    contact: {
      id: row.contact_id,
      phone: contact?.phone ?? null,
      name: contact?.name ?? null,
      email: contact?.email ?? null,
    },
    contact_phone:
      // An email or website-visitor thread's address is no phone: the contact's phone, if any.
      ['email', 'visitor'].includes(kindOf(row.channel)?.addressKind ?? '')
        ? (contact?.phone ?? null)
        : row.contact_address,
    contact_address: row.contact_address,
    agent_id: row.agent_id,
    status: row.status,
    ai_handled: row.ai_handled === 1,
    ai_paused: row.ai_paused === 1,
    handoff_reason: row.handoff_reason,
    handoff:
      row.ai_paused === 1
        ? {
            reason: row.handoff_reason,
            started_at: row.handoff_at,
            started_by: fromJson<{ type: Actor['type']; id: string | null } | null>(row.handoff_by, null),
            waiting_since: row.waiting_since,
            waiting_for:
              row.assignee_type && row.assignee_id ? { type: row.assignee_type, id: row.assignee_id } : null,
          }
        : null,
    assignee: row.assignee_type && row.assignee_id ? { type: row.assignee_type, id: row.assignee_id } : null,
    tags: fromJson<string[]>(row.tags, []),
    last_message: row.last_message,
    last_message_at: row.last_message_at,
    last_message_sender: row.last_message_sender,
    window_expires_at: row.window_expires_at,
    human_agent_window_expires_at: humanAgentWindowEnd(row),
    snoozed_until: row.snoozed_until,
    closed_at: row.closed_at,
    dynamic_variables: fromJson<Record<string, string | number | boolean | null>>(row.dynamic_variables, {}),
    identifier: row.identifier,
    priority: row.priority,
    sla: row.sla_policy_id
      ? {
          policy_id: row.sla_policy_id,
          first_response_due_at: row.first_response_due_at,
          next_response_due_at: row.next_response_due_at,
          resolution_due_at: row.resolution_due_at,
          breached: fromJson<SlaTarget[]>(row.sla_breached, []),
        }
      : null,
    csat: row.csat_at ? { score: row.csat_score, comment: row.csat_comment, at: row.csat_at } : null,
    analysis: fromJson<ConversationAnalysis | null>(row.analysis, null),
    source: presentSource(row),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type SlaTarget = 'first_response' | 'next_response' | 'resolution';
/** What came of a conversation or a call (SPEC: Analysis and reports). */
export interface ConversationAnalysis {
  summary: string | null;
  data: Record<string, unknown> | null;
  success: boolean | null;
  sentiment: 'positive' | 'neutral' | 'negative' | null;
  engine: string;
  computed_at: string;
  error?: string | null;
}
export type ConversationObject = ReturnType<typeof presentConversation>;
