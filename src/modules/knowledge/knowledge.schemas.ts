import { z } from 'zod';
import { baseObject, describe, idOf, listQuery } from '../../platform/http/schemas.ts';

export const docTypes = ['text', 'faq', 'markdown', 'url', 'file'] as const;

const faqPair = z.strictObject({
  question: describe(
    z.string().trim().min(1).max(2000),
    'The question as a customer would ask it.',
    'Are you open on Sunday?',
  ),
  answer: describe(
    z.string().trim().min(1).max(10_000),
    'The answer the agent gives.',
    'No, we are closed on Sundays.',
  ),
});

export const documentBody = z
  .strictObject({
    title: describe(
      z.string().trim().min(1).max(300),
      'Title of the document (default: the page title, file name or first line).',
      'Prices and timings',
    ).optional(),
    doc_type: describe(
      z.enum(docTypes),
      '`text` and `markdown` are indexed as given (split at headings and paragraphs); `faq` takes `faqs` or "Q: ... A: ..." pairs in `content`; `url` fetches the page at `url` and keeps its text; `file` reads `file` (a PDF or a text file, base64) — or upload it with multipart to `/knowledge/upload`.',
      'markdown',
    ).default('text'),
    content: describe(
      z.string().max(30_000_000),
      'The document text (text, markdown, faq).',
      '# Timings\nMon–Sat 10am–7pm. Closed on Sunday.',
    ).optional(),
    faqs: describe(
      z.array(faqPair).min(1).max(2000),
      'Question and answer pairs (faq); each pair becomes one passage.',
      [{ question: 'Are you open on Sunday?', answer: 'No, we are closed on Sundays.' }],
    ).optional(),
    url: describe(
      z
        .string()
        .url()
        .max(2000)
        .regex(/^https?:\/\//, 'must be an http(s) URL'),
      'The page to fetch (url). Fetched once, with a 10 s timeout and a 5 MB cap.',
      'https://glowsalon.example/faq',
    ).optional(),
    file: describe(
      z.strictObject({
        filename: describe(z.string().trim().min(1).max(300), 'File name, e.g. menu.pdf.', 'price-list.pdf'),
        content_base64: describe(z.string().min(1), 'The file bytes, base64.', 'JVBERi0xLjQK...'),
      }),
      'The file (file): a PDF or a UTF-8 text, markdown or HTML file.',
    ).optional(),
  })
  .meta({
    examples: [
      {
        title: 'Prices and timings',
        doc_type: 'markdown',
        content: '# Timings\nMon–Sat 10am–7pm. Closed on Sunday.',
      },
    ],
  });

export const documentObject = z.object({
  ...baseObject('kb', 'knowledge_document'),
  agent_id: idOf('agt', 'The agent this knowledge belongs to.'),
  title: describe(z.string(), 'Title of the document.', 'Prices and timings'),
  doc_type: describe(z.enum(docTypes), 'How the document was given.', 'markdown'),
  content: describe(
    z.string(),
    'The indexed text (extracted from the page or file for url and file).',
    '# Timings\nMon–Sat 10am–7pm.',
  ),
  faqs: describe(z.array(faqPair).nullable(), 'The pairs of a faq document, else null.', null),
  url: describe(z.string().nullable(), 'The fetched page (url), else null.', null),
  filename: describe(z.string().nullable(), 'The uploaded file name (file), else null.', null),
  chunk_count: describe(z.number().int(), 'Passages the document was split into.', 3),
  char_count: describe(z.number().int(), 'Characters of indexed text.', 1840),
  status: describe(z.literal('indexed'), 'Documents are indexed when the write returns.', 'indexed'),
});

export const documentParams = z.object({ id: idOf('agt'), doc_id: idOf('kb') });

export const listDocumentsQuery = listQuery({
  doc_type: describe(z.enum(docTypes), 'Only documents of this type.', 'faq').optional(),
});

export const searchBody = z.strictObject({
  query: describe(
    z.string().trim().min(1).max(2000),
    "What to look for, in the customer's words.",
    'are you open on sunday',
  ),
  top_k: describe(z.number().int().min(1).max(50), 'How many passages to return (default 5).', 5).default(5),
});

export const searchHit = z.object({
  chunk_id: describe(z.string(), 'The passage.', 'chunk_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  doc_id: idOf('kb', 'The document the passage comes from.'),
  title: describe(z.string(), 'The passage heading (or FAQ question).', 'Timings'),
  text: describe(z.string(), 'The passage text.', 'Mon–Sat 10am–7pm. Closed on Sunday.'),
  score: describe(z.number(), 'Relevance; higher is better (0–1 for text ranking).', 0.72),
});

export const searchResponse = z.object({
  object: describe(z.literal('list'), 'A ranked list.', 'list'),
  query: describe(z.string(), 'The query as received.', 'are you open on sunday'),
  data: describe(z.array(searchHit), 'Passages, best first.'),
  took_ms: describe(z.number(), 'Search time in milliseconds.', 1.4),
});
