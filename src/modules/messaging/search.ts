/**
 * Full-text search over every message of a workspace (GET /v1/search): SQLite's FTS5 index and
 * PostgreSQL's GIN index over the `parley_search` tsvector ('simple', accents folded) (messaging.migrations.ts, 0229). The query is
 * cut into words here, the same way for both storages, so what a person types is never read as
 * either engine's operators: each word must appear (as a word or the start of one), in any order.
 * A code ("GF-77341", platform/db/search-text.ts) is one word: its joined form ("gf77341") begins a
 * word of the message, or, when no message has it so, its parts follow each other there
 * (codeFirstHits; "77341" alone is a word like any).
 * Conversations are ranked by their best message (bm25 on SQLite, ts_rank with length
 * normalisation on PostgreSQL); conversations whose contact's name, email or phone matches come
 * first. Snippets and highlights are cut in JS from the stored text, the same on both storages.
 */
import { type RawBuilder, sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import { inRowScope, type Scope, scopeSql } from '../../platform/db/scope.ts';
import { CODE, codeParts, hasSeparator, isCode, joinedCode } from '../../platform/db/search-text.ts';
import { invalidField } from '../../platform/errors.ts';
import { contactIdsMatching } from '../contacts/index.ts';
import {
  type ConversationObject,
  type ConversationSearchFilters,
  conversationIdsFiltered,
  conversationIdsOfContacts,
  presentedConversationsByIds,
} from '../conversations/index.ts';

export interface SearchRequest extends ConversationSearchFilters {
  q: string;
  /** ISO date-times: only messages written at or after `from`, before `to`. */
  from?: string;
  to?: string;
  page: number;
  perPage: number;
}

export interface SearchMatch {
  message_id: string;
  direction: 'inbound' | 'outbound';
  sender_type: string;
  type: string;
  created_at: string;
  /** Up to ~160 characters of the message around its first matching word. */
  snippet: string;
  /** `[start, end)` offsets (UTF-16 code units, as JavaScript strings count) of each matching word in `snippet`. */
  highlights: Array<[number, number]>;
}

export interface SearchResult {
  conversation: ConversationObject;
  /** The conversation's best-ranked matching messages (at most 3). */
  matches: SearchMatch[];
  /** Whether the contact's name, email or phone matched. */
  contact_match: boolean;
}

/** At most this many words of a query are searched for (the rest would only narrow further). */
const MAX_WORDS = 8;
/** Matching messages ranked per query: past them, the newest matches win (a word in every message costs no more). */
const CANDIDATES = 300;
/** A code's newest messages that the other words of its query are checked on (PostgreSQL). */
const CODE_CANDIDATES = 20 * CANDIDATES;
const MATCHES_PER_CONVERSATION = 3;
const SNIPPET_CHARS = 160;

/** A word of a query; a code's word is its joined form, and `parts` its parts in order. */
export interface QueryWord {
  word: string;
  parts?: string[];
  /** A code searched by its joined form alone (codeFirstHits). */
  code?: boolean;
}

/** Codes first, then runs of letters, digits and combining marks (Devanagari's vowel signs belong to their word). */
const TOKENS = new RegExp(`${CODE.source}|[\\p{L}\\p{N}\\p{M}]+`, 'gu');

/**
 * The words of a query, lower-cased: codes and runs of letters, digits and combining marks;
 * operators, quotes and punctuation separate words and mean nothing else (a run joined by
 * separators without a digit, "zebra-crossing", is its words). A 400 when nothing searchable is left.
 */
export function queryWords(q: string): QueryWord[] {
  const words = new Map<string, QueryWord>();
  for (const [token] of q.normalize('NFC').toLowerCase().matchAll(TOKENS)) {
    if (!isCode(token)) {
      for (const part of hasSeparator(token) ? codeParts(token) : [token])
        words.set(part, { word: part.slice(0, 64) });
      continue;
    }
    const word = joinedCode(token).slice(0, 64);
    words.set(word, { word, parts: codeParts(token).map((p) => p.slice(0, 64)) });
  }
  if (words.size === 0) throw invalidField('q', 'must contain at least one letter or digit to search for');
  return [...words.values()].slice(0, MAX_WORDS);
}

/** A prefix standing for more indexed words than this is searched as a prefix. */
const MAX_TERMS = 16;

/**
 * The indexed words (FTS5 terms) starting with `prefix`, or null when there are more than
 * MAX_TERMS. Each is one seek of the index's term list (`message_fts_terms`, 0239): the first
 * term at or after the last one found plus \x01, so no posting list is read.
 */
async function termsStartingWith(ctx: AppContext, prefix: string): Promise<string[] | null> {
  const last = prefix.codePointAt(prefix.length - 1) ?? 0;
  const upper = prefix.slice(0, -1) + String.fromCodePoint(last + 1);
  const terms: string[] = [];
  let from = prefix;
  while (terms.length <= MAX_TERMS) {
    const row = (
      await sql<{ term: string }>`select term from message_fts_terms
        where term >= ${from} and term < ${upper} limit 1`.execute(ctx.db)
    ).rows[0];
    if (!row) return terms;
    terms.push(row.term);
    from = `${row.term}\x01`;
  }
  return null;
}

/**
 * The FTS5 query for `words`, each word as the indexed words it begins spelled out
 * (`("please" OR "pleased")`): FTS5 then reads their posting lists newest first and stops at the
 * limit, where a prefix (`"please"*`) would merge them whole first. A word of no message matches
 * nothing. Words with other than ASCII letters and digits (whose indexed form the tokenizer folds)
 * and prefixes of more than MAX_TERMS words stay prefixes.
 */
async function ftsMatch(ctx: AppContext, words: QueryWord[]): Promise<string> {
  const prefixOf = async (w: string) => {
    if (!/^[a-z0-9]+$/.test(w)) return `"${w}"*`;
    const terms = await termsStartingWith(ctx, w);
    if (terms === null) return `"${w}"*`;
    if (terms.length === 0) return `"${w}"`;
    return `(${terms.map((t) => `"${t}"`).join(' OR ')})`;
  };
  const parts = await Promise.all(
    words.map(async ({ word, parts }) =>
      parts ? `(${await prefixOf(word)} OR ${parts.map((p) => `"${p}"`).join(' + ')}*)` : prefixOf(word),
    ),
  );
  return parts.join(' AND ');
}
/** tsquery: each word quoted as a lexeme, matched as a prefix; a code's parts as a phrase. */
const tsQuery = (words: QueryWord[]) =>
  words
    .map(({ word, parts }) =>
      parts ? `('${word}':* | ${parts.map((p) => `'${p}'`).join(' <-> ')}:*)` : `'${word}':*`,
    )
    .join(' & ');

interface Hit {
  id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  sender_type: string;
  type: string;
  created_at: string;
  score: number;
}

/**
 * The newest CANDIDATES messages matching `words`, best first (lower score is better). Their text
 * is not read here: only the page's shown matches need it (textsOf).
 */
async function messageHits(
  ctx: AppContext,
  scope: Scope,
  words: QueryWord[],
  req: SearchRequest,
): Promise<Hit[]> {
  const filtered = conversationIdsFiltered(ctx, scope, req);
  const inConversations = filtered ? sql`and m.conversation_id in (${filtered})` : sql``;
  const from = req.from ? sql`and m.created_at >= ${req.from}` : sql``;
  const to = req.to ? sql`and m.created_at < ${req.to}` : sql``;
  let query: RawBuilder<Hit>;
  if (ctx.dialect === 'sqlite') {
    query = sql<Hit>`select * from (
        select m.id, m.conversation_id, m.direction, m.sender_type, m.type, m.created_at,
          bm25(message_fts) as score
        from message_fts join messages m on m.rowid = message_fts.rowid
        where message_fts match ${await ftsMatch(ctx, words)} and ${scopeSql(scope, 'm')}
          and m.deleted_at is null ${inConversations} ${from} ${to}
        order by message_fts.rowid desc limit ${CANDIDATES}
      ) order by score, id desc`;
  } else {
    // Ranked after the newest candidates are cut, so ts_rank runs for CANDIDATES rows at most.
    const tsq = sql`to_tsquery('parley_search', ${tsQuery(words)})`;
    // A code beside other words ("order GF-77341"): the code's own messages are few, where a
    // common word's ("order") are many, so those are found first (materialized: the planner would
    // otherwise AND both words' index scans) and the other words checked on them alone.
    const code = words.length > 1 ? words.find((w) => w.parts || w.code) : undefined;
    const source = code
      ? sql`(with coded as materialized (
            select m.id, m.conversation_id, m.direction, m.sender_type, m.type, m.created_at, m.search_tsv
            from messages m
            where m.search_tsv @@ to_tsquery('parley_search', ${tsQuery([code])}) and ${scopeSql(scope, 'm')}
              and m.deleted_at is null ${inConversations} ${from} ${to}
            order by m.id desc limit ${CODE_CANDIDATES}
          ) select * from coded) as m`
      : sql`messages as m`;
    const where = code
      ? sql`m.search_tsv @@ ${tsq}`
      : sql`m.search_tsv @@ ${tsq} and ${scopeSql(scope, 'm')}
          and m.deleted_at is null ${inConversations} ${from} ${to}`;
    query = sql<Hit>`select hits.id, hits.conversation_id, hits.direction, hits.sender_type, hits.type,
        hits.created_at, -ts_rank(hits.search_tsv, ${tsq}, 1) as score
      from (
        select m.id, m.conversation_id, m.direction, m.sender_type, m.type, m.created_at, m.search_tsv
        from ${source}
        where ${where}
        order by m.id desc limit ${CANDIDATES}
      ) as hits order by score, hits.id desc`;
  }
  return (await query.execute(ctx.db)).rows;
}

/**
 * A code is searched by its joined form first, which the index holds as one word for every code a
 * message wrote ("v2.3.1" → "v231"): a short posting list however common its parts are. Only when
 * that finds nothing are its parts searched as a phrase (a code written with spaces, "GF 77341"),
 * whose single-digit parts ("v", "2", "3", "1") each stand in a large share of the messages.
 */
async function codeFirstHits(
  ctx: AppContext,
  scope: Scope,
  words: QueryWord[],
  req: SearchRequest,
): Promise<Hit[]> {
  if (!words.some((w) => w.parts)) return messageHits(ctx, scope, words, req);
  const whole = await messageHits(
    ctx,
    scope,
    words.map(({ word, parts }) => (parts ? { word, code: true } : { word })),
    req,
  );
  return whole.length > 0 ? whole : messageHits(ctx, scope, words, req);
}

/** The text of each of these messages of this workspace and mode. */
async function textsOf(ctx: AppContext, scope: Scope, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  // By primary key, the scope checked on the rows (inRowScope says why).
  const rows = await ctx.db
    .selectFrom('messages')
    .select(['id', 'text', 'workspace_id', 'livemode'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.filter(inRowScope(scope)).map((r) => [r.id, r.text ?? '']));
}

/** The conversations of contacts whose name, email or phone matches the whole query, newest first. */
async function contactConversationIds(ctx: AppContext, scope: Scope, req: SearchRequest): Promise<string[]> {
  const text = req.q.trim();
  if (text.length < 2) return [];
  return conversationIdsOfContacts(ctx, scope, contactIdsMatching(ctx.db, scope, text), req, CANDIDATES);
}

/**
 * Where each word starts a word of `text` (case-insensitive), as `[start, end)` ranges. A code of
 * the text is marked from its start as far as a word begins its joined form ("gf77341" or
 * "GF-77341" marks "GF-77341", "inv2026" marks "INV-2026" of "INV-2026-001"), and its other parts
 * as words. A query code's parts mark words too, as they are searched: all but the last whole
 * ("2026-001" found by its parts in a row).
 */
export function wordRanges(text: string, words: QueryWord[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const marks = words.flatMap(({ word, parts }) => [word, ...(parts?.slice(-1) ?? [])]);
  const wholeParts = new Set(words.flatMap(({ parts }) => parts?.slice(0, -1) ?? []));
  const begins = (token: string, at: number) => {
    const lower = token.toLowerCase();
    const found = wholeParts.has(lower)
      ? lower
      : marks.find((word) => lower.startsWith(word) || stripAccents(lower).startsWith(word));
    if (found) out.push([at, at + Math.min(token.length, found.length)]);
  };
  for (const m of text.matchAll(TOKENS)) {
    const token = m[0];
    if (!hasSeparator(token)) {
      begins(token, m.index);
      continue;
    }
    const joined = joinedCode(token).toLowerCase();
    const longest = isCode(token)
      ? marks.filter((word) => joined.startsWith(word)).sort((a, b) => b.length - a.length)[0]
      : undefined;
    const markedEnd = longest ? m.index + afterAlphanumerics(token, longest.length) : m.index;
    if (longest) out.push([m.index, markedEnd]);
    for (const part of token.matchAll(/[A-Za-z0-9]+/g))
      if (m.index + part.index >= markedEnd) begins(part[0], m.index + part.index);
  }
  return out;
}

/** The offset in `code` just after its first `n` letters and digits. */
function afterAlphanumerics(code: string, n: number): number {
  let seen = 0;
  for (let i = 0; i < code.length; i++) if (/[A-Za-z0-9]/.test(code[i] ?? '') && ++seen === n) return i + 1;
  return code.length;
}

const stripAccents = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');

/** A window of the text around its first matching word, with the matching words' ranges in it. */
export function snippetOf(
  text: string,
  words: QueryWord[],
): { snippet: string; highlights: Array<[number, number]> } {
  const all = wordRanges(text, words);
  if (text.length <= SNIPPET_CHARS) return { snippet: text, highlights: all };
  const first = all[0]?.[0] ?? 0;
  let start = Math.max(0, first - 40);
  // Start at a word boundary, never inside a surrogate pair.
  while (start > 0 && /[\p{L}\p{N}\p{M}]/u.test(text[start - 1] ?? '')) start--;
  if (/[\uDC00-\uDFFF]/.test(text[start] ?? '')) start--;
  let end = Math.min(text.length, start + SNIPPET_CHARS);
  if (/[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end--;
  const prefix = start > 0 ? '…' : '';
  const suffix = end < text.length ? '…' : '';
  const snippet = `${prefix}${text.slice(start, end)}${suffix}`;
  const shift = prefix.length - start;
  return {
    snippet,
    highlights: all.filter(([s, e]) => s >= start && e <= end).map(([s, e]) => [s + shift, e + shift]),
  };
}

/**
 * One page of conversations matching `req.q`: those whose contact matches first, then by their
 * best matching message. `total` counts the conversations among the ranked matches.
 */
export async function searchConversations(
  ctx: AppContext,
  scope: Scope,
  req: SearchRequest,
): Promise<{ data: SearchResult[]; total: number }> {
  const words = queryWords(req.q);
  const [hits, contactIds] = await Promise.all([
    codeFirstHits(ctx, scope, words, req),
    contactConversationIds(ctx, scope, req),
  ]);
  const order: string[] = [...contactIds];
  const seen = new Set(contactIds);
  const byConversation = new Map<string, Hit[]>();
  for (const hit of hits) {
    const list = byConversation.get(hit.conversation_id) ?? [];
    if (list.length < MATCHES_PER_CONVERSATION) list.push(hit);
    byConversation.set(hit.conversation_id, list);
    if (!seen.has(hit.conversation_id)) {
      seen.add(hit.conversation_id);
      order.push(hit.conversation_id);
    }
  }
  const pageIds = order.slice((req.page - 1) * req.perPage, req.page * req.perPage);
  const [conversations, texts] = await Promise.all([
    presentedConversationsByIds(ctx, scope, pageIds),
    textsOf(
      ctx,
      scope,
      pageIds.flatMap((id) => (byConversation.get(id) ?? []).map((h) => h.id)),
    ),
  ]);
  const contactSet = new Set(contactIds);
  const data = conversations.map((conversation) => ({
    conversation,
    matches: (byConversation.get(conversation.id) ?? []).map((h) => ({
      message_id: h.id,
      direction: h.direction,
      sender_type: h.sender_type,
      type: h.type,
      created_at: h.created_at,
      ...snippetOf(texts.get(h.id) ?? '', words),
    })),
    contact_match: contactSet.has(conversation.id),
  }));
  return { data, total: order.length };
}
