import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify, SignJWT } from 'jose';

/**
 * A local stand-in for LiveKit's server API: Twirp JSON over HTTP (`POST /twirp/livekit.<Service>/<Method>`,
 * `Authorization: Bearer <JWT>`), as documented at https://docs.livekit.io/reference/server/server-apis/.
 * Each call's token is verified (HS256 with the API secret, issued by the API key) and must carry
 * the grant the method needs: `video.roomCreate` for CreateRoom/DeleteRoom, `video.roomAdmin` for
 * the room for RemoveParticipant and CreateDispatch, `sip.call` for CreateSIPParticipant. Errors
 * are Twirp's `{code, msg, meta}`. It also signs webhooks the way LiveKit does (a JWT in
 * `Authorization` whose `sha256` claim is the body's base64 SHA-256).
 */

export interface LiveKitRequest {
  method: string;
  body: Record<string, any>;
  grants: Record<string, any>;
}

export class FakeLiveKit {
  readonly apiKey = `API${randomBytes(6).toString('hex')}`;
  readonly apiSecret = randomBytes(24).toString('hex');
  readonly requests: LiveKitRequest[] = [];
  readonly rooms = new Map<string, { participants: Set<string> }>();
  /** The SIP status a CreateSIPParticipant ends with (`200` answers; `486` busy, `404`...). */
  sipOutcome: string[] = [];
  #server: Server | undefined;
  url = '';

  async start() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => void this.#handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((r) => this.#server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop() {
    this.#server?.closeAllConnections();
    await new Promise<void>((r) => this.#server?.close(() => r()) ?? r());
  }

  #error(res: ServerResponse, status: number, code: string, msg: string, meta?: Record<string, string>) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code, msg, ...(meta ? { meta } : {}) }));
  }

  async #handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const m = (req.url ?? '').match(/^\/twirp\/livekit\.(\w+)\/(\w+)$/);
    if (req.method !== 'POST' || !m) return this.#error(res, 404, 'bad_route', `no handler for ${req.url}`);
    const auth = String(req.headers.authorization ?? '');
    let grants: Record<string, any>;
    try {
      const { payload } = await jwtVerify(
        auth.replace(/^Bearer /, ''),
        new TextEncoder().encode(this.apiSecret),
        {
          issuer: this.apiKey,
          algorithms: ['HS256'],
        },
      );
      grants = payload as Record<string, any>;
    } catch {
      return this.#error(res, 401, 'unauthenticated', 'invalid token');
    }
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return this.#error(res, 400, 'malformed', 'expected JSON');
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw);
    } catch {
      return this.#error(res, 400, 'malformed', 'bad JSON');
    }
    const method = `${m[1]}/${m[2]}`;
    this.requests.push({ method, body, grants });
    const ok = (json: object) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    const video = grants.video ?? {};
    const denied = () => this.#error(res, 403, 'permission_denied', `missing grant for ${method}`);
    switch (method) {
      case 'RoomService/CreateRoom':
        if (!video.roomCreate) return denied();
        if (!body.name) return this.#error(res, 400, 'invalid_argument', 'name is required');
        if (!this.rooms.has(body.name)) this.rooms.set(body.name, { participants: new Set() });
        return ok({
          sid: `RM_${randomBytes(6).toString('hex')}`,
          name: body.name,
          emptyTimeout: body.emptyTimeout ?? 300,
          creationTime: String(Math.floor(Date.now() / 1000)),
        });
      case 'RoomService/DeleteRoom':
        if (!video.roomCreate) return denied();
        if (!this.rooms.delete(body.room)) return this.#error(res, 404, 'not_found', 'room not found');
        return ok({});
      case 'RoomService/RemoveParticipant': {
        if (!video.roomAdmin || video.room !== body.room) return denied();
        const room = this.rooms.get(body.room);
        if (!room?.participants.delete(body.identity))
          return this.#error(res, 404, 'not_found', 'participant not found');
        return ok({});
      }
      case 'AgentDispatchService/CreateDispatch':
        if (!video.roomAdmin || video.room !== body.room) return denied();
        if (!body.agentName) return this.#error(res, 400, 'invalid_argument', 'agentName is required');
        return ok({
          id: `AD_${randomBytes(6).toString('hex')}`,
          agentName: body.agentName,
          room: body.room,
          metadata: body.metadata ?? '',
        });
      case 'SIP/CreateSIPParticipant': {
        if (!grants.sip?.call) return denied();
        if (!body.sipTrunkId) return this.#error(res, 400, 'invalid_argument', 'sipTrunkId is required');
        if (!/^\+[1-9]\d{6,14}$/.test(String(body.sipCallTo ?? '')))
          return this.#error(res, 400, 'invalid_argument', 'invalid sipCallTo');
        const outcome = this.sipOutcome.shift() ?? '200';
        if (outcome !== '200')
          return this.#error(res, 400, 'unavailable', 'call failed', {
            sip_status_code: outcome,
            sip_status: 'scripted',
          });
        const room = this.rooms.get(body.roomName);
        if (!room) return this.#error(res, 404, 'not_found', 'room not found');
        room.participants.add(body.participantIdentity);
        return ok({
          participantId: `PA_${randomBytes(6).toString('hex')}`,
          participantIdentity: body.participantIdentity,
          roomName: body.roomName,
          sipCallId: `SCL_${randomBytes(6).toString('hex')}`,
        });
      }
      default:
        return this.#error(res, 404, 'bad_route', `no handler for ${method}`);
    }
  }

  /** A webhook body and its Authorization header, as LiveKit sends them. */
  async signWebhook(event: object, secret = this.apiSecret) {
    const body = JSON.stringify({
      id: `EV_${randomBytes(6).toString('hex')}`,
      createdAt: String(Math.floor(Date.now() / 1000)),
      ...event,
    });
    const sha256 = createHash('sha256').update(body).digest('base64');
    const token = await new SignJWT({ sha256 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.apiKey)
      .setNotBefore(Math.floor(Date.now() / 1000))
      .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
      .sign(new TextEncoder().encode(secret));
    return { body, authorization: token };
  }
}
