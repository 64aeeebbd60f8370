import type { ParleyEvent } from './client.ts';
import { ParleyError } from './errors.ts';
import type { SseMessage } from './sse.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface LiveOptions {
  /** Each event, in order. */
  onEvent: (event: ParleyEvent) => void;
  /**
   * `connecting` (the first attempt), `live` (the server accepted the stream), `reconnecting`
   * (it broke or was refused: the next attempt is in `delayMs`, after `attempt` failures in a row).
   */
  onState?: (state: LiveState, info: { attempt: number; delayMs: number; error?: unknown }) => void;
  /** A 401: the credential is gone; the stream stops for good. */
  onUnauthorized?: (error: ParleyError) => void;
  /** Resume after this event (`Last-Event-ID`): the server replays what came after it. */
  lastEventId?: string | null;
  /** Silence that means a dead connection (the server sends a heartbeat every 15 s); default 45 s. */
  idleMs?: number;
  query?: Record<string, unknown>;
}

/** A live event stream that stays open: see `client.events.live`. */
export interface LiveEvents {
  /** The newest event id seen: where the next connection resumes. */
  readonly lastEventId: string | undefined;
  /** Settles when the stream has stopped (`stop()` or a 401). */
  readonly done: Promise<void>;
  stop(): void;
  /** Drops the current connection (as a lost network would); it reconnects. */
  reconnectNow(): void;
  /** Ends a wait between attempts at once (the network came back). */
  retrySoon(): void;
}

type Opener = (options: {
  lastEventId?: string;
  signal: AbortSignal;
  onOpen: () => void;
  idleMs: number;
  query?: Record<string, unknown>;
}) => AsyncIterable<SseMessage>;

/** Backoff between attempts: 0.5 s, 1 s, 2 s ... 10 s at most. */
export const liveDelay = (failures: number) => Math.min(10_000, 500 * 2 ** Math.min(failures - 1, 5));

/**
 * Keeps one event stream open: reconnects with backoff, resumes with `Last-Event-ID` (the server
 * replays what was missed, without gaps or doubles), breaks a connection that went silent, and
 * stops at a 401. `open` is `client.stream` bound to `/v1/events/stream`.
 */
export function liveEvents(open: Opener, options: LiveOptions): LiveEvents {
  let lastEventId = options.lastEventId ?? undefined;
  let stopped = false;
  let failures = 0;
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;
  const idleMs = options.idleMs ?? 45_000;

  /** One connection, read to its end: 'ended', or the error that broke or refused it. */
  async function connectOnce(): Promise<{ error?: unknown }> {
    const current = new AbortController();
    controller = current;
    if (failures === 0) options.onState?.('connecting', { attempt: 0, delayMs: 0 });
    try {
      const messages = open({
        lastEventId,
        signal: current.signal,
        idleMs,
        query: options.query,
        onOpen: () => {
          failures = 0;
          options.onState?.('live', { attempt: 0, delayMs: 0 });
        },
      });
      for await (const msg of messages) {
        if (msg.id) lastEventId = msg.id;
        const event = parseEvent(msg.data);
        if (event) options.onEvent(event);
      }
      return {};
    } catch (error) {
      return { error };
    }
  }

  async function loop() {
    while (!stopped) {
      const { error } = await connectOnce();
      if (stopped) return;
      if (error instanceof ParleyError && error.status === 401) {
        stopped = true;
        options.onUnauthorized?.(error);
        return;
      }
      failures += 1;
      const delayMs = liveDelay(failures);
      options.onState?.('reconnecting', { attempt: failures, delayMs, error });
      await new Promise<void>((resolve) => {
        retryTimer = setTimeout(resolve, delayMs);
        wake = resolve;
      });
    }
  }

  const done = loop();
  return {
    get lastEventId() {
      return lastEventId;
    },
    done,
    stop() {
      stopped = true;
      controller?.abort();
      clearTimeout(retryTimer);
      wake?.();
    },
    reconnectNow() {
      clearTimeout(retryTimer);
      controller?.abort();
    },
    retrySoon() {
      clearTimeout(retryTimer);
      wake?.();
    },
  };
}

function parseEvent(data: string): ParleyEvent | null {
  try {
    const event = JSON.parse(data) as ParleyEvent;
    return event && typeof event.event === 'string' && typeof event.id === 'string' ? event : null;
  } catch {
    return null; // not an event (a hello or ping in plain text)
  }
}
