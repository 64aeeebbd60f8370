import { newRow, tenant } from '../../platform/db/scope.ts';
import './knowledge.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Dialect, Trx } from '../../platform/db/database.ts';
import { ApiError, invalidField, notFound } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import type { PageRequest } from '../../platform/http/pagination.ts';
import { paginate, whereEquals } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { consumeLimit, type PlanLimits } from '../../platform/limits.ts';
import { getAgentRow } from '../agents/index.ts';
import { type Chunk, type FaqPair, faqChunks, parseFaqText, textChunks } from './chunking.ts';
import { fetchPageText, fileToText, htmlToText, looksBinary } from './extract.ts';
import type { KnowledgeDocumentsTable } from './knowledge.tables.ts';
import { indexChunk, type Scope, type SearchHit, textSearch, unindexDocument } from './search.ts';

export type DocType = 'text' | 'faq' | 'markdown' | 'url' | 'file';

/** Largest indexed text of one document; the body limit of the routes is set above it. */
export const MAX_DOCUMENT_CHARS = 1_000_000;
export const MAX_CHUNKS_PER_DOCUMENT = 2_000;

export interface DocumentInput {
  title?: string;
  doc_type: DocType;
  content?: string;
  faqs?: FaqPair[];
  url?: string;
  file?: { filename: string; content_base64: string };
}

/** Where a write comes from, for the limit and the event. */
export interface WriteAuth extends Scope {
  actor: Actor;
  limits: PlanLimits;
}

