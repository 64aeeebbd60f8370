import { ApiError } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listResponse } from '../../platform/http/schemas.ts';
import { readUploadedFile } from '../../platform/http/upload.ts';
import { getAgentRow } from '../agents/index.ts';
import {
  documentBody,
  documentObject,
  documentParams,
  listDocumentsQuery,
  searchBody,
  searchResponse,
} from './knowledge.schemas.ts';
import {
  createDocument,
  deleteDocument,
  getDocument,
  listDocuments,
  replaceDocument,
  searchKnowledgeRoute,
} from './knowledge.service.ts';

/** JSON bodies may carry a base64 file; larger ones are refused with 413 before parsing. */
const DOCUMENT_BODY_LIMIT = 12 * 1024 * 1024;
const writeErrors = [
  'payload_too_large',
  'unsupported_media_type',
  'unprocessable',
  'rate_limited',
  'not_found',
] as const;

export const knowledgeRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/agents/:id/knowledge',
    summary: "List an agent's knowledge documents",
    description:
      "The agent's knowledge documents with their type, status (`indexed` once searchable), and passage and character counts.",
    tags: ['Knowledge'],
    auth: 'key',
    scope: 'knowledge:read',
    params: idParams('agt'),
    query: listDocumentsQuery,
    responses: { 200: listResponse(documentObject) },
    handler: async ({ ctx, auth, params, query }) => ({
      status: 200,
      body: await listDocuments(ctx, auth, params.id, pageRequest(query), { doc_type: query.doc_type }),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/agents/:id/knowledge',
    summary: 'Add a knowledge document (indexed at once)',
    description:
      "Text, markdown, FAQ pairs, a web page (`url`) or a file (`file`, base64 PDF, Word document (.docx) or text). The text is split into passages of about 500–800 characters (one per FAQ pair) and indexed for search; `knowledge.indexed` is emitted. Counts against the plan's knowledge writes per day. Limits: 1,000,000 characters of text, 12 MB of request body; a PDF or Word document is read within the bounds described at `POST /v1/agents/{id}/knowledge/upload` (413 past them).",
    tags: ['Knowledge'],
    auth: 'key',
    scope: 'knowledge:write',
    params: idParams('agt'),
    body: documentBody,
    mediaHint:
      'To upload a file as a form (multipart/form-data, part `file`), POST it to /v1/agents/{id}/knowledge/upload; or send JSON with `doc_type: "file"` and `file.content_base64`.',
    // The knowledge service tells binary content (415) from text itself.
    nulAllowedIn: ['content'],
    bodyLimit: DOCUMENT_BODY_LIMIT,
    responses: { 201: documentObject },
    errors: [...writeErrors],
    handler: async ({ ctx, auth, params, body }) => ({
      status: 201,
      body: await createDocument(ctx, auth, params.id, body),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/agents/:id/knowledge/upload',
    summary: 'Upload a knowledge file (multipart)',
    description:
      'A `multipart/form-data` request with one `file` part (a PDF, a Word document (.docx) or a text, markdown or HTML file) and an optional `title` field before it. Indexed like `doc_type: "file"`. Up to PARLEY_UPLOAD_LIMIT_BYTES (413 above, every time, nothing kept). PDFs and Word documents are read in a worker thread with a 512 MB heap, 30 s and a watch on the server\'s memory; a Word document\'s zip is checked before anything is inflated (at most 2,000 entries and 16 MB of XML inflated, no part over 8 MB compressed more than 200:1, never past the sizes it declares): past any of these it is a 413 naming the bound. A file name with a control character is a 400.',
    tags: ['Knowledge'],
    auth: 'key',
    scope: 'knowledge:write',
    params: idParams('agt'),
    contentTypes: ['multipart/form-data'],
    otherBodies: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['file'],
          properties: {
            title: { type: 'string', description: 'Title of the document (default: the file name).' },
            file: {
              type: 'string',
              contentMediaType: 'application/octet-stream',
              description:
                'The file: a PDF, or a UTF-8 text, markdown or HTML file (its part has a file name).',
            },
          },
        },
        example: { title: 'Price list', file: '# Prices\nHaircut: 500 INR. Beard trim: 200 INR.\n' },
      },
    },
    responses: { 201: documentObject },
    errors: [...writeErrors, 'validation_failed'],
    handler: async ({ ctx, auth, params, request }) => {
      // Another workspace's agent is a 404 whatever the body is.
      await getAgentRow(ctx.db, auth, params.id);
      if (!request.isMultipart())
        throw new ApiError(
          'unsupported_media_type',
          'Send the file as multipart/form-data with a `file` part.',
        );
      const part = await readUploadedFile(request, { limitBytes: ctx.config.uploadLimitBytes });
      const title = part.fields.title?.trim() || undefined;
      return {
        status: 201,
        body: await createDocument(ctx, auth, params.id, {
          doc_type: 'file',
          title,
          file: { filename: part.filename || 'upload', content_base64: part.bytes.toString('base64') },
        }),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/agents/:id/knowledge/search',
    summary: "Search an agent's knowledge",
    description:
      'Ranked passages with scores (higher is better): full-text ranking (bm25 on SQLite, ts_rank_cd on PostgreSQL).',
    tags: ['Knowledge'],
    auth: 'key',
    scope: 'knowledge:read',
    params: idParams('agt'),
    body: searchBody,
    responses: { 200: searchResponse },
    handler: async ({ ctx, auth, params, body }) => ({
      status: 200,
      body: await searchKnowledgeRoute(ctx, auth, params.id, body.query, body.top_k),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/agents/:id/knowledge/:doc_id',
    summary: 'Get a knowledge document',
    description: 'One knowledge document with its content (or FAQs, URL or file name) and indexing status.',
    tags: ['Knowledge'],
    auth: 'key',
    scope: 'knowledge:read',
    params: documentParams,
    responses: { 200: documentObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: await getDocument(ctx, auth, params.id, params.doc_id),
    }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/agents/:id/knowledge/:doc_id',
    summary: 'Replace a knowledge document (re-indexed at once)',
    description:
      "Replaces the document's title and content and re-indexes it before answering: the agent answers from the new text from the next message. Counts against the plan's knowledge writes per day.",
    tags: ['Knowledge'],
    auth: 'key',
    scope: 'knowledge:write',
    params: documentParams,
    body: documentBody,
    // The knowledge service tells binary content (415) from text itself.
    nulAllowedIn: ['content'],
    bodyLimit: DOCUMENT_BODY_LIMIT,
    responses: { 200: documentObject },
    errors: [...writeErrors],
    handler: async ({ ctx, auth, params, body }) => ({
      status: 200,
      body: await replaceDocument(ctx, auth, params.id, params.doc_id, body),
    }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/agents/:id/knowledge/:doc_id',
    summary: 'Delete a knowledge document and its passages',
    description:
      "Deletes the document and its passages: the agent stops answering from it at once. Counts against the plan's knowledge writes per day.",
    tags: ['Knowledge'],
    auth: 'key',
    scope: 'knowledge:write',
    params: documentParams,
    responses: { 200: deletedResponse('kb', 'knowledge_document') },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: await deleteDocument(ctx, auth, params.id, params.doc_id),
    }),
  }),
];
