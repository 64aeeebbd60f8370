import type { FastifyReply, FastifyRequest } from 'fastify';
import { maskContactDetails } from '../../platform/contact-masking.ts';
import type { AppContext } from '../../platform/context.ts';
import { eventChannel, type LiveNotice, type ParleyEvent } from '../../platform/events.ts';
import type { Auth } from '../../platform/http/route.ts';
import { hiddenConversationIds, limitsConversations } from '../../platform/http/visibility-guard.ts';
import { openPresence } from '../users/index.ts';
import { eventsAfter, presentEvent } from './events.service.ts';

export interface StreamOptions {
  /** A comment line is sent this often, so proxies and clients keep an idle stream open. */
  heartbeatMs: number;
}

/** Replayed events are read in pages of this size. */
const REPLAY_PAGE = 500;
/** How many recent ids are remembered to drop an event seen both in the replay and live. */
const SEEN_IDS = 2000;
/** A client this far behind is disconnected (it resumes with Last-Event-ID) rather than buffered forever. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * Serves `GET /v1/events/stream` on the hijacked reply. Live events are subscribed to first and
 * held while the events after `Last-Event-ID` are replayed from the table; then the held ones
 * are sent, skipping any already replayed, so a resume has neither gaps nor duplicates.
 */
export async function serveEventStream(
  ctx: AppContext,
  auth: Auth,
  request: FastifyRequest,
  reply: FastifyReply,
  opts: StreamOptions & { lastEventId?: string; types?: string[] },
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = String(v);
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': connected\nretry: 3000\n\n');

  let closed = false;
  let replaying = true;
  const held: string[] = [];
  const seen = new Set<string>();
  const types = opts.types?.length ? new Set(opts.types) : null;

  // An inbox session's live connection is its user's presence (online while it is open).
  let releasePresence = (): void => {};
  const close = () => {
    if (closed) return;
    closed = true;
    releasePresence();
    unsubscribe();
    stopWatching?.();
    clearInterval(heartbeat);
    if (!raw.writableEnded) raw.end();
  };

  // A person whose role sees some conversations, or sees contact details masked, gets events
  // checked and masked one after another, in order (the check reads the database).
  const limits = limitsConversations(auth);
  const masks = auth.view?.maskContactDetails === true;
  let checked: Promise<void> = Promise.resolve();
  const send = (event: ParleyEvent | LiveNotice) => {
    if (!limits && !masks) return write(event);
    checked = checked
      .then(async () => {
        if (closed) return;
        if (limits && (await hiddenConversationIds(ctx, auth, JSON.stringify(event))).size) return;
        write(masks ? (maskContactDetails(event) as ParleyEvent | LiveNotice) : event);
      })
      .catch((err) => {
        ctx.logger.warn({ err }, 'event stream check failed');
        close();
      });
  };

  const write = (event: ParleyEvent | LiveNotice) => {
    if (closed) return;
    if ('object' in event) {
      // A live notice (a visitor typing): no id, so a resume neither counts nor replays it.
      if (!types || types.has(event.event))
        raw.write(`event: ${event.event}\ndata: ${JSON.stringify(event)}\n\n`);
      return;
    }
    if (seen.has(event.id)) return;
    if (opts.lastEventId && event.id <= opts.lastEventId) return;
    seen.add(event.id);
    if (seen.size > SEEN_IDS) seen.delete(seen.values().next().value as string);
    if (types && !types.has(event.event)) return;
    raw.write(`id: ${event.id}\nevent: ${event.event}\ndata: ${JSON.stringify(presentEvent(event))}\n\n`);
    if (raw.writableLength > MAX_BUFFERED_BYTES) close();
  };

  const unsubscribe = ctx.bus.subscribe(eventChannel(auth.workspaceId, auth.livemode), (message) => {
    if (replaying) held.push(message);
    else send(JSON.parse(message) as ParleyEvent | LiveNotice);
  });
  // The bus lost live events (Redis went away, or came back): end the stream, and the client's
  // resume with Last-Event-ID replays what it missed from the events table.
  const stopWatching = ctx.bus.onInterruption?.(() => close());
  const heartbeat = setInterval(() => {
    if (!closed) raw.write(': heartbeat\n\n');
  }, opts.heartbeatMs);
  heartbeat.unref();
  request.raw.on('close', close);
  raw.on('close', close);
  raw.on('error', close);

  try {
    const release = await openPresence(ctx, auth);
    if (closed) release();
    else releasePresence = release;
    if (opts.lastEventId) {
      let cursor = opts.lastEventId;
      while (!closed) {
        const page = await eventsAfter(ctx, auth.workspaceId, auth.livemode, cursor, REPLAY_PAGE);
        for (const event of page) send(event);
        if (page.length < REPLAY_PAGE) break;
        cursor = page[page.length - 1].id;
      }
    }
    replaying = false;
    for (const message of held.splice(0)) send(JSON.parse(message) as ParleyEvent | LiveNotice);
  } catch (err) {
    ctx.logger.warn({ err }, 'event stream replay failed');
    close();
  }
}
