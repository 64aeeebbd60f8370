import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppContext } from '../context.ts';

/**
 * WebSocket endpoints. A module lists its `sockets`; the server routes each HTTP upgrade by path
 * (`:name` segments become params) to the one handler, which checks what it must (a signature, a
 * token) and then completes the upgrade itself (with `ws`'s `handleUpgrade`) or refuses it with
 * `refuseUpgrade`. An upgrade for no listed path is refused with 404.
 */
export interface SocketRoute {
  path: string;
  handle(
    ctx: AppContext,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    params: Record<string, string>,
  ): void | Promise<void>;
}

/** Answers an upgrade request with a plain HTTP error and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: number, message: string) {
  const reason =
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict' }[
      status
    ] ?? 'Error';
  const code = { 401: 'unauthorized', 404: 'not_found', 409: 'conflict' }[status] ?? 'invalid_signature';
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function compile(path: string) {
  const names: string[] = [];
  const re = path.replace(/:([a-z_]+)/g, (_, name) => {
    names.push(name);
    return '([^/?#]+)';
  });
  return { regex: new RegExp(`^${re}/?$`), names };
}

export function installSockets(server: Server, ctx: AppContext, routes: SocketRoute[]) {
  if (routes.length === 0) return;
  const compiled = routes.map((r) => ({ route: r, ...compile(r.path) }));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    for (const c of compiled) {
      const m = c.regex.exec(path);
      if (!m) continue;
      const params = Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      Promise.resolve(c.route.handle(ctx, req, socket, head, params)).catch((err) => {
        ctx.logger.warn({ err: (err as Error).message, path }, 'websocket upgrade failed');
        if (!socket.destroyed) refuseUpgrade(socket, 400, 'The WebSocket could not be opened.');
      });
      return;
    }
    refuseUpgrade(socket, 404, `No WebSocket endpoint at ${path.slice(0, 80)}.`);
  });
}
