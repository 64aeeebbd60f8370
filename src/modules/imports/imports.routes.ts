import { ApiError } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listResponse } from '../../platform/http/schemas.ts';
import { readUploadedFile } from '../../platform/http/upload.ts';
import { consumeLimit } from '../../platform/limits.ts';
import { importBody, importObject, importQuery, listImportsQuery } from './imports.schemas.ts';
import {
  createImport,
  getImportRow,
  type ImportUpload,
  listImports,
  presentImport,
} from './imports.service.ts';

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];
const CSV_EXAMPLE =
  'phone,name,email,tags,attributes.city\n+919876543210,Asha Rao,asha@example.com,vip;diwali,Pune\n';
const csvBody = {
  schema: {
    type: 'string',
    description:
      'The CSV: a header row (`phone`, `name`, `email`, `tags`, `attributes.<key>`, ...), then one contact a row.',
  },
  example: CSV_EXAMPLE,
};

export const importRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/imports',
    summary: 'Import contacts (CSV or JSON)',
    description: `Send a CSV as the body (\`Content-Type: text/csv\`), as the \`file\` part of a multipart upload (fields \`audience_id\` and \`on_conflict\` before the file), or JSON \`{rows: [...]}\`; \`audience_id\` and \`on_conflict\` may also be query parameters. The header row names the columns: \`phone\`, \`name\`, \`email\`, \`tags\` (separated by \`;\` or \`|\`), \`attributes.<key>\`; other columns become attributes of their own name. Comma, semicolon, tab and pipe delimiters are detected; a UTF-8 byte-order mark is ignored; non-UTF-8 text is read as Windows-1252. Phones are parsed with the workspace's default country. Blank rows are ignored; bad rows are reported by line in \`errors\`, never dropped silently. Up to PARLEY_UPLOAD_LIMIT_BYTES (413 above); a binary file is a 415. With \`audience_id\` the caller needs \`audiences:write\` too, as for \`POST /v1/audiences/{id}/contacts\` (403 \`forbidden\` otherwise; an inbox agent cannot fill an audience). Answers 202 with the queued import; poll GET /v1/imports/{id} or wait for \`import.completed\`. Counts against the plan's imports per minute.`,
    tags: ['Imports'],
    auth: 'key',
    scope: 'contacts:write',
    query: importQuery,
    body: importBody,
    contentTypes: ['application/json', ...CSV_TYPES, 'multipart/form-data'],
    otherBodies: {
      ...Object.fromEntries(CSV_TYPES.map((type) => [type, csvBody])),
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['file'],
          properties: {
            audience_id: { type: 'string', description: 'Add the imported contacts to this audience.' },
            on_conflict: {
              enum: ['skip', 'update'],
              description: 'What to do with a row whose phone or email is already a contact.',
            },
            file: { type: 'string', contentMediaType: 'text/csv', description: 'The CSV file.' },
          },
        },
        example: { on_conflict: 'update', file: CSV_EXAMPLE },
      },
    },
    nulAllowedIn: ['rows'],
    bodyLimit: (config) => config.uploadLimitBytes,
    responses: { 202: importObject },
    errors: ['payload_too_large', 'unsupported_media_type', 'not_found', 'conflict'],
    handler: async ({ ctx, auth, query, body, request }) => {
      await consumeLimit(
        ctx.rateLimits,
        `${auth.workspaceId}:${auth.livemode}`,
        'imports_per_minute',
        auth.limits,
        1,
        ctx.clock.now().getTime(),
      );
      let upload: ImportUpload;
      let audienceId = body?.audience_id ?? query.audience_id;
      let onConflict: string | undefined = body?.on_conflict ?? query.on_conflict;
      if (request.isMultipart()) {
        // The fields must come before the file part to be read.
        const m = await readUploadedFile(request, {
          limitBytes: ctx.config.uploadLimitBytes,
          what: 'the CSV',
        });
        upload = { kind: 'csv', bytes: m.bytes, filename: m.filename };
        audienceId = m.fields.audience_id || audienceId;
        onConflict = m.fields.on_conflict || onConflict;
      } else if (Buffer.isBuffer(request.body)) {
        upload = { kind: 'csv', bytes: request.body, filename: null };
      } else {
        if (!body?.rows) {
          throw new ApiError(
            'validation_failed',
            'rows: is required (or send a CSV as text/csv or multipart)',
            { errors: [{ field: 'rows', message: 'is required' }] },
          );
        }
        upload = { kind: 'json', rows: body.rows };
      }
      if (onConflict !== undefined && onConflict !== 'skip' && onConflict !== 'update') {
        throw new ApiError('validation_failed', 'on_conflict: must be skip or update', {
          errors: [{ field: 'on_conflict', message: 'must be skip or update' }],
        });
      }
      if (audienceId !== undefined && !/^aud_[0-9A-HJKMNP-TV-Z]{26}$/.test(audienceId)) {
        throw new ApiError('validation_failed', 'audience_id: must be an aud_ id', {
          errors: [{ field: 'audience_id', message: 'must be an aud_ id' }],
        });
      }
      const created = await createImport(ctx, auth, upload, {
        audience_id: audienceId,
        on_conflict: onConflict ?? 'skip',
      });
      return { status: 202, body: created };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/imports',
    summary: 'List imports',
    description:
      'Imports of this workspace and mode, newest first, each with its status (`queued`, `processing`, `completed`, `failed`) and counts.',
    tags: ['Imports'],
    auth: 'key',
    scope: 'contacts:read',
    query: listImportsQuery,
    responses: { 200: listResponse(importObject) },
    handler: ok(({ ctx, auth, query }) => listImports(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/imports/:id',
    summary: 'Get an import and its progress',
    description:
      'Poll this after `POST /v1/imports`: `status`, `total_rows` and the counts `created`, `updated`, `skipped`, `failed`, with `errors` naming the row and field of each bad row. `import.completed` is emitted when it ends.',
    tags: ['Imports'],
    auth: 'key',
    scope: 'contacts:read',
    params: idParams('imp'),
    responses: { 200: importObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentImport(await getImportRow(ctx, auth, params.id)),
    }),
  }),
];
