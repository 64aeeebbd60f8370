/** The closed list of `ended_reason` values (docs/voice.md explains each). */
export const endedReasons = [
  'customer_ended_call',
  'agent_ended_call',
  'flow_ended',
  'transferred',
  'voicemail',
  'no_answer',
  'busy',
  'invalid_number',
  'failed_to_connect',
  'silence_timeout',
  'max_duration',
  'canceled',
  'stt_error',
  'tts_error',
  'llm_error',
  'provider_error',
  'server_shutdown',
  'server_lost',
  'call_screener',
] as const;
export type EndedReason = (typeof endedReasons)[number];
