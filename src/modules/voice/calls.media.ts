import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { AppContext } from '../../platform/context.ts';
import { loadSecretKey } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { type MediaSession, voiceRuntime } from './voice.runtime.ts';
import type { CallRow } from './voice.tables.ts';

const MEDIA_TOKEN_TTL_S = 15 * 60;

// ---------------------------------------------------------------- media session tokens

const MEDIA_AUDIENCE = 'parley-call-media';

function mediaSecret(ctx: AppContext): Uint8Array {
  return createHmac('sha256', loadSecretKey(ctx.config)).update('parley:call-media-jwt:v1').digest();
}

function wsBase(ctx: AppContext): string {
  const base = (ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/$/, '');
  return base.replace(/^http/, 'ws');
}

/** A call-scoped token for Parley's media WebSocket (`/v1/calls/{id}/media?token=...`), 15 minutes. */
export async function mediaSessionFor(ctx: AppContext, call: CallRow): Promise<MediaSession> {
  const custom = voiceRuntime(ctx).mediaSessions.get(call.provider);
  if (custom) return custom(call);
  const nowS = Math.floor(ctx.clock.now().getTime() / 1000);
  const token = await new SignJWT({ ws: call.workspace_id, lm: call.livemode === 1 })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(call.id)
    .setAudience(MEDIA_AUDIENCE)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + MEDIA_TOKEN_TTL_S)
    .sign(mediaSecret(ctx));
  return {
    provider: 'parley',
    room: call.id,
    token,
    url: `${wsBase(ctx)}/v1/calls/${call.id}/media?token=${token}`,
    identity: 'api-client',
    expires_at: new Date((nowS + MEDIA_TOKEN_TTL_S) * 1000).toISOString(),
  };
}

/** The call a media token admits to, or null (bad signature, expired, another call). */
export async function verifyMediaToken(
  ctx: AppContext,
  callId: string,
  token: string,
): Promise<Scope | null> {
  try {
    const { payload } = await jwtVerify(token, mediaSecret(ctx), {
      audience: MEDIA_AUDIENCE,
      currentDate: ctx.clock.now(),
    });
    if (payload.sub !== callId || typeof payload.ws !== 'string' || typeof payload.lm !== 'boolean')
      return null;
    return { workspaceId: payload.ws, livemode: payload.lm };
  } catch {
    return null;
  }
}
