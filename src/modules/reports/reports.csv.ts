import { Readable } from 'node:stream';
import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import { analysisFieldNames, type Scope } from '../agents/index.ts';
import type { ConversationAnalysis } from '../conversations/index.ts';
import { callPages } from './reports.calls.ts';
import type { ConversationFacts } from './reports.facts.ts';
import type { ReportFilters } from './reports.filters.ts';
import { storedFactPages } from './reports.stored.ts';

/**
 * CSV exports, streamed: rows are read in keyset pages and handed to the reply as a Readable
 * that produces the next page only when the reply has taken the previous one (backpressure), so
 * memory stays flat whatever the number of rows.
 */
type Cell = string | number | boolean | null | undefined;

/** One CSV field (RFC 4180), with spreadsheet formulas defused (a leading = + - @ gets a quote). */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const csvLine = (cells: Cell[]) => `${cells.map(csvCell).join(',')}\r\n`;

/** A key exports its own mode's data only: asking a test key for live data (or the reverse) is refused. */
export function checkMode(scope: Scope, livemode: boolean | undefined) {
  if (livemode === undefined || livemode === scope.livemode) return;
  throw new ApiError(
    'forbidden',
    scope.livemode
      ? 'This is a live key: it exports live data only. Use a test key to export test data.'
      : 'This is a test key: it exports test data only. Use a live key to export live data.',
  );
}

function analysisCells(json: string | null, fields: string[]): Cell[] {
  const a = fromJson<ConversationAnalysis | null>(json, null);
  const data = a?.data ?? {};
  return [
    a?.summary,
    a?.success,
    a?.sentiment,
    a?.engine,
    ...fields.map((f) => {
      const v = data[f];
      return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
    }),
  ];
}
const analysisHeader = (fields: string[]) => [
  'analysis_summary',
  'analysis_success',
  'analysis_sentiment',
  'analysis_engine',
  ...fields.map((f) => `data.${f}`),
];

const conversationHeader = [
  'id',
  'created_at',
  'channel',
  'status',
  'contact_id',
  'contact_address',
  'agent_id',
  'assignee_type',
  'assignee_id',
  'messages_in',
  'messages_out',
  'first_response_s',
  'human_first_response_s',
  'resolution_s',
  'closed_at',
  'handoff',
  'handoff_reasons',
  'ai_resolved',
  'csat_score',
  'csat_comment',
  'sla_met',
  'leads',
  'bookings',
];

const conversationRow = (f: ConversationFacts, fields: string[]) =>
  csvLine([
    f.row.id,
    f.row.created_at,
    f.row.channel,
    f.row.status,
    f.row.contact_id,
    f.row.contact_address,
    f.row.agent_id,
    f.row.assignee_type,
    f.row.assignee_id,
    f.messages_in,
    f.messages_out,
    f.first_response_s,
    f.human_first_response_s,
    f.resolution_s,
    f.row.closed_at,
    f.handoff,
    f.handoff_reasons.join(';'),
    f.ai_resolved,
    f.row.csat_score,
    f.row.csat_comment,
    f.sla_met,
    f.leads,
    f.bookings,
    ...analysisCells(f.row.analysis, fields),
  ]);

export async function conversationsCsv(ctx: AppContext, scope: Scope, f: ReportFilters): Promise<Readable> {
  const fields = await analysisFieldNames(ctx.db, scope, f.agentId);
  async function* lines() {
    yield csvLine([...conversationHeader, ...analysisHeader(fields)]);
    for await (const page of storedFactPages(ctx, scope, f))
      yield page.map((c) => conversationRow(c, fields)).join('');
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
}

const callHeader = [
  'id',
  'queued_at',
  'answered_at',
  'ended_at',
  'direction',
  'from',
  'to',
  'status',
  'answered_by',
  'ended_reason',
  'duration_seconds',
  'transferred',
  'latency_p50_ms',
  'agent_id',
  'campaign_id',
  'contact_id',
  'conversation_id',
];

export async function callsCsv(ctx: AppContext, scope: Scope, f: ReportFilters): Promise<Readable> {
  const fields = await analysisFieldNames(ctx.db, scope, f.agentId);
  async function* lines() {
    yield csvLine([...callHeader, ...analysisHeader(fields)]);
    for await (const page of callPages(ctx, scope, f)) {
      yield page
        .map((c) =>
          csvLine([
            c.id,
            c.queued_at,
            c.answered_at,
            c.ended_at,
            c.direction,
            c.from_address,
            c.to_address,
            c.status,
            c.answered_by,
            c.ended_reason,
            c.duration_seconds,
            c.transfer_started_at !== null || c.ended_reason === 'transferred',
            fromJson<{ p50_ms?: number | null }>(c.latency, {}).p50_ms ?? null,
            c.agent_id,
            c.campaign_id,
            c.contact_id,
            c.conversation_id,
            ...analysisCells(c.analysis ?? null, fields),
          ]),
        )
        .join('');
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
}
