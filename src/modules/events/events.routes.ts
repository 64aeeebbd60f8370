import { ApiError } from '../../platform/errors.ts';
import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { idParams, listResponse } from '../../platform/http/schemas.ts';
import { eventObject, listEventsQuery, streamQuery } from './events.schemas.ts';
import { getEvent, listEvents } from './events.service.ts';
import { type StreamOptions, serveEventStream } from './events.stream.ts';

const tags = ['Events'];
const EVENT_ID = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;

export function eventRoutes(opts: StreamOptions) {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/events',
      summary: 'List recent events (kept 30 days), newest first',
      description:
        'Events of this workspace and mode, newest first, as webhooks deliver them; filter by `type` (comma-separated), `object_id`, and `created_after`/`created_before`. For a live feed use `GET /v1/events/stream`.',
      tags,
      auth: 'key',
      scope: 'events:read',
      query: listEventsQuery,
      responses: { 200: listResponse(eventObject) },
      handler: ok(({ ctx, auth, query }) =>
        listEvents(ctx, auth, pageRequest(query), {
          type: query.type,
          object_id: query.object_id,
          created_after: query.created_after,
          created_before: query.created_before,
        }),
      ),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/events/stream',
      summary: 'Live events as Server-Sent Events',
      description:
        "A `text/event-stream` of the events of this key's workspace and mode: `id:` is the event id, `event:` its type, `data:` the event JSON. A comment line is sent every 15 seconds. Reconnect with `Last-Event-ID` (or `last_event_id`) to receive every event recorded after that one (within the 30-day retention), then live ones, with no gap or duplicate. Live notices (`conversation.typing`: a website visitor typing) come without an `id:` line: never stored, never replayed.",
      tags,
      auth: 'key',
      scope: 'events:read',
      query: streamQuery,
      responses: { 200: null },
      rawResponses: {
        200: {
          'text/event-stream': {
            schema: {
              type: 'string',
              description:
                'Server-Sent Events: per event an `id:` line (the event id), an `event:` line (its type) and a `data:` line (the event JSON, as webhooks deliver it: see `webhooks`), then a blank line; a `:` comment line every 15 seconds keeps the connection open.',
            },
            example:
              'id: evt_01JD5Z8Q4X3N2M1K0H9G8F7E6D\nevent: message.received\ndata: {"id":"evt_01JD5Z8Q4X3N2M1K0H9G8F7E6D","object":"event","event":"message.received","data":{"id":"msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D","object":"message"}}\n\n',
          },
        },
      },
      handler: async ({ ctx, auth, query, request, reply }) => {
        const header = request.headers['last-event-id'];
        const lastEventId = typeof header === 'string' && header.trim() ? header.trim() : query.last_event_id;
        if (lastEventId !== undefined && !EVENT_ID.test(lastEventId)) {
          throw new ApiError('validation_failed', 'Last-Event-ID: must be an evt_ id', {
            errors: [{ field: 'Last-Event-ID', message: 'must be an evt_ id' }],
          });
        }
        await serveEventStream(ctx, auth, request, reply, { ...opts, lastEventId, types: query.type });
        return { hijacked: true };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/events/:id',
      summary: 'Get an event',
      description:
        "One event as webhooks deliver it: `{id, event, timestamp, api_version, workspace_id, livemode, actor, data}` with the object's state in `data`.",
      tags,
      auth: 'key',
      scope: 'events:read',
      params: idParams('evt'),
      responses: { 200: eventObject },
      errors: ['not_found'],
      handler: async ({ ctx, auth, params }) => ({ status: 200, body: await getEvent(ctx, auth, params.id) }),
    }),
  ];
}
