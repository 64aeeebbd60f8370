import { createHash } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { CarrierError, carrierFetch } from '../carrier-error.ts';

/**
 * LiveKit as an API client: access tokens (HS256 JWTs signed with the API secret, `iss` the API
 * key, grants under `video` and `sip`), the Twirp JSON server API (`POST {url}/twirp/livekit.<Service>/<Method>`
 * with a bearer token), and signed webhooks (the `Authorization` header is a JWT whose `sha256`
 * claim is the base64 SHA-256 of the body). As documented at https://docs.livekit.io/home/get-started/authentication/,
 * https://docs.livekit.io/reference/server/server-apis/ and https://docs.livekit.io/home/server/webhooks/.
 */

export interface LiveKitCredentials {
  /** The project URL (`wss://my-project.livekit.cloud`); the API is the same host over https. */
  url: string;
  api_key: string;
  api_secret: string;
  sip_trunk_id?: string;
  agent_name?: string;
}

export interface VideoGrant {
  roomCreate?: boolean;
  roomList?: boolean;
  roomAdmin?: boolean;
  roomJoin?: boolean;
  room?: string;
  canPublish?: boolean;
  canSubscribe?: boolean;
  canPublishData?: boolean;
}

export interface SipGrant {
  admin?: boolean;
  call?: boolean;
}

export interface AccessTokenInput {
  identity?: string;
  name?: string;
  ttlSeconds?: number;
  video?: VideoGrant;
  sip?: SipGrant;
  metadata?: string;
}

function secretKey(secret: string) {
  return new TextEncoder().encode(secret);
}

/** A LiveKit access token, as the server SDK's `AccessToken.toJwt()` makes it. */
export async function mintAccessToken(
  creds: Pick<LiveKitCredentials, 'api_key' | 'api_secret'>,
  input: AccessTokenInput,
  now = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const ttl = input.ttlSeconds ?? 600;
  const iat = Math.floor(now.getTime() / 1000);
  const claims: Record<string, unknown> = {};
  if (input.video) claims.video = input.video;
  if (input.sip) claims.sip = input.sip;
  if (input.name) claims.name = input.name;
  if (input.metadata) claims.metadata = input.metadata;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(creds.api_key)
    .setNotBefore(iat)
    .setExpirationTime(iat + ttl);
  if (input.identity) jwt.setSubject(input.identity).setJti(input.identity);
  return { token: await jwt.sign(secretKey(creds.api_secret)), expiresAt: new Date((iat + ttl) * 1000) };
}

/** The room token a client joins the call's room with (Oration's `tokenResponse`): identity `api-client`. */
export async function roomJoinToken(
  creds: LiveKitCredentials,
  room: string,
  opts: { identity?: string; ttlSeconds?: number; now?: Date } = {},
) {
  const identity = opts.identity ?? 'api-client';
  const { token, expiresAt } = await mintAccessToken(
    creds,
    {
      identity,
      ttlSeconds: opts.ttlSeconds ?? 900,
      video: { roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true },
    },
    opts.now,
  );
  return { token, expiresAt, identity, room, url: creds.url };
}

/** `https://` for the API when the project URL is given as `wss://` (and `http://` for `ws://`). */
export function apiBaseOf(url: string): string {
  return url.replace(/^wss:/, 'https:').replace(/^ws:/, 'http:').replace(/\/$/, '');
}

export interface SipParticipant {
  participantId: string;
  participantIdentity: string;
  roomName: string;
  sipCallId: string;
}

/** SIP response codes in a Twirp error's meta mean what happened to the dialled number. */
function sipReason(code: string | undefined): CarrierError['reason'] {
  switch (code) {
    case '486':
    case '600':
      return 'busy';
    case '408':
    case '480':
    case '487':
      return 'no_answer';
    case '404':
    case '484':
    case '604':
      return 'invalid_number';
    default:
      return 'failed_to_connect';
  }
}

export class LiveKitClient {
  readonly #creds: LiveKitCredentials;
  readonly #base: string;
  readonly #timeoutMs: number | undefined;

  /** `apiUrl` overrides the credentials' URL for the server API (PARLEY_LIVEKIT_URL; a fake in tests). */
  constructor(creds: LiveKitCredentials, opts: { apiUrl?: string; timeoutMs?: number } = {}) {
    this.#creds = creds;
    this.#base = apiBaseOf(opts.apiUrl || creds.url);
    this.#timeoutMs = opts.timeoutMs;
  }