export function presentDocument(row: KnowledgeDocumentsTable) {
  return {
    ...objectHead(row, 'knowledge_document'),
    agent_id: row.agent_id,
    title: row.title,
    doc_type: row.doc_type as DocType,
    content: row.content,
    faqs: fromJson<FaqPair[] | null>(row.faqs, null),
    url: row.source_url,
    filename: row.filename,
    chunk_count: row.chunk_count,
    char_count: row.char_count,
    status: 'indexed' as const,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

interface Prepared {
  title: string;
  content: string;
  faqs: FaqPair[] | null;
  url: string | null;
  filename: string | null;
  chunks: Chunk[];
}

/** Reads, fetches or extracts the document's text and chunks it. Runs before any transaction (it may fetch). */
export async function prepareDocument(
  input: DocumentInput,
  opts: { allowPrivate: boolean },
): Promise<Prepared> {
  const source = await readSource(input, opts.allowPrivate);
  if (input.doc_type !== 'url' && input.doc_type !== 'file' && input.url)
    throw invalidField('url', 'is only for doc_type url');
  const content = indexableText(input.doc_type, source.content);
  const title =
    source.title ||
    content
      .split('\n')[0]
      .replace(/^#+\s*/, '')
      .slice(0, 120) ||
    'Untitled';
  const chunks = source.faqs ? faqChunks(source.faqs) : textChunks(title, content);
  if (chunks.length > MAX_CHUNKS_PER_DOCUMENT)
    throw new ApiError(
      'payload_too_large',
      `The document makes more than ${MAX_CHUNKS_PER_DOCUMENT} passages; split it.`,
    );
  return { ...source, title: title.slice(0, 300), content, chunks };
}

/** A document's text before checks, and what it keeps of its source; the title may still be empty. */
type Source = Omit<Prepared, 'chunks'>;

async function readSource(input: DocumentInput, allowPrivate: boolean): Promise<Source> {
  const base: Source = {
    title: input.title?.trim() ?? '',
    content: input.content ?? '',
    faqs: null,
    url: null,
    filename: null,
  };
  switch (input.doc_type) {
    case 'url':
      return readUrl(input, base, allowPrivate);
    case 'file':
      return readFile(input, base);
    case 'faq':
      return readFaq(input, base);
    default:
      return /^\s*<(!doctype|html|body)/i.test(base.content)
        ? { ...base, content: htmlToText(base.content) }
        : base;
  }
}

async function readUrl(input: DocumentInput, base: Source, allowPrivate: boolean): Promise<Source> {
  if (!input.url) throw invalidField('url', 'is required for doc_type url');
  const page = await fetchPageText(input.url, { allowPrivate });
  return { ...base, url: input.url, content: page.text, title: base.title || (page.title ?? input.url) };
}

/** An uploaded file's text (PDF or text); text given in `content` instead is taken as it is. */
async function readFile(input: DocumentInput, base: Source): Promise<Source> {
  if (!input.file) {
    if (!input.content)
      throw invalidField('file', 'is required for doc_type file (or upload it with multipart)');
    return { ...base, title: base.title || 'Untitled file' };
  }
  const filename = input.file.filename;
  const bytes = Buffer.from(input.file.content_base64, 'base64');
  if (bytes.length === 0) throw invalidField('file.content_base64', 'is empty or not base64');
  return { ...base, filename, content: await fileToText(bytes, filename), title: base.title || filename };
}

/** The pairs given in `faqs`, or read from `content`; the text indexed is the pairs written out. */
function readFaq(input: DocumentInput, base: Source): Source {
  const faqs = input.faqs?.length ? input.faqs : parseFaqText(base.content);
  if (faqs.length === 0) {
    throw invalidField(
      input.faqs ? 'faqs' : 'content',
      'holds no question and answer pair (write "Q: ... A: ..." pairs or send `faqs`)',
    );
  }
  return { ...base, faqs, content: faqs.map((f) => `Q: ${f.question}\nA: ${f.answer}`).join('\n\n') };
}

/** The trimmed text, refused when it is binary, empty or over the size limit. */
function indexableText(docType: DocType, raw: string): string {
  if (looksBinary(raw)) {
    throw new ApiError(
      'unsupported_media_type',
      'The content is binary, not text; upload PDFs with doc_type "file".',
      {
        errors: [{ field: 'content', message: 'is binary, not text' }],
      },
    );
  }
  const content = raw.trim();
  if (!content)
    throw invalidField(
      docType === 'url' ? 'url' : docType === 'file' ? 'file' : 'content',
      'has no text to index',
    );
  if (content.length > MAX_DOCUMENT_CHARS) {
    throw new ApiError(
      'payload_too_large',
      `The document has ${content.length} characters of text; the limit is ${MAX_DOCUMENT_CHARS}. Split it into several documents.`,
    );
  }
  return content;
}

/** Stores a document's passages and indexes them (in the caller's transaction). */
export async function writeChunks(
  db: Db | Trx,
  dialect: Dialect,
  doc: KnowledgeDocumentsTable,
  chunks: Chunk[],
) {
  for (const [position, c] of chunks.entries()) {
    const row = {
      id: newId('chunk'),
      workspace_id: doc.workspace_id,
      livemode: doc.livemode,
      agent_id: doc.agent_id,
      doc_id: doc.id,
      position,
      title: c.title.slice(0, 300),
      text: c.text,
      embedding: null,
      created_at: doc.updated_at,
    };
    await db.insertInto('knowledge_chunks').values(row).execute();
    await indexChunk(db, dialect, row);
  }
}

const consumeWrite = (ctx: AppContext, auth: WriteAuth) =>
  consumeLimit(
    ctx.rateLimits,
    `${auth.workspaceId}:${auth.livemode ? 'live' : 'test'}`,
    'knowledge_writes_per_day',
    auth.limits,
    1,
    ctx.clock.now().getTime(),
  );

export async function createDocument(
  ctx: AppContext,
  auth: WriteAuth,
  agentId: string,
  input: DocumentInput,
) {
  await getAgentRow(ctx.db, auth, agentId);
  const prepared = await prepareDocument(input, { allowPrivate: ctx.config.webhookAllowPrivate });
  await consumeWrite(ctx, auth);
  const now = ctx.clock.now().toISOString();
  const row: KnowledgeDocumentsTable = {
    ...newRow('kb', auth),
    agent_id: agentId,
    ...indexedColumns(input, prepared),
    created_at: now,
    updated_at: now,
  };
  const view = await ctx.transaction(async (tx) => {
    await tx.db.insertInto('knowledge_documents').values(row).execute();
    return indexAndEmit(tx, ctx, auth, row, prepared.chunks);
  });
  // Again after the commit: a search between the write and the commit may have counted the old words.
  ctx.modules.knowledge.termCounts.forget(agentId);
  return view;
}

/** The columns a document's (re)indexing sets from what the caller sent and what was prepared of it. */
function indexedColumns(input: DocumentInput, prepared: Prepared) {
  return {
    title: prepared.title,
    doc_type: input.doc_type,
    content: prepared.content,
    faqs: prepared.faqs ? toJson(prepared.faqs) : null,
    source_url: prepared.url,
    filename: prepared.filename,
    chunk_count: prepared.chunks.length,
    char_count: prepared.content.length,
  };
}

/** Writes the document's chunks and emits `knowledge.indexed`, in the caller's transaction. */
async function indexAndEmit(
  tx: Tx,
  ctx: AppContext,
  auth: WriteAuth,
  row: KnowledgeDocumentsTable,
  chunks: Chunk[],
) {
  await writeChunks(tx.db, ctx.dialect, row, chunks);
  const view = presentDocument(row);
  await tx.emit({
    workspaceId: auth.workspaceId,
    livemode: auth.livemode,
    type: 'knowledge.indexed',
    actor: auth.actor,
    data: summary(view),
  });
  return view;
}

/** The event carries the document without its (possibly large) text. */
function summary(view: ReturnType<typeof presentDocument>) {
  const { content: _content, faqs: _faqs, ...rest } = view;
  return rest;
}

async function getRow(ctx: AppContext, scope: Scope, agentId: string, id: string) {
  const row = await tenant(ctx.db, scope)
    .selectFrom('knowledge_documents')
    .selectAll()
    .where('id', '=', id)
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  if (!row) throw notFound('knowledge document', id);
  return row;
}

export async function getDocument(ctx: AppContext, scope: Scope, agentId: string, id: string) {
  await getAgentRow(ctx.db, scope, agentId);
  return presentDocument(await getRow(ctx, scope, agentId, id));
}

export async function listDocuments(
  ctx: AppContext,
  scope: Scope,
  agentId: string,
  page: PageRequest,
  filters: { doc_type?: DocType },
) {
  await getAgentRow(ctx.db, scope, agentId);
  const q = tenant(ctx.db, scope)
    .selectFrom('knowledge_documents')
    .selectAll()
    .where('agent_id', '=', agentId);
  return paginate(whereEquals(q, filters, ['doc_type']).orderBy('id', 'desc'), page, presentDocument);
}

/** Replaces the document's content and re-indexes it (PUT: the whole document). */
export async function replaceDocument(
  ctx: AppContext,
  auth: WriteAuth,
  agentId: string,
  id: string,
  input: DocumentInput,
) {
  await getAgentRow(ctx.db, auth, agentId);
  const existing = await getRow(ctx, auth, agentId, id);
  const prepared = await prepareDocument(input, { allowPrivate: ctx.config.webhookAllowPrivate });
  await consumeWrite(ctx, auth);
  const now = ctx.clock.now().toISOString();
  const row: KnowledgeDocumentsTable = {
    ...existing,
    ...indexedColumns(input, prepared),
    updated_at: now,
  };
  const view = await ctx.transaction(async (tx) => {
    await unindexDocument(tx.db, ctx.dialect, id);
    await tx.db.deleteFrom('knowledge_chunks').where('doc_id', '=', id).execute();
    const { id: _id, workspace_id: _w, livemode: _l, agent_id: _a, created_at: _c, ...changes } = row;
    await tx.db.updateTable('knowledge_documents').set(changes).where('id', '=', id).execute();
    return indexAndEmit(tx, ctx, auth, row, prepared.chunks);
  });
  ctx.modules.knowledge.termCounts.forget(agentId);
  return view;
}

export async function deleteDocument(ctx: AppContext, scope: Scope, agentId: string, id: string) {
  await getAgentRow(ctx.db, scope, agentId);
  await getRow(ctx, scope, agentId, id);
  await ctx.transaction(async (tx) => {
    await unindexDocument(tx.db, ctx.dialect, id);
    await tx.db.deleteFrom('knowledge_chunks').where('doc_id', '=', id).execute();
    await tx.db.deleteFrom('knowledge_documents').where('id', '=', id).execute();
  });
  ctx.modules.knowledge.termCounts.forget(agentId);
  return { id, object: 'knowledge_document' as const, deleted: true as const };
}

/** Ranked passages of one agent's knowledge for a query (no agent check: callers have the agent). */
export async function searchKnowledge(
  ctx: AppContext,
  scope: Scope,
  agentId: string,
  query: string,
  topK = 5,
): Promise<SearchHit[]> {
  return textSearch(
    ctx.db,
    ctx.dialect,
    scope,
    agentId,
    query,
    Math.min(Math.max(1, topK), 50),
    ctx.modules.knowledge.termCounts,
  );
}

export async function searchKnowledgeRoute(
  ctx: AppContext,
  scope: Scope,
  agentId: string,
  query: string,
  topK: number,
) {
  await getAgentRow(ctx.db, scope, agentId);
  const started = performance.now();
  const hits = await searchKnowledge(ctx, scope, agentId, query, topK);
  return {
    object: 'list' as const,
    query,
    data: hits,
    took_ms: Math.round((performance.now() - started) * 100) / 100,
  };
}
