import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { SocketRoute } from '../../platform/http/sockets.ts';
import { connectCall } from './calls.live.ts';
import { isTerminal, verifyMediaToken } from './calls.service.ts';
import { WebSocketTransport } from './engine/web-transport.ts';
import { voiceRuntime } from './voice.runtime.ts';

/** Close codes of the media socket (4xxx: application codes, as HTTP statuses + 4000). */
export const mediaClose = { unauthorized: 4401, notFound: 4404, conflict: 4409 } as const;

/**
 * `GET /v1/calls/{id}/media?token=...`: Parley's media WebSocket. The token is the call's own
 * (from `media_session`): a missing, expired or other call's token, or a call of another
 * workspace or mode, closes the socket with 4401 and says why. A web call is joined by its
 * first client (the caller); a socket on an ended call closes with 4409.
 */
export const mediaSocket: SocketRoute = {
  path: '/v1/calls/:id/media',
  async handle(ctx: AppContext, req: IncomingMessage, socket: Duplex, head: Buffer, params) {
    const wss = voiceRuntime(ctx).wss();
    const ws = await new Promise<import('ws').WebSocket>((resolve) =>
      wss.handleUpgrade(req, socket, head, (client) => resolve(client)),
    );
    const close = (code: number, reason: string) => {
      ws.send(JSON.stringify({ type: 'error', code, message: reason }));
      ws.close(code, reason.slice(0, 120));
    };
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    if (!token) return close(mediaClose.unauthorized, 'unauthorized: the token query parameter is missing.');
    const scope = await verifyMediaToken(ctx, params.id, token);
    if (!scope)
      return close(
        mediaClose.unauthorized,
        'unauthorized: the token is invalid, expired or for another call.',
      );
    const call = await tenant(ctx.db, scope)
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', params.id)
      .executeTakeFirst();
    if (!call) return close(mediaClose.notFound, `not_found: no call ${params.id}.`);
    if (isTerminal(call.status))
      return close(mediaClose.conflict, `conflict: the call has ended (${call.status}).`);
    if (call.transport !== 'web' || call.status !== 'queued')
      return close(mediaClose.conflict, 'conflict: this call is not waiting for a web client to join.');
    const session = await connectCall(ctx, call.id, new WebSocketTransport(ws), { answeredBy: 'human' });
    if (!session && ws.readyState === ws.OPEN)
      close(mediaClose.conflict, 'conflict: the call could not start.');
  },
};
