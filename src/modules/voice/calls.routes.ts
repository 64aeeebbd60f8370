import { contentDisposition } from '../../platform/http/content-disposition.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { type Auth, defineRoute, ok, type RouteDef } from '../../platform/http/route.ts';
import { idParams, listQuery, listResponse } from '../../platform/http/schemas.ts';
import { toolCallsOf } from '../tools/index.ts';
import { createCalls } from './calls.admission.ts';
import { batchItemCodes, noCallPlaced } from './calls.batch.ts';
import { hangupCall } from './calls.lifecycle.ts';
import { getCallRecording } from './calls.recording.ts';
import { callObject, createCallsBody, createCallsResponse, listCallsQuery } from './calls.schemas.ts';
import { concurrencyHeaders, concurrencyOf, getCall, listCalls } from './calls.service.ts';

const tags = ['Calls'];
const params = idParams('call');
const callerOf = (auth: Auth) => ({
  workspaceId: auth.workspaceId,
  livemode: auth.livemode,
  defaultCountry: auth.defaultCountry,
  actor: auth.actor,
  limits: auth.limits,
  view: auth.view,
});
/**
 * Every calls response carries the concurrent-call headers (SPEC section 3), errors and idempotent
 * replays included; a handler that already knows the values (placing calls) sets them itself.
 */
const responseHeaders: RouteDef['responseHeaders'] = {
  names: ['X-Concurrency-Limit', 'X-Concurrency-Remaining'],
  of: async (ctx, auth) => concurrencyHeaders(await concurrencyOf(ctx, auth, auth.limits)),
};

export const callRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/calls',
    summary: 'Place calls in a batch',
    description:
      "Each item is one call with an agent (or voice flow), to a number (`transport: phone`) or joined by a client over Parley's media WebSocket (`transport: web`). Items are checked on their own (an invalid `to` fails only that item) and admitted against the workspace's concurrent-call limit (active = queued, dialing, ringing, in progress; per workspace and mode, atomically): items past it get `concurrency_limited`; when none fit, the answer is 429 `concurrency_limited` with `Retry-After`. A contact on do-not-disturb is refused (`contact_dnd`) unless `ignore_dnd`; an opted-out one always (`contact_opted_out`). 201 when at least one call was placed; when none was, the answer is the items' error (400, 404 or 422) with each item's fields in `errors` and every item in `items`. Every calls response carries `X-Concurrency-Limit` and `X-Concurrency-Remaining`. With a test key the callee is simulated (SPEC section 6).",
    tags,
    auth: 'key',
    responseHeaders,
    scope: 'calls:write',
    body: createCallsBody,
    responses: { 201: createCallsResponse },
    errors: [...batchItemCodes, 'concurrency_limited'],
    handler: async ({ ctx, auth, body }) => {
      const { results, errors, concurrency } = await createCalls(ctx, callerOf(auth), body.calls);
      if (results.length === 0) throw noCallPlaced(errors, concurrencyHeaders(concurrency));
      return {
        status: 201,
        body: { results, errors },
        headers: concurrencyHeaders(concurrency),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/calls',
    summary: 'List calls',
    description:
      'Calls of this workspace and mode, newest first, each with its status, direction, agent or voice flow, duration, `ended_reason` and transcript; filter with the query parameters (e.g. `identifier` to find the calls of one CRM record).',
    tags,
    auth: 'key',
    responseHeaders,
    scope: 'calls:read',
    query: listQuery(listCallsQuery),
    responses: { 200: listResponse(callObject) },
    handler: ok(({ ctx, auth, query }) => listCalls(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/calls/:id',
    summary: 'Get a call',
    description:
      'With its transcript so far, its status, once ended why it ended, and the workspace tools the agent called (`tool_calls`).',
    tags,
    auth: 'key',
    responseHeaders,
    scope: 'calls:read',
    params,
    responses: { 200: callObject },
    handler: ok(async ({ ctx, auth, params }) => {
      const call = await getCall(ctx, auth, params.id);
      const thread = call.conversation_id ? await toolCallsOf(ctx.db, auth, call.conversation_id) : [];
      // The conversation may hold earlier calls: only this call's tool calls.
      const during = thread.filter(
        (c) => c.created_at >= call.created_at && (!call.ended_at || c.created_at <= call.ended_at),
      );
      return { ...call, tool_calls: during };
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/calls/:id/hangup',
    summary: 'Hang up a call',
    description:
      'Ends a call that has not ended: not yet answered it becomes `canceled`, answered `completed`, both with `ended_reason: canceled`. 409 `conflict` when the call has already ended.',
    tags,
    auth: 'key',
    responseHeaders,
    scope: 'calls:write',
    params,
    responses: { 200: callObject },
    errors: ['conflict'],
    handler: async ({ ctx, auth, params }) => {
      const call = await hangupCall(ctx, auth, params.id, auth.actor);
      return { status: 200, body: call };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/calls/:id/recording',
    summary: "Download a call's recording",
    description:
      "The call's audio, streamed with its Content-Type, when Parley holds the recording: a Twilio call recorded because its agent's `voice.record` is on is fetched from Twilio with the channel's credentials (the caller never needs them), as WAV (`audio/x-wav`, Twilio's default). 404 `not_found` when the call has no recording, with why when it is plain (not ended, not answered, `voice.record` off, not delivered by Twilio yet); 502 `provider_error` when Twilio does not serve it.",
    tags,
    auth: 'key',
    responseHeaders,
    scope: 'calls:read',
    params,
    responses: { 200: null },
    rawResponses: {
      200: {
        'audio/x-wav': {
          schema: { type: 'string', contentMediaType: 'audio/x-wav', description: 'The recording.' },
        },
        'audio/mpeg': {
          schema: { type: 'string', contentMediaType: 'audio/mpeg', description: 'The recording.' },
        },
      },
    },
    errors: ['not_found', 'provider_error'],
    handler: async ({ ctx, auth, params }) => {
      const audio = await getCallRecording(ctx, auth, params.id);
      return {
        status: 200,
        body: audio.content,
        contentType: audio.contentType,
        headers: {
          ...(audio.contentLength !== undefined ? { 'content-length': String(audio.contentLength) } : {}),
          'content-disposition': contentDisposition(
            'inline',
            `${params.id}.${audio.contentType.includes('mpeg') ? 'mp3' : 'wav'}`,
          ),
          'cache-control': 'private, max-age=300',
          'x-content-type-options': 'nosniff',
        },
      };
    },
  }),
];
