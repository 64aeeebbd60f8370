import { z } from 'zod';
import { describe } from '../../platform/http/schemas.ts';
import { intervals, reportFilterFields } from './reports.filters.ts';

const n = (what: string, example: number) => describe(z.number(), what, example);
const nn = (what: string, example: number | null) => describe(z.number().nullable(), what, example);

const figures = {
  conversations: n('Conversations created in the range.', 120),
  messages_in: n("Their customers' messages.", 540),
  messages_out: n('Their replies (AI, people, API; notes excluded).', 610),
  ai_resolved: n('AI resolutions (see docs/reports.md).', 80),
  ai_resolution_rate: nn('ai_resolved / conversations (null: none).', 0.6667),
  handoffs: n('Conversations handed to a person at least once.', 25),
  handoff_rate: nn('handoffs / conversations.', 0.2083),
  first_response_p50_s: nn('Median seconds from the first customer message to the first reply.', 3.2),
  first_response_p90_s: nn('90th percentile of the same.', 12.5),
  human_first_response_p50_s: nn(
    "Median seconds from the first customer message to a person's first reply.",
    240,
  ),
  resolution_p50_s: nn('Median seconds from creation to resolve, of those resolved.', 3600),
  csat_avg: nn('Average CSAT score (1-5) of the answers.', 4.6),
  csat_responses: n('CSAT answers.', 31),
  sla_met_rate: nn('Share of conversations under an SLA policy that breached no target.', 0.94),
  leads: n('Leads captured in these conversations.', 14),
  bookings: n('Bookings made in these conversations.', 9),
};

export const overviewQuery = z.object({
  ...reportFilterFields,
  interval: describe(z.enum(intervals), 'Bucket of the series (default day).', 'day').optional(),
});

const rangeFields = {
  from: describe(z.string(), 'Start of the range (UTC instant, included).', '2026-04-30T18:30:00.000Z'),
  to: describe(z.string(), 'End of the range (UTC instant, excluded).', '2026-05-07T18:30:00.000Z'),
  timezone: describe(z.string(), 'The timezone of dates and buckets.', 'Asia/Kolkata'),
};

export const overviewObject = z.object({
  object: describe(z.literal('report'), 'The type of this object.', 'report'),
  ...rangeFields,
  interval: describe(z.enum(intervals), 'Bucket of the series.', 'day'),
  totals: describe(z.object(figures), 'The figures over the whole range.'),
  series: describe(
    z.array(
      z.object({
        at: describe(z.string(), 'Start of the bucket, in the timezone.', '2026-05-01T00:00:00.000+05:30'),
        ...figures,
      }),
    ),
    'The same figures per bucket of conversation creation time, every bucket listed.',
  ),
  first_response_histogram: describe(
    z.array(
      z.object({
        up_to_s: nn('Upper bound of the bucket in seconds (null: longer than the last).', 60),
        count: n('Conversations in it.', 12),
      }),
    ),
    'Conversations by first-response time (up to N seconds; null: longer).',
  ),
  handoffs_by_reason: describe(
    z.array(
      z.object({
        reason: describe(z.string(), 'The handoff reason.', 'billing'),
        count: n('Handoffs with it.', 4),
      }),
    ),
    'Handoffs by reason, most first.',
  ),
  csat_distribution: describe(
    z.array(z.object({ score: n('CSAT score.', 5), count: n('Answers with it.', 20) })),
    'CSAT answers per score.',
  ),
});

const counts = z.record(z.string(), z.number());
export const callsReportObject = z.object({
  object: describe(z.literal('calls_report'), 'The type of this object.', 'calls_report'),
  ...rangeFields,
  total: n('Calls queued in the range.', 42),
  by_status: describe(counts, 'Calls by status.', { completed: 30, no_answer: 12 }),
  by_ended_reason: describe(counts, 'Calls by ended_reason (none: not ended).', { customer_ended_call: 20 }),
  by_answered_by: describe(counts, 'Calls by answered_by (none: not answered).', { human: 28 }),
  duration_p50_s: nn('Median duration of calls with one.', 95),
  duration_p90_s: nn('90th percentile duration.', 240),
  turn_latency_p50_ms: nn("Median of the calls' median turn latency.", 820),
  turn_latency_p95_ms: nn("95th percentile of the calls' p95 turn latency.", 1400),
  transfers: n('Calls transferred (or that began a transfer).', 3),
  successes: n('Calls whose analysis says success.', 12),
  minutes: n('Minutes of calls in all (Parley charges nothing for them).', 150.5),
});

export const usersReportObject = z.object({
  object: describe(z.literal('list'), 'The type of this object.', 'list'),
  ...rangeFields,
  data: describe(
    z.array(
      z.object({
        user_id: describe(z.string(), 'The user.', 'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
        name: describe(z.string(), 'Their name.', 'Priya'),
        email: describe(z.string(), 'Their email.', 'priya@example.com'),
        handled: n('Conversations assigned to the person or first answered by them.', 20),
        replies: n('Their replies in those conversations.', 64),
        first_response_p50_s: nn('Median of their first-response times.', 180),
        first_response_p90_s: nn('90th percentile of them.', 900),
        csat_avg: nn('Average CSAT of the conversations assigned to them.', 4.5),
        csat_responses: n('CSAT answers counted.', 8),
      }),
    ),
    'One row per user of the workspace.',
  ),
});

export const campaignReportObject = z.object({
  object: describe(z.literal('campaign_report'), 'The type of this object.', 'campaign_report'),
  campaign: describe(
    z.object({
      id: describe(z.string(), 'The campaign.', 'cmp_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
      name: describe(z.string(), 'Its name.', 'May reminders'),
      type: describe(z.string(), 'voice or whatsapp.', 'voice'),
    }),
    'The campaign.',
  ),
  funnel: describe(
    z.object({
      total: n('Recipients.', 1000),
      attempted: n('Recipients called or sent to at least once.', 950),
      answered: n('Answered (a person picked up, or the message was sent).', 600),
      completed: n('Answered and done.', 590),
      success: n("Answered, and the call's analysis says success.", 210),
    }),
    'The funnel, each stage within the previous one.',
  ),
  outcomes: describe(counts, 'Recipients by flow outcome.', { interested: 120 }),
});
