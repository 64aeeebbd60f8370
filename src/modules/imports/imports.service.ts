import { parse } from 'csv-parse';
import type { AppContext } from '../../platform/context.ts';
import type { Dialect, Trx } from '../../platform/db/database.ts';
import { newRow, scopeOf, tenant } from '../../platform/db/scope.ts';
import { refreshStatistics } from '../../platform/db/statistics.ts';
import { ApiError } from '../../platform/errors.ts';
import type { ActorType } from '../../platform/events.ts';
import { type PageRequest, paginate } from '../../platform/http/pagination.ts';
import type { Auth } from '../../platform/http/route.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { NUL_MESSAGE, nulFields } from '../../platform/nul.ts';
import { addMembersInTx, requireAudienceToFill } from '../audiences/index.ts';
import {
  type Attributes,
  normalizeEmail,
  normalizePhone,
  normalizeTags,
  type Scope,
  writeImportedContacts,
} from '../contacts/index.ts';
import { chunkText, decodeUpload, readHeader, splitTags, UploadError } from './csv.ts';
import {
  finishRow,
  importedPhone,
  type RawRow,
  type RowParts,
  readPart,
  stopMarketing,
} from './imports.bsp.ts';
import { processImportJob } from './imports.jobs.ts';
import type { ImportsTable } from './imports.tables.ts';

/** The stored errors list keeps the first this many; `error_count` counts them all. */
export const MAX_STORED_ERRORS = 1000;
const CHUNK_CHARS = 1024 * 1024;
const BATCH_ROWS = 5000;

export interface ImportRowError {
  row: number;
  field: string;
  message: string;
}

