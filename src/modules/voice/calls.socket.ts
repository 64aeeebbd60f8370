import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { guardSocket } from '../../platform/http/socket-guard.ts';
import { refuseUpgrade, type SocketRoute } from '../../platform/http/sockets.ts';
import { connectCall } from './calls.live.ts';
import { verifyMediaToken } from './calls.media.ts';
import { isTerminal } from './calls.service.ts';
import { WebSocketTransport } from './engine/web-transport.ts';
import { voiceRuntime } from './voice.runtime.ts';

/** Close codes of the media socket once open (4xxx: application codes, as HTTP statuses + 4000). */
export const mediaClose = { unauthorized: 4401, notFound: 4404, conflict: 4409 } as const;

/**
 * `GET /v1/calls/{id}/media?token=...`: Parley's media WebSocket. Everything is checked before the
 * upgrade, which is refused with a plain HTTP answer: a missing, expired or other call's token, or
 * a call of another workspace or mode, is 401; an unknown call 404; an ended call, or one not
 * waiting for a web client, 409. Nothing is read from a client that has not shown the call's token.
 * A web call is joined by its first client (the caller).
 */
export const mediaSocket: SocketRoute = {
  path: '/v1/calls/:id/media',
  async handle(ctx: AppContext, req: IncomingMessage, socket: Duplex, head: Buffer, params) {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    if (!token) return refuseUpgrade(socket, 401, 'The token query parameter is missing.');
    const scope = await verifyMediaToken(ctx, params.id, token);
    if (!scope) return refuseUpgrade(socket, 401, 'The token is invalid, expired or for another call.');
    const call = await tenant(ctx.db, scope)
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', params.id)
      .executeTakeFirst();
    if (!call) return refuseUpgrade(socket, 404, `No call ${params.id}.`);
    if (isTerminal(call.status)) return refuseUpgrade(socket, 409, `The call has ended (${call.status}).`);
    if (call.transport !== 'web' || call.status !== 'queued')
      return refuseUpgrade(socket, 409, 'This call is not waiting for a web client to join.');
    if (socket.destroyed) return;
    const ws = await new Promise<import('ws').WebSocket>((resolve) =>
      voiceRuntime(ctx)
        .wss()
        .handleUpgrade(req, socket, head, (client) => {
          guardSocket(client, ctx.logger, 'call-media');
          resolve(client);
        }),
    );
    const rt = voiceRuntime(ctx);
    const transport = new WebSocketTransport(ws, ctx.logger, {
      limits: { idleMs: ctx.config.mediaIdleSeconds * 1000 },
      stats: rt.media,
    });
    const session = await connectCall(ctx, call.id, transport, {
      answeredBy: 'human',
    });
    if (!session && ws.readyState === ws.OPEN) {
      const reason = 'conflict: the call could not start.';
      ws.send(JSON.stringify({ type: 'error', code: mediaClose.conflict, message: reason }));
      ws.close(mediaClose.conflict, reason);
    }
  },
};
