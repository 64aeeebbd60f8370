import { ApiError } from '../../platform/errors.ts';
import { contentDisposition } from '../../platform/http/content-disposition.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listResponse } from '../../platform/http/schemas.ts';
import { findContactRow } from '../contacts/index.ts';
import { auditEntryObject, auditLogQuery, listAuditLog } from './privacy.audit.ts';
import { deleteAndErase, erasuresOfContact, getErasure, presentErasure } from './privacy.erasure.ts';
import { contactExport, contactExportZip } from './privacy.export.ts';
import { getRetention, retentionBody, retentionObject, setRetention } from './privacy.retention.ts';
import { eraseContactBody, erasureObject, exportQuery } from './privacy.schemas.ts';

const what =
  "Everything that identifies the person goes: the contact, their audience memberships, the text, media and addresses of their messages, their calls' transcripts and recordings, analyses, leads' details, bookings' notes, CSAT comments (open questions end), raw provider payloads, event payloads kept for `GET /v1/events` (and so webhook redeliveries), receivers' answers that echo them, and stored idempotent answers. Counts stay (reports, conversation and message rows without content). See docs/privacy.md.";

export const privacyRoutes = [
  // The contacts module's delete is an erasure: the privacy module serves it, so that the contact's
  // row goes in the transaction that records the erasure of everything else of theirs.
  defineRoute({
    method: 'DELETE',
    path: '/v1/contacts/:id',
    summary: 'Delete a contact',
    description:
      'Deletes the contact (emits `contact.deleted`) and erases everything else of theirs, as `POST /v1/contacts/{id}/erase` does without a reason: a job removes or redacts their messages, calls, leads, notes, payloads and the rest (docs/privacy.md) and emits `contact.erased` when done. Admins only (`privacy:erase`, a scope inbox agents do not hold): erasing a person cannot be undone. A contact on a call that has not ended is a 409 `conflict` naming the call (nothing is deleted): hang it up or wait for it to end.',
    tags: ['Contacts'],
    auth: 'key',
    scope: 'privacy:erase',
    params: idParams('ct'),
    responses: { 200: deletedResponse('ct', 'contact') },
    errors: ['not_found', 'conflict'],
    handler: ok(({ ctx, auth, params }) => deleteAndErase(ctx, auth, params.id, auth.actor)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/contacts/:id/erase',
    summary: "Erase a contact's data",
    description: `An explicit erasure request (DPDP Act, GDPR art. 17), with its reason: the contact is deleted at once and a job erases the rest, resuming after a crash; \`contact.erased\` is emitted when it completes. ${what} Answers 202 with the erasure to follow at \`GET /v1/erasures/{id}\`; asked again for a contact already erased, answers 200 with that erasure. A contact on a call that has not ended is a 409 \`conflict\` naming the call, and nothing is erased: hang it up (\`POST /v1/calls/{id}/hangup\`) or wait for it to end. Admins only (\`privacy:erase\`, a scope inbox agents do not hold).`,
    tags: ['Privacy'],
    auth: 'key',
    scope: 'privacy:erase',
    params: idParams('ct'),
    body: eraseContactBody,
    responses: { 200: erasureObject, 202: erasureObject },
    errors: ['validation_failed', 'not_found', 'conflict'],
    handler: async ({ ctx, auth, params, body }) => {
      const existing = await erasuresOfContact(ctx, auth, params.id);
      if (existing && !(await findContactRow(ctx.db, auth, params.id)))
        return { status: 200, body: presentErasure(existing) };
      try {
        await deleteAndErase(ctx, auth, params.id, auth.actor, body.reason);
      } catch (err) {
        // Another request erased the contact in the meantime: that erasure answers.
        const other =
          err instanceof ApiError &&
          err.code === 'not_found' &&
          (await erasuresOfContact(ctx, auth, params.id));
        if (other) return { status: 200, body: presentErasure(other) };
        throw err;
      }
      const started = await erasuresOfContact(ctx, auth, params.id);
      if (!started) throw new ApiError('internal_error', 'The erasure was not recorded.');
      return { status: 202, body: presentErasure(started) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/erasures/:id',
    summary: 'Get an erasure',
    description:
      'The state of an erasure (`running` or `completed`). The record keeps the fact of the erasure, its reason and times, never what identified the person.',
    tags: ['Privacy'],
    auth: 'key',
    scope: 'contacts:read',
    params: idParams('era'),
    responses: { 200: erasureObject },
    handler: ok(({ ctx, auth, params }) => getErasure(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/audit-log',
    summary: 'List the audit log',
    description:
      'Who (a user, a key, the system) did what to which object, from which address, newest first: sign-ins (and wrong second-factor codes, a second factor turned on or off), keys created and revoked, users, roles and teams changed, channels, webhooks, agents and their knowledge, templates and settings changed, secrets, tools and tool settings changed, assignments, contacts deleted, erased, merged and exported (`getContactExport`). Admins only (`audit_log:read`). Entries are never changed; retention deletes old ones.',
    tags: ['Privacy'],
    auth: 'key',
    scope: 'audit_log:read',
    query: auditLogQuery,
    responses: { 200: listResponse(auditEntryObject) },
    handler: ok(({ ctx, auth, query }) => listAuditLog(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/contacts/:id/export',
    summary: "Export a contact's data",
    description:
      'Everything held about the person (DPDP Act s.11, GDPR art. 15 and 20) as one JSON document, streamed (memory stays flat however many messages): the contact, their consents, each of their conversations with all its messages and tool calls, their calls (transcripts; a recording is a reference to `GET /v1/calls/{id}/recording`), CSAT answers, leads and bookings. `?format=zip` (or `Accept: application/zip`) answers a zip of that document (`export.json`) and every file Parley kept of their messages (`files/<message id>/<attachment id>-<name>`). Admins only (`privacy:export`, a scope inbox agents do not hold). Recorded in the audit log.',
    tags: ['Privacy'],
    auth: 'key',
    scope: 'privacy:export',
    audit: true,
    params: idParams('ct'),
    query: exportQuery,
    responses: { 200: null },
    rawResponses: {
      200: {
        'application/json': {
          schema: { type: 'object' },
          example: {
            object: 'contact_export',
            exported_at: '2026-11-25T09:00:00.000Z',
            files: false,
            contact: {},
            consents: { current: [], history: [] },
            conversations: [],
            calls: [],
            csat_answers: [],
            leads: [],
            bookings: [],
          },
        },
        'application/zip': { schema: { type: 'string', format: 'binary' } },
      },
    },
    handler: async ({ ctx, auth, params, query, request }) => {
      const zip =
        query.format === 'zip' ||
        (query.format === undefined && /application\/zip/.test(String(request.headers.accept ?? '')));
      return {
        status: 200,
        body: zip ? await contactExportZip(ctx, auth, params.id) : await contactExport(ctx, auth, params.id),
        contentType: zip ? 'application/zip' : 'application/json; charset=utf-8',
        headers: {
          'Content-Disposition': contentDisposition('attachment', `${params.id}.${zip ? 'zip' : 'json'}`),
          'Cache-Control': 'no-store',
        },
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/retention',
    summary: 'Get the retention settings',
    description:
      "After how many days this mode's messages, recordings, transcripts, events, webhook deliveries and audit log entries are deleted (null: kept), and what the last daily run deleted. Admins only (`settings:read`). See docs/privacy.md.",
    tags: ['Privacy'],
    auth: 'key',
    scope: 'settings:read',
    responses: { 200: retentionObject },
    handler: ok(({ ctx, auth }) => getRetention(ctx, auth)),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/retention',
    summary: 'Set the retention settings',
    description:
      "Sets after how many days each kind of record of this mode is deleted; fields left out keep their value, `null` keeps the records (the default). Days are whole numbers from 1 to 36500: 0 is a 400 (it would delete everything at once; use `null` to keep); `audit_log_days` is 30 at least (the audit log shows who changed what). A daily job (once a day across all processes) deletes what is older in small batches, pausing between them so traffic is not held up: messages with their attachments and search index entries, calls' recordings and transcripts (the call rows stay), events, webhook deliveries and audit log entries. Reports keep their counts. Admins only (`settings:write`); recorded in the audit log.",
    tags: ['Privacy'],
    auth: 'key',
    scope: 'settings:write',
    body: retentionBody,
    responses: { 200: retentionObject },
    handler: ok(({ ctx, auth, body }) => setRetention(ctx, auth, body)),
  }),
];
