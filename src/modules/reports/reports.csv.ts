import { Readable } from 'node:stream';
import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import { analysisFieldNames, type Scope } from '../agents/index.ts';
import type { ConversationAnalysis } from '../conversations/index.ts';
import type { ExportCall } from '../voice/index.ts';
import { callExportPages } from './reports.calls.ts';
import type { ConversationFacts } from './reports.facts.ts';
import type { ReportFilters } from './reports.filters.ts';
import { storedFactPages } from './reports.stored.ts';

/**
 * CSV exports, streamed: rows are read in keyset pages and handed to the reply as a Readable
 * that produces the next page only when the reply has taken the previous one (backpressure), so
 * memory stays flat whatever the number of rows.
 */
type Cell = string | number | boolean | null | undefined;

const FORMULA = /^[=+\-@\t\r]/;
/** A signed number (an E.164 phone number, a negative amount): it cannot be a formula, so it stays as it is. */
const SIGNED_NUMBER = /^[+-]\d+(\.\d+)?$/;
const QUOTED = /[",\r\n]/;

/**
 * One CSV field (RFC 4180), with spreadsheet formulas defused (a leading = + - @ gets a quote).
 * Numbers and booleans are written as they are: they hold no separator and are not formulas; so
 * is a text that is only a signed number (`+919812345678`: phone numbers must reach an importer
 * whole, and a sign and digits run nothing).
 */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') return String(v);
  const s = FORMULA.test(v) && !SIGNED_NUMBER.test(v) ? `'${v}` : v;
  return QUOTED.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * CSV lines written straight into bytes: a page of rows becomes one Buffer, with no string per
 * line or per page on the way, so a page leaves little garbage behind (its rows, the few quoted
 * cells). With the event loop's turn between pages (keysetPages) that garbage dies young, and a
 * million-row export keeps a flat memory (BENCHMARKS.md, fifteenth session).
 */
class CsvChunk {
  #buf = Buffer.allocUnsafe(CHUNK_BYTES);
  #at = 0;

  line(cells: Cell[]): this {
    for (let i = 0; i < cells.length; i++) {
      if (i > 0) this.#bytes(',');
      this.#bytes(csvCell(cells[i]));
    }
    this.#bytes('\r\n');
    return this;
  }

  /** The bytes written so far; the next line starts a new Buffer. */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#at);
    this.#buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.#at = 0;
    return out;
  }

  #bytes(s: string) {
    if (s.length === 0) return;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.#at + s.length * 3 > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + s.length * 3));
      this.#buf.copy(bigger, 0, 0, this.#at);
      this.#buf = bigger;
    }
    this.#at += this.#buf.write(s, this.#at);
  }
}
const CHUNK_BYTES = 64 * 1024;

/** Rows are read in pages of this many, each page written as one chunk (~85 KB for calls). */
const PAGE_ROWS = 250;

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

/** One field of the analysis data: as it is, objects as JSON, nothing for null. */
function dataCell(data: Record<string, unknown> | null | undefined, field: string): Cell {
  const v = data?.[field];
  return v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
}

function analysisCells(json: string | null, fields: string[]): Cell[] {
  const a = fromJson<ConversationAnalysis | null>(json, null);
  return [a?.summary, a?.success, a?.sentiment, a?.engine, ...fields.map((f) => dataCell(a?.data, f))];
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

const conversationRow = (out: CsvChunk, f: ConversationFacts, fields: string[]) =>
  out.line([
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
    const out = new CsvChunk();
    yield out.line([...conversationHeader, ...analysisHeader(fields)]).take();
    for await (const page of storedFactPages(ctx, scope, f, PAGE_ROWS)) {
      for (const c of page) conversationRow(out, c, fields);
      yield out.take();
    }
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

/** The analysis data's fields as cells, from the data object's JSON (null when there is none). */
function dataCells(json: string | null, fields: string[]): Cell[] {
  const data = fields.length === 0 ? null : fromJson<Record<string, unknown> | null>(json, null);
  return fields.map((f) => dataCell(data, f));
}

const callRow = (out: CsvChunk, c: ExportCall, fields: string[]) =>
  out.line([
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
    c.latency_p50_ms,
    c.agent_id,
    c.campaign_id,
    c.contact_id,
    c.conversation_id,
    c.analysis_summary,
    c.analysis_success === 'null' ? null : c.analysis_success,
    c.analysis_sentiment,
    c.analysis_engine,
    ...dataCells(c.analysis_data, fields),
  ]);

/** calls.csv: each call with only the fields the file shows, read by the database (ExportCall). */
export async function callsCsv(ctx: AppContext, scope: Scope, f: ReportFilters): Promise<Readable> {
  const fields = await analysisFieldNames(ctx.db, scope, f.agentId);
  async function* lines() {
    const out = new CsvChunk();
    yield out.line([...callHeader, ...analysisHeader(fields)]).take();
    for await (const page of callExportPages(ctx, scope, f, fields.length > 0, PAGE_ROWS)) {
      for (const c of page) callRow(out, c, fields);
      yield out.take();
    }
  }
  return Readable.from(lines(), { objectMode: false, highWaterMark: 64 * 1024 });
}
