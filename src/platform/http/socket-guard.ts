import type { Logger } from 'pino';
import type { WebSocket } from 'ws';

/**
 * Makes a served WebSocket safe for the process: an `error` event (a text frame that is not
 * valid UTF-8, a frame over `maxPayload`, a reset connection) is logged and the socket closed by
 * `ws` itself, never an unhandled `error` that ends the process. Call it at once in the
 * `handleUpgrade` callback, before any `await`.
 */
export function guardSocket(ws: WebSocket, logger: Logger, socket: string): void {
  ws.on('error', (err) => {
    logger.info({ err: err.message, socket }, 'websocket error: the connection is closed');
    if (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN) ws.terminate();
  });
}

/**
 * Wraps a message handler so that nothing a client sends can throw out of it: a throw is logged
 * and answered by `onFault` (e.g. the socket's error message).
 */
export function safeHandler<A extends unknown[]>(
  logger: Logger,
  socket: string,
  handler: (...args: A) => void,
  onFault?: () => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      handler(...args);
    } catch (err) {
      logger.warn({ err: (err as Error).message, socket }, 'websocket message handler failed');
      try {
        onFault?.();
      } catch {
        // the socket is gone: nothing more to say
      }
    }
  };
}

/** A JSON text frame parsed to an object, or null when it is not JSON or not an object. */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