  async #twirp(
    service: string,
    method: string,
    body: Record<string, unknown>,
    grants: Pick<AccessTokenInput, 'video' | 'sip'>,
  ) {
    const { token } = await mintAccessToken(this.#creds, { ...grants, ttlSeconds: 600 });
    const { res, json } = await carrierFetch('LiveKit', `${this.#base}/twirp/livekit.${service}/${method}`, {
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.#timeoutMs,
    });
    if (res.ok) return json ?? {};
    // Twirp errors: {"code": "not_found" | "invalid_argument" | "unauthenticated" | ..., "msg", "meta"}.
    const code = String(json?.code ?? `http_${res.status}`);
    const msg = `LiveKit ${method} failed (${code}: ${json?.msg ?? `HTTP ${res.status}`})`;
    const sipCode = json?.meta?.sip_status_code as string | undefined;
    if (sipCode) throw new CarrierError(sipReason(sipCode), msg, { providerCode: `sip_${sipCode}` });
    if (code === 'not_found')
      throw new CarrierError('provider_error', msg, { providerCode: code, alreadyEnded: true });
    if (code === 'invalid_argument' && method === 'CreateSIPParticipant')
      throw new CarrierError('invalid_number', msg, { providerCode: code });
    const retryable = ['unavailable', 'resource_exhausted', 'internal', 'deadline_exceeded'].includes(code);
    throw new CarrierError('provider_error', msg, { providerCode: code, retryable });
  }

  createRoom(
    name: string,
    opts: { emptyTimeoutSeconds?: number; maxParticipants?: number; metadata?: string } = {},
  ) {
    return this.#twirp(
      'RoomService',
      'CreateRoom',
      {
        name,
        emptyTimeout: opts.emptyTimeoutSeconds ?? 60,
        maxParticipants: opts.maxParticipants ?? 4,
        ...(opts.metadata ? { metadata: opts.metadata } : {}),
      },
      { video: { roomCreate: true } },
    );
  }

  /** Deleting a room that no longer exists is not an error: the wanted outcome holds. */
  async deleteRoom(room: string): Promise<void> {
    try {
      await this.#twirp('RoomService', 'DeleteRoom', { room }, { video: { roomCreate: true } });
    } catch (err) {
      if (!(err instanceof CarrierError && err.alreadyEnded)) throw err;
    }
  }

  /** Hangs up a SIP participant (removing it from the room ends its call). */
  async removeParticipant(room: string, identity: string): Promise<{ alreadyEnded: boolean }> {
    try {
      await this.#twirp(
        'RoomService',
        'RemoveParticipant',
        { room, identity },
        { video: { roomAdmin: true, room } },
      );
      return { alreadyEnded: false };
    } catch (err) {
      if (err instanceof CarrierError && err.alreadyEnded) return { alreadyEnded: true };
      throw err;
    }
  }

  async createSipParticipant(input: {
    room: string;
    to: string;
    from?: string;
    identity: string;
    name?: string;
    ringingTimeoutSeconds?: number;
    maxCallDurationSeconds?: number;
    attributes?: Record<string, string>;
  }): Promise<SipParticipant> {
    const trunk = this.#creds.sip_trunk_id;
    if (!trunk)
      throw new CarrierError('provider_error', 'The LiveKit channel has no sip_trunk_id.', {
        providerCode: 'no_sip_trunk',
      });
    const json = await this.#twirp(
      'SIP',
      'CreateSIPParticipant',
      {
        sipTrunkId: trunk,
        sipCallTo: input.to,
        ...(input.from ? { sipNumber: input.from } : {}),
        roomName: input.room,
        participantIdentity: input.identity,
        ...(input.name ? { participantName: input.name } : {}),
        ...(input.attributes ? { participantAttributes: input.attributes } : {}),
        ringingTimeout: `${input.ringingTimeoutSeconds ?? 30}s`,
        ...(input.maxCallDurationSeconds ? { maxCallDuration: `${input.maxCallDurationSeconds}s` } : {}),
        playDialtone: false,
      },
      { sip: { call: true } },
    );
    return {
      participantId: String(json.participantId ?? json.participant_id ?? ''),
      participantIdentity: String(json.participantIdentity ?? json.participant_identity ?? input.identity),
      roomName: String(json.roomName ?? json.room_name ?? input.room),
      sipCallId: String(json.sipCallId ?? json.sip_call_id ?? ''),
    };
  }

  /** Dispatches a named LiveKit agent worker into the room, with the call's details as metadata. */
  createDispatch(room: string, agentName: string, metadata?: string) {
    return this.#twirp(
      'AgentDispatchService',
      'CreateDispatch',
      { room, agentName, ...(metadata ? { metadata } : {}) },
      { video: { roomAdmin: true, room } },
    );
  }
}

export interface LiveKitWebhookEvent {
  event: string;
  id?: string;
  createdAt?: string | number;
  room?: { name?: string; sid?: string; metadata?: string };
  participant?: {
    identity?: string;
    sid?: string;
    kind?: string | number;
    attributes?: Record<string, string>;
    disconnectReason?: string | number;
  };
}

/**
 * Verifies a LiveKit webhook: the Authorization header (with or without `Bearer `) is a JWT signed
 * with the API secret, issued by the API key, whose `sha256` claim is the base64 SHA-256 of the raw
 * body. Returns the event, or undefined when anything does not match.
 */
export async function verifyLiveKitWebhook(
  creds: Pick<LiveKitCredentials, 'api_key' | 'api_secret'>,
  authorization: string | undefined,
  rawBody: Buffer,
): Promise<LiveKitWebhookEvent | undefined> {
  if (!authorization) return undefined;
  const token = authorization.replace(/^Bearer\s+/i, '');
  try {
    const { payload } = await jwtVerify(token, secretKey(creds.api_secret), {
      issuer: creds.api_key,
      algorithms: ['HS256'],
    });
    const digest = createHash('sha256').update(rawBody).digest('base64');
    if (payload.sha256 !== digest) return undefined;
    const event = JSON.parse(rawBody.toString('utf8'));
    return event && typeof event.event === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a LiveKit webhook means for the call in room `room`: the SIP participant's
 * `sip.callStatus` attribute (`dialing`, `ringing`, `active`, `hangup`), its leaving, or the room finishing.
 */
export function liveKitCallStatus(
  event: LiveKitWebhookEvent,
  calleeIdentity: string,
): 'ringing' | 'in_progress' | 'ended' | undefined {
  const p = event.participant;
  const isCallee = p?.identity === calleeIdentity;
  if (event.event === 'room_finished') return 'ended';
  if (!isCallee) return undefined;
  if (event.event === 'participant_left') return 'ended';
  const sipStatus = p?.attributes?.['sip.callStatus'];
  if (sipStatus === 'active') return 'in_progress';
  if (sipStatus === 'ringing' || sipStatus === 'dialing') return 'ringing';
  if (sipStatus === 'hangup') return 'ended';
  if (event.event === 'participant_joined') return 'in_progress';
  return undefined;
}