export function presentImport(row: ImportsTable) {
  return {
    ...objectHead(row, 'import'),
    status: row.status,
    source: row.source,
    filename: row.filename,
    byte_size: row.byte_size,
    on_conflict: row.on_conflict,
    audience_id: row.audience_id,
    total_rows: row.rows_done,
    created: row.created,
    updated: row.updated,
    skipped: row.skipped,
    failed: row.failed,
    errors: fromJson<ImportRowError[]>(row.errors, []),
    error_count: row.error_count,
    errors_truncated: row.error_count > MAX_STORED_ERRORS,
    started_at: row.started_at,
    completed_at: row.completed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** A row from a JSON upload. */
export interface JsonRow {
  phone?: string | null;
  name?: string | null;
  email?: string | null;
  tags?: string[] | string | null;
  attributes?: Record<string, string | number | boolean | null> | null;
}

export type ImportUpload =
  | { kind: 'csv'; bytes: Buffer; filename: string | null }
  | { kind: 'json'; rows: JsonRow[] };

function* jsonLines(rows: JsonRow[]): Generator<string> {
  let buf: string[] = [];
  let size = 0;
  for (const r of rows) {
    const line = JSON.stringify(r);
    buf.push(line);
    size += line.length + 1;
    if (size >= CHUNK_CHARS) {
      yield buf.join('\n');
      buf = [];
      size = 0;
    }
  }
  if (buf.length) yield buf.join('\n');
}

/** Stores the upload with the import row and its job, in one transaction; 202 once committed. */
export async function createImport(
  ctx: AppContext,
  auth: Auth,
  upload: ImportUpload,
  opts: { audience_id?: string; on_conflict: 'skip' | 'update' },
) {
  if (opts.audience_id) await requireAudienceToFill(ctx.db, auth, opts.audience_id);
  let chunks: Iterable<string>;
  let layout: { delimiter: string; columns: (string | null)[] } | null = null;
  let byteSize: number;
  if (upload.kind === 'csv') {
    byteSize = upload.bytes.length;
    let text: string;
    try {
      text = decodeUpload(upload.bytes);
      layout = readHeader(text);
    } catch (err) {
      if (err instanceof UploadError) {
        if (err.kind === 'binary') throw new ApiError('unsupported_media_type', err.message);
        throw new ApiError('validation_failed', err.message, {
          errors: [{ field: 'file', message: err.message }],
        });
      }
      throw err;
    }
    chunks = chunkText(text, CHUNK_CHARS);
  } else {
    if (!upload.rows.length)
      throw new ApiError('validation_failed', 'rows: give at least one row', {
        errors: [{ field: 'rows', message: 'give at least one row' }],
      });
    byteSize = 0;
    chunks = [...jsonLines(upload.rows)];
    for (const c of chunks) byteSize += Buffer.byteLength(c);
  }
  const now = ctx.clock.now().toISOString();
  const row: ImportsTable = {
    ...newRow('imp', auth),
    status: 'queued',
    source: upload.kind,
    delimiter: layout?.delimiter ?? null,
    columns: layout ? toJson(layout.columns) : null,
    filename: upload.kind === 'csv' ? upload.filename : null,
    byte_size: byteSize,
    on_conflict: opts.on_conflict,
    audience_id: opts.audience_id ?? null,
    default_country: auth.defaultCountry,
    rows_done: 0,
    created: 0,
    updated: 0,
    skipped: 0,
    failed: 0,
    errors: '[]',
    error_count: 0,
    actor_type: auth.actor.type,
    actor_id: auth.actor.id,
    started_at: null,
    completed_at: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.transaction(async (tx) => {
    await tx.db.insertInto('imports').values(row).execute();
    let seq = 0;
    for (const data of chunks)
      await tx.db.insertInto('import_chunks').values({ import_id: row.id, seq: seq++, data }).execute();
    await ctx.queue.enqueue(tx.db, processImportJob, {
      import_id: row.id,
      workspace_id: row.workspace_id,
      livemode: auth.livemode,
    });
  });
  return presentImport(row);
}

export function getImportRow(ctx: AppContext, scope: { workspaceId: string; livemode: boolean }, id: string) {
  return tenant(ctx.db, scope).getById('imports', id, 'import');
}

export async function listImports(
  ctx: AppContext,
  auth: Auth,
  filter: { status?: ImportsTable['status'] },
  page: PageRequest,
) {
  let q = tenant(ctx.db, auth).selectFrom('imports').selectAll();
  if (filter.status) q = q.where('status', '=', filter.status);
  return paginate(q.orderBy('id', 'desc'), page, presentImport);
}

// Processing

/** The stored chunks, one at a time, so a large upload never sits in memory whole. */
async function* storedChunks(ctx: AppContext, importId: string): AsyncGenerator<string> {
  for (let seq = 0; ; seq++) {
    const chunk = await ctx.db
      .selectFrom('import_chunks')
      .select('data')
      .where('import_id', '=', importId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (!chunk) return;
    yield chunk.data;
  }
}

/** The file cannot be read past this line (e.g. an unclosed quote). */
class FileError extends Error {
  readonly row: number;
  constructor(row: number, message: string) {
    super(message);
    this.row = row;
  }
}

type CsvRecord = { record: string[]; info: { lines: number } };

/**
 * Feeds the stored chunks to the parser one at a time and hands on each chunk's records before
 * reading the next, so memory holds one chunk; records parsed before a fatal error (an unclosed
 * quote) are still handed on, then the error is.
 */
async function* csvRecords(ctx: AppContext, imp: ImportsTable): AsyncGenerator<CsvRecord> {
  const parser = parse({
    delimiter: imp.delimiter ?? ',',
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    info: true,
    trim: true,
  });
  let pending: CsvRecord[] = [];
  let failure: (Error & { code?: string; lines?: number }) | undefined;
  let ended = false;
  parser.on('data', (r: CsvRecord) => pending.push(r));
  parser.on('error', (e) => {
    failure = e;
  });
  const settled = new Promise<void>((resolve) => {
    parser.on('end', () => {
      ended = true;
      resolve();
    });
    parser.on('close', () => resolve());
  });
  const take = () => {
    const out = pending;
    pending = [];
    return out;
  };
  for await (const chunk of storedChunks(ctx, imp.id)) {
    await new Promise<void>((resolve) => parser.write(chunk, () => resolve()));
    await new Promise((r) => setImmediate(r));
    yield* take();
    if (failure) break;
  }
  if (!failure) {
    parser.end();
    await settled;
  }
  yield* take();
  if (failure?.code?.startsWith('CSV_'))
    throw new FileError(
      failure.lines ?? 0,
      `The file is not valid CSV from this line on: ${failure.message}`,
    );
  if (failure) throw failure;
  if (!ended) throw new Error('The CSV parser closed before the end of the file');
}

async function* csvRows(ctx: AppContext, imp: ImportsTable): AsyncGenerator<RawRow> {
  const columns = fromJson<(string | null)[]>(imp.columns, []);
  let header = true;
  for await (const { record, info } of csvRecords(ctx, imp)) {
    if (header) {
      header = false;
      continue;
    }
    const raw: RawRow = { row: info.lines, tags: [], attributes: {} };
    const parts: RowParts = {};
    for (let i = 0; i < record.length && i < columns.length; i++) {
      const col = columns[i];
      const cell = record[i];
      if (!col || cell === '') continue;
      if (col === 'phone' || col === 'name' || col === 'email') raw[col] = cell;
      else if (col === 'tags') raw.tags = splitTags(cell);
      else if (!readPart(raw, parts, col, cell)) raw.attributes[col.slice('attributes.'.length)] = cell;
    }
    yield finishRow(raw, parts);
  }
}

async function* jsonRows(ctx: AppContext, imp: ImportsTable): AsyncGenerator<RawRow> {
  let n = 0;
  for await (const chunk of storedChunks(ctx, imp.id)) {
    for (const line of chunk.split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as JsonRow;
      n++;
      const attributes: Attributes = {};
      for (const [k, v] of Object.entries(r.attributes ?? {})) if (v !== null) attributes[k] = v;
      yield {
        row: n,
        phone: r.phone ?? undefined,
        name: r.name ?? undefined,
        email: r.email ?? undefined,
        tags: typeof r.tags === 'string' ? splitTags(r.tags) : normalizeTags(r.tags ?? []),
        attributes,
      };
    }
  }
}

interface Valid {
  row: number;
  phone: string | null;
  email: string | null;
  name: string | null;
  tags: string[];
  attributes: Attributes;
  marketingStopped: boolean;
}

interface BatchOutcome {
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  errors: ImportRowError[];
  /** Phones whose row stopped WhatsApp marketing (an opt-out column). */
  stoppedPhones: string[];
}

/** A row's contact, or why it cannot be written (a failure, or a skip as a duplicate). */
function validateRow(
  r: RawRow,
  scope: Scope,
  seen: Map<string, number>,
): Valid | { skip: boolean; error: ImportRowError } {
  const fail = (field: string, message: string) => ({ skip: false, error: { row: r.row, field, message } });
  const nul = nulFields({
    phone: r.phone,
    name: r.name,
    email: r.email,
    tags: r.tags,
    attributes: r.attributes,
  });
  if (nul.length) return fail(nul[0]!, NUL_MESSAGE);
  const phone = r.phone ? importedPhone(r.phone, scope.defaultCountry) : null;
  const email = r.email ? normalizeEmail(r.email) : null;
  if (r.phone && !phone)
    return fail('phone', `must be a valid E.164 phone number (got ${JSON.stringify(r.phone.slice(0, 40))})`);
  if (r.email && !email)
    return fail('email', `must be a valid email address (got ${JSON.stringify(r.email.slice(0, 80))})`);
  if (!phone && !email) return fail('phone', 'a phone or an email is required');
  const key = phone ?? `email:${email}`;
  const first = seen.get(key);
  if (first !== undefined)
    return {
      skip: true,
      error: {
        row: r.row,
        field: phone ? 'phone' : 'email',
        message: `duplicate of row ${first} in this file; skipped`,
      },
    };
  seen.set(key, r.row);
  return {
    row: r.row,
    phone,
    email,
    name: r.name?.trim() || null,
    tags: r.tags,
    attributes: r.attributes,
    marketingStopped: r.marketingStopped === true,
  };
}

/** Validates and writes one batch of rows in the caller's transaction. */
async function writeBatch(
  trx: Trx,
  dialect: Dialect,
  imp: ImportsTable,
  scope: Scope,
  rows: RawRow[],
  seen: Map<string, number>,
  now: string,
): Promise<BatchOutcome> {
  const out: BatchOutcome = { created: 0, updated: 0, skipped: 0, failed: 0, errors: [], stoppedPhones: [] };
  const valid: Valid[] = [];
  for (const r of rows) {
    const v = validateRow(r, scope, seen);
    if ('error' in v) {
      if (v.skip) out.skipped++;
      else out.failed++;
      out.errors.push(v.error);
    } else valid.push(v);
  }
  if (!valid.length) return out;
  out.stoppedPhones = valid.flatMap((v) => (v.marketingStopped && v.phone ? [v.phone] : []));

  const written = await writeImportedContacts(trx, dialect, scope, valid, {
    update: imp.on_conflict === 'update',
    now,
    memberIds: imp.audience_id !== null,
  });
  out.created += written.created;
  out.updated += written.updated;
  out.skipped += written.skipped;
  const memberIds = written.contactIds;
  if (imp.audience_id && memberIds.length) await addMembersInTx(trx, imp.audience_id, memberIds, now);
  return out;
}

async function finish(
  ctx: AppContext,
  imp: ImportsTable,
  status: 'completed' | 'failed',
  extraError?: ImportRowError,
) {
  await ctx.transaction(async (tx) => {
    const cur = await tx.db
      .selectFrom('imports')
      .selectAll()
      .where('id', '=', imp.id)
      .executeTakeFirstOrThrow();
    const now = ctx.clock.now().toISOString();
    const errors = fromJson<ImportRowError[]>(cur.errors, []);
    let errorCount = cur.error_count;
    if (extraError) {
      if (errors.length < MAX_STORED_ERRORS) errors.push(extraError);
      errorCount++;
    }
    const done: ImportsTable = {
      ...cur,
      status,
      errors: toJson(errors),
      error_count: errorCount,
      completed_at: now,
      updated_at: now,
    };
    await tx.db
      .updateTable('imports')
      .set({ status, errors: done.errors, error_count: errorCount, completed_at: now, updated_at: now })
      .where('id', '=', imp.id)
      .execute();
    // The upload is no longer needed once its rows are written.
    await tx.db.deleteFrom('import_chunks').where('import_id', '=', imp.id).execute();
    await tx.emit({
      ...scopeOf(imp),
      type: 'import.completed',
      actor: { type: imp.actor_type as ActorType, id: imp.actor_id },
      data: presentImport(done),
    });
  });
}

/**
 * Streams the stored upload through the parser and writes contacts in batches of 5,000, one
 * transaction per batch together with the import's counters, so progress is visible and a
 * retried job resumes after the last committed batch. Imports emit one `import.completed`,
 * not an event per contact.
 */
/** A row written by an earlier attempt still counts for in-file duplicate detection. */
function rememberWritten(raw: RawRow, scope: Scope, seen: Map<string, number>) {
  const phone = raw.phone ? normalizePhone(raw.phone, scope.defaultCountry) : null;
  const email = raw.email ? normalizeEmail(raw.email) : null;
  const k = phone ?? (email ? `email:${email}` : null);
  if (k && !seen.has(k)) seen.set(k, raw.row);
}

/** Adds a batch's counts and its first errors (up to MAX_STORED_ERRORS in all) to the import. */
async function recordBatch(trx: Trx, importId: string, rows: number, o: BatchOutcome, now: string) {
  const cur = await trx
    .selectFrom('imports')
    .select(['errors', 'error_count'])
    .where('id', '=', importId)
    .executeTakeFirstOrThrow();
  const stored = fromJson<ImportRowError[]>(cur.errors, []);
  const room = MAX_STORED_ERRORS - stored.length;
  const errors = room > 0 && o.errors.length ? toJson([...stored, ...o.errors.slice(0, room)]) : cur.errors;
  await trx
    .updateTable('imports')
    .set((eb) => ({
      rows_done: eb('rows_done', '+', rows),
      created: eb('created', '+', o.created),
      updated: eb('updated', '+', o.updated),
      skipped: eb('skipped', '+', o.skipped),
      failed: eb('failed', '+', o.failed),
      error_count: cur.error_count + o.errors.length,
      errors,
      updated_at: now,
    }))
    .where('id', '=', importId)
    .execute();
}

export async function processImport(
  ctx: AppContext,
  payload: { import_id: string; workspace_id: string; livemode: boolean },
  lastAttempt: boolean,
) {
  const scopeKey = { workspaceId: payload.workspace_id, livemode: payload.livemode };
  const imp = await getImportRow(ctx, scopeKey, payload.import_id).catch(() => undefined);
  if (!imp || imp.status === 'completed' || imp.status === 'failed') return;
  const scope: Scope = { ...scopeKey, defaultCountry: imp.default_country };
  const startedAt = imp.started_at ?? ctx.clock.now().toISOString();
  await ctx.db
    .updateTable('imports')
    .set({ status: 'processing', started_at: startedAt, updated_at: ctx.clock.now().toISOString() })
    .where('id', '=', imp.id)
    .execute();

  const seen = new Map<string, number>();
  let index = 0;
  let batch: RawRow[] = [];
  const flush = async () => {
    const rows = batch;
    batch = [];
    if (!rows.length) return;
    const now = ctx.clock.now().toISOString();
    await ctx.transaction(async (tx) => {
      const o = await writeBatch(tx.db, ctx.dialect, imp, scope, rows, seen, now);
      await stopMarketing(tx, scope, imp.id, o.stoppedPhones, ctx.clock.now());
      await recordBatch(tx.db, imp.id, rows.length, o, now);
    });
  };

  try {
    for await (const raw of imp.source === 'csv' ? csvRows(ctx, imp) : jsonRows(ctx, imp)) {
      index++;
      if (index <= imp.rows_done) {
        rememberWritten(raw, scope, seen);
        continue;
      }
      batch.push(raw);
      if (batch.length >= BATCH_ROWS) await flush();
    }
    await flush();
  } catch (err) {
    if (err instanceof FileError) {
      await flush();
      await finish(ctx, imp, 'failed', { row: err.row, field: 'file', message: err.message });
      return;
    }
    if (lastAttempt) {
      ctx.logger.error({ err, import_id: imp.id }, 'import failed');
      await finish(ctx, imp, 'failed', {
        row: 0,
        field: 'file',
        message: 'The import stopped on an internal error; the rows counted were written.',
      });
      return;
    }
    throw err;
  }
  await finish(ctx, imp, 'completed');
  // A bulk write: the planner's statistics of what it filled are gathered now, not left to
  // autovacuum (which some servers run rarely or never).
  await refreshStatistics(ctx, imp.audience_id ? ['contacts', 'audience_members'] : ['contacts']).catch(
    (err: Error) => ctx.logger.warn({ err: err.message }, 'planner statistics could not be gathered'),
  );
}
