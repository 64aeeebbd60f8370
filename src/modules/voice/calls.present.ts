import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';
import type { ConversationAnalysis } from '../conversations/index.ts';
import type { CallLatency, TranscriptEntry } from './calls.service.ts';
import type { CallRow } from './voice.tables.ts';

/** A call as the API shows it. */
export function presentCall(row: CallRow) {
  const latency = fromJson<Partial<CallLatency>>(row.latency, {});
  return {
    ...objectHead(row, 'call'),
    conversation_id: row.conversation_id,
    contact_id: row.contact_id,
    agent_id: row.agent_id,
    voice_flow_id: row.voice_flow_id,
    campaign_id: row.campaign_id,
    direction: row.direction,
    transport: row.transport,
    channel_id: row.channel_id,
    provider: row.provider,
    provider_call_id: row.provider_call_id,
    from: row.from_address,
    to: row.to_address,
    status: row.status,
    answered_by: row.answered_by,
    ended_reason: row.ended_reason,
    duration_seconds: row.duration_seconds,
    queued_at: row.queued_at,
    dialed_at: row.dialed_at,
    answered_at: row.answered_at,
    ended_at: row.ended_at,
    transcript: fromJson<TranscriptEntry[]>(row.transcript, []),
    recording_url: row.recording_url,
    dynamic_variables: fromJson<Record<string, string | number | boolean | null>>(row.dynamic_variables, {}),
    identifier: row.identifier,
    latency: {
      turns: latency.turns ?? 0,
      p50_ms: latency.p50_ms ?? null,
      p95_ms: latency.p95_ms ?? null,
      parley_p50_ms: latency.parley_p50_ms ?? null,
      interruptions: latency.interruptions ?? 0,
      false_interruptions: latency.false_interruptions ?? 0,
      backchannels: latency.backchannels ?? 0,
      recoveries: latency.recoveries ?? 0,
    },
    analysis: fromJson<ConversationAnalysis | null>(row.analysis, null),
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type CallObject = ReturnType<typeof presentCall>;
