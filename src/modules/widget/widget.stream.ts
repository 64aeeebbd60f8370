import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.ts';
import { eventsAfter, typingChannel, visitorChannel, type WidgetEvent } from './widget.events.ts';

/** Replayed events are read in pages of this size. */
const REPLAY_PAGE = 500;
/** A visitor this far behind is disconnected (it resumes with Last-Event-ID) rather than buffered. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 25_000;

/** How many widget streams this process holds open (the benchmark and metrics read it). */
export const openStreams = { count: 0 };

/**
 * A visitor's Server-Sent Events on the hijacked reply: live events are subscribed to first and
 * held while those after `Last-Event-ID` are replayed from `widget_events`, then sent skipping
 * any already replayed, so a reconnect (another page, a dropped network) has no gap and no
 * duplicate. A person typing in the inbox comes as `event: typing` (not kept, not replayed).
 */
export async function serveVisitorStream(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  opts: { visitorId: string; lastEventId?: string; headers: Record<string, string> },
): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...opts.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': connected\nretry: 3000\n\n');
  openStreams.count++;
  let closed = false;
  let replaying = true;
  // Ids of the events replayed: a live one may repeat them (held during the replay, or published
  // just after it was read). (Not an
  // "id at or before the last sent" rule: two events written side by side are published in either
  // order, and the later-published one, with the earlier id, was dropped: a message the visitor
  // saw only after a reload.)
  const replayed = new Set<string>();
  const held: string[] = [];
  const close = () => {
    if (closed) return;
    closed = true;
    openStreams.count--;
    unsubscribe();
    unsubscribeTyping();
    stopWatching?.();
    clearInterval(heartbeat);
    if (!raw.writableEnded) raw.end();
  };
  const send = (event: WidgetEvent) => {
    if (closed || replayed.has(event.id)) return;
    raw.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
    if (raw.writableLength > MAX_BUFFERED_BYTES) close();
  };
  const unsubscribe = ctx.bus.subscribe(visitorChannel(opts.visitorId), (message) => {
    if (replaying) held.push(message);
    else send(JSON.parse(message) as WidgetEvent);
  });
  const unsubscribeTyping = ctx.bus.subscribe(typingChannel(opts.visitorId), (state) => {
    if (!closed && (state === 'typing' || state === 'left'))
      raw.write(`event: typing\ndata: ${JSON.stringify({ typing: state === 'typing' })}\n\n`);
  });
  const stopWatching = ctx.bus.onInterruption?.(() => close());
  const heartbeat = setInterval(() => {
    if (!closed) raw.write(': heartbeat\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  request.raw.on('close', close);
  raw.on('close', close);
  raw.on('error', close);
  try {
    let cursor = opts.lastEventId;
    while (!closed) {
      const page = await eventsAfter(ctx.db, opts.visitorId, cursor, REPLAY_PAGE);
      for (const event of page) {
        send(event);
        replayed.add(event.id);
      }
      if (page.length < REPLAY_PAGE) break;
      cursor = page[page.length - 1].id;
    }
    replaying = false;
    held.sort();
    for (const message of held.splice(0)) send(JSON.parse(message) as WidgetEvent);
  } catch (err) {
    ctx.logger.warn({ err }, 'widget stream replay failed');
    close();
  }
}
