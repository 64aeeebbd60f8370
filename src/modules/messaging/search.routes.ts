import { z } from 'zod';
import { invalidField } from '../../platform/errors.ts';
import { pageOf, pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import {
  describe,
  idOf,
  listQuery,
  listResponse,
  queryBoolean,
  timestamp,
} from '../../platform/http/schemas.ts';
import { channelTypes } from '../channels/index.ts';
import { conversationObject } from '../conversations/index.ts';
import { searchConversations } from './search.ts';

const isoTime = (description: string) =>
  describe(
    z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString()),
    `${description} (ISO 8601).`,
    '2026-05-10T08:00:00Z',
  );

const searchQuery = listQuery({
  q: describe(
    z
      .string()
      .trim()
      .min(1)
      .max(500)
      .refine((s) => !s.includes('\u0000'), 'must not contain the NUL character (U+0000)')
      .refine(
        (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s),
        'must be well-formed Unicode (no lone surrogate)',
      ),
    'What to look for: every word must appear in a message (as a word or the start of one), in any order; or the text in the contact’s name, email or phone. Quotes and operators are read as plain words. A code (letters and digits joined by `-`, `/`, `.` or `_`, with a digit: “GF-77341”, “INV-2026-001”) is found whole, without its separators (“gf77341”) or by its parts (“77341”).',
    'refund 5531',
  ),
  status: describe(
    z.enum(['active', 'snoozed', 'closed']),
    'Only conversations in this status.',
    'active',
  ).optional(),
  channel: describe(
    z.enum([...channelTypes, 'web']),
    'Only conversations on this channel.',
    'whatsapp',
  ).optional(),
  assignee: describe(
    z.string().regex(/^((usr|team)_[0-9A-HJKMNP-TV-Z]{26}|none)$/, 'must be a usr_ or team_ id, or none'),
    'Only conversations assigned to this user or team (`none`: unassigned).',
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  agent_id: idOf('agt', 'Only conversations answered by this agent.').optional(),
  tag: describe(z.string().min(1).max(64), 'Only conversations with this tag.', 'vip').optional(),
  ai_paused: queryBoolean('Only handed-off conversations (true) or only AI-run ones (false).'),
  priority: describe(
    z.enum(['low', 'normal', 'high', 'urgent']),
    'Only conversations with this priority.',
    'urgent',
  ).optional(),
  from: isoTime('Only messages written at or after this time').optional(),
  to: isoTime('Only messages written before this time').optional(),
});

const searchMatch = z.object({
  message_id: idOf('msg'),
  direction: describe(z.enum(['inbound', 'outbound']), 'Who it went to.', 'inbound'),
  sender_type: describe(z.string(), 'Who wrote it (customer, ai, user, api_key, ...).', 'customer'),
  type: describe(z.string(), 'The message type (`note` for a private note).', 'text'),
  created_at: timestamp('When it was written.'),
  snippet: describe(
    z.string(),
    'The message around its first matching word (about 160 characters).',
    'I want a refund for order 5531',
  ),
  highlights: describe(
    z.array(z.array(z.number().int()).length(2)),
    '`[start, end)` offsets of each matching word in `snippet`, in UTF-16 code units (as JavaScript counts).',
    [
      [9, 15],
      [26, 30],
    ],
  ),
});

const searchResult = z.object({
  conversation: conversationObject,
  matches: describe(
    z.array(searchMatch),
    'Its best-ranked matching messages (at most 3; none when only the contact matched).',
  ),
  contact_match: describe(
    z.boolean(),
    'Whether the contact’s name, email or phone matched the query.',
    false,
  ),
});

/**
 * A `q` whose percent-encoded bytes are not UTF-8 (a lone surrogate written as CESU-8, `%ED%A0%80`,
 * or a broken sequence) is a 400: the query string parser would otherwise keep the escapes as
 * literal text and search for "ed", "a0" and "80".
 */
function assertUtf8Query(url: string) {
  const search = url.split('?')[1] ?? '';
  for (const pair of search.split('&')) {
    const [name, value = ''] = pair.split('=');
    if (name !== 'q') continue;
    try {
      decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      throw invalidField(
        'q',
        'must be UTF-8 text: it holds percent-encoded bytes that are not (a lone surrogate or a broken sequence)',
      );
    }
  }
}

/** GET /v1/search: conversations found by any of their messages or by their contact. */
export const searchRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/search',
    summary: 'Search conversations',
    description:
      'Full-text search over every message of every conversation (private notes included) and over contacts’ names, emails and phones. Conversations whose contact matches come first, then by the rank of their best matching message; each result carries up to 3 matching messages with a snippet and the matching words’ offsets to highlight. Words are matched as words or their beginnings (“refu” finds “refund”), in any case and accents folded; Hindi in Devanagari and Hinglish are matched word by word, without English stemming. Order, invoice and ticket numbers (“GF-77341”, “INV-2026-001”, “A/55/9”, “v2.3.1”) are found whole, without their separators (“gf77341”) and by their parts (“77341”, “2026-001”), the whole code marked in the highlights. Past the 300 newest matching messages, older matches are not ranked. Filter by `status`, `channel`, `assignee`, `agent_id`, `tag`, `ai_paused`, `priority`, and the messages’ time with `from`/`to`. A `q` with no letter or digit, longer than 500 characters, or holding NUL or a lone surrogate (or percent-encoded bytes that are not UTF-8) is a 400.',
    tags: ['Conversations'],
    auth: 'key',
    scope: 'conversations:read',
    query: searchQuery,
    responses: { 200: listResponse(searchResult) },
    errors: ['validation_failed'],
    handler: ok(async ({ ctx, auth, query, request }) => {
      assertUtf8Query(request.raw.url ?? '');
      const page = pageRequest(query);
      const { data, total } = await searchConversations(ctx, auth, { ...query, ...page });
      return pageOf(data, total, page);
    }),
  }),
];
