import type { ReportConversation } from '../conversations/index.ts';

/**
 * The facts reports count about one conversation (docs/reports.md defines each), from its stored
 * facts row (reports.stored.ts).
 */
export interface Facts {
  id: string;
  created_at: string;
  messages_in: number;
  messages_out: number;
  person_messages: number;
  first_response_s: number | null;
  human_first_response_s: number | null;
  resolution_s: number | null;
  handoff: boolean;
  handoff_reasons: string[];
  reopened_within_24h: boolean;
  ai_resolved: boolean;
  sla_met: boolean | null;
  csat_score: number | null;
  leads: number;
  bookings: number;
}

export interface ConversationFacts extends Facts {
  row: ReportConversation;
}

/** Nearest-rank percentile (p in 0..1) of the values; null for none. */
export function percentile(values: number[], p: number): number | null {
  return percentileOfSorted(Float64Array.from(values).sort(), p);
}

/** The same over values already sorted ascending. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const v = sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] as number;
  return Math.round(v * 10) / 10;
}

export const rate = (part: number, whole: number) =>
  whole === 0 ? null : Math.round((part / whole) * 10000) / 10000;
export const average = (values: number[]) =>
  values.length === 0 ? null : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100;
