import type { FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import type { AppContext } from '../../platform/context.ts';
import { sha256Hex } from '../../platform/crypto.ts';
import { ApiError } from '../../platform/errors.ts';
import {
  type ChannelConfig,
  channelById,
  channelConfigOf,
  type WebSettings,
  webSettingsOf,
} from '../channels/index.ts';
import type { WidgetVisitorsTable } from './widget.tables.ts';

/**
 * Who may use a widget route: a request from a page of one of the channel's `allowed_domains`
 * (its `Origin`), within the per-IP and per-visitor rate limits, with the visitor's session token
 * (`Authorization: Bearer wvt_...`) and, when the channel's `identity` is `required`, a valid
 * identity token signed with the channel's key, on every request.
 */

export interface WidgetChannel {
  config: ChannelConfig;
  settings: WebSettings;
  /** The channel's AI agent (null: none); its opening hours say when people answer. */
  agentId: string | null;
  /** The CORS headers every answer to this origin carries. */
  cors: Record<string, string>;
}

export interface VerifiedIdentity {
  sub: string;
  email?: string;
  phone?: string;
  name?: string;
}

/** Per IP address: every widget request. */
export const IP_LIMIT = { windowMs: 60_000, limit: 600 };
/** Per IP address: new visitor sessions (each makes a contact). */
export const SESSION_LIMIT = { windowMs: 60_000, limit: 60 };
/** Per visitor: messages, files and typing signals. */
export const VISITOR_LIMIT = { windowMs: 60_000, limit: 30 };

const CORS_METHODS = 'GET, POST, OPTIONS';
const CORS_HEADERS = 'Authorization, Content-Type, Last-Event-ID, X-Parley-Identity, Idempotency-Key';

/** Whether an `Origin` (`https://www.glowsalon.in`) is one of the allowed domains (`*.glowsalon.in` takes subdomains; no port: any port). */
export function originAllowed(origin: string | undefined, domains: readonly string[]): boolean {
  if (!origin) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  const host = url.hostname.toLowerCase();
  const port = url.port;
  return domains.some((d) => {
    const [name, wantPort] = d.split(':') as [string, string | undefined];
    if (wantPort !== undefined && wantPort !== port) return false;
    if (name.startsWith('*.')) return host.endsWith(name.slice(1)) && host.length > name.length - 1;
    return host === name;
  });
}

export function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': CORS_METHODS,
    'Access-Control-Allow-Headers': CORS_HEADERS,
    'Access-Control-Max-Age': '600',
    'Access-Control-Expose-Headers': 'Retry-After, Idempotent-Replayed',
    Vary: 'Origin',
  };
}

/** The active web channel behind a widget route and this request's origin checked; 403 for any other origin. */
export async function widgetChannel(
  ctx: AppContext,
  request: FastifyRequest,
  channelId: string,
): Promise<WidgetChannel> {
  const row = await channelById(ctx.db, channelId);
  if (row?.type !== 'web' || row.status !== 'active')
    throw new ApiError('not_found', `No website widget with id ${channelId}.`);
  const settings = webSettingsOf(JSON.parse(row.settings) as Record<string, unknown>);
  const origin = typeof request.headers.origin === 'string' ? request.headers.origin : undefined;
  if (!originAllowed(origin, settings.allowed_domains))
    throw new ApiError(
      'forbidden',
      origin
        ? `This widget may not be used from ${origin}: add its domain to the channel's settings.allowed_domains.`
        : "Widget requests come from a page (an Origin header) of one of the channel's allowed domains.",
    );
  return {
    config: channelConfigOf(ctx, row),
    settings,
    agentId: row.agent_id,
    cors: corsHeaders(origin as string),
  };
}

/** Counts one request against a sliding window; 429 `rate_limited` with Retry-After past it. */
export async function limit(ctx: AppContext, key: string, rule: { windowMs: number; limit: number }) {
  const now = Date.now();
  const hit = await ctx.rateLimits.hit(key, rule.windowMs, rule.limit, 1, now);
  if (hit.allowed) return;
  const retry = Math.max(1, Math.ceil(((hit.retryAtMs ?? hit.resetAtMs) - now) / 1000));
  throw new ApiError('rate_limited', `Too many requests; retry in ${retry} s.`, {
    headers: { 'Retry-After': String(retry) },
  });
}

export const ipLimit = (ctx: AppContext, request: FastifyRequest) =>
  limit(ctx, `widget:ip:${request.ip}`, IP_LIMIT);

/** The identity token of the request (`X-Parley-Identity`), verified with the channel's key. */
export async function verifiedIdentity(
  channel: WidgetChannel,
  request: FastifyRequest,
): Promise<VerifiedIdentity | null> {
  const header = request.headers['x-parley-identity'];
  const token = typeof header === 'string' && header.trim() ? header.trim() : undefined;
  const required = channel.settings.identity === 'required';
  if (!token) {
    if (required)
      throw new ApiError('unauthorized', 'This widget needs a signed identity token (X-Parley-Identity).');
    return null;
  }
  const key = channel.config.credentials.signing_key;
  if (!key)
    throw new ApiError('unauthorized', 'This widget takes no identity tokens (it has no signing key).');
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(key), {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    });
    const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 200) : undefined);
    const sub = str(payload.sub);
    if (!sub) throw new Error('sub is empty');
    return { sub, email: str(payload.email), phone: str(payload.phone), name: str(payload.name) };
  } catch (err) {
    const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
    throw new ApiError(
      'unauthorized',
      expired
        ? 'The identity token has expired: sign a new one.'
        : "The identity token is not valid (HS256 with the channel's signing key, with exp and sub).",
    );
  }
}

export const tokenHash = (token: string) => sha256Hex(`widget:${token}`);

/** The session token of the request: `Authorization: Bearer wvt_...`. */
export function sessionToken(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(wvt_[A-Za-z0-9_-]{20,100})$/.exec(auth.trim()) : null;
  return m?.[1];
}

/** A session's last use is written at most this often (not one write per request). */
const TOUCH_EVERY_MS = 3_600_000;

/**
 * A session token unused for `PARLEY_WIDGET_SESSION_IDLE_DAYS` has expired: it is deleted and
 * the request is a 401 (the widget then starts a new session). Otherwise its use is noted.
 */
async function keepSessionAlive(ctx: AppContext, hash: string, lastUsed: string) {
  const now = ctx.clock.now().getTime();
  const idleMs = now - Date.parse(lastUsed);
  const days = ctx.config.widgetSessionIdleDays;
  if (idleMs > days * 86_400_000) {
    await ctx.db.deleteFrom('widget_sessions').where('token_hash', '=', hash).execute();
    throw new ApiError(
      'unauthorized',
      `This visitor session expired after ${days} days without use: start a new one with POST /widget/{channel}/session.`,
    );
  }
  if (idleMs > TOUCH_EVERY_MS)
    await ctx.db
      .updateTable('widget_sessions')
      .set({ last_used_at: new Date(now).toISOString() })
      .where('token_hash', '=', hash)
      .execute();
}

/**
 * The visitor of this request's session on this channel: 401 without a session, with an unknown
 * or expired one, or (identity required) with an identity that is not the visitor's.
 */
export async function sessionVisitor(
  ctx: AppContext,
  channel: WidgetChannel,
  request: FastifyRequest,
): Promise<{ visitor: WidgetVisitorsTable; identity: VerifiedIdentity | null }> {
  const token = sessionToken(request);
  if (!token)
    throw new ApiError('unauthorized', 'No visitor session: start one with POST /widget/{channel}/session.');
  const identity = await verifiedIdentity(channel, request);
  const found = await ctx.db
    .selectFrom('widget_sessions')
    .innerJoin('widget_visitors', 'widget_visitors.id', 'widget_sessions.visitor_id')
    .selectAll('widget_visitors')
    .select(['widget_sessions.created_at as session_created_at', 'widget_sessions.last_used_at'])
    .where('widget_sessions.token_hash', '=', tokenHash(token))
    .executeTakeFirst();
  if (!found || found.channel_id !== channel.config.id)
    throw new ApiError('unauthorized', 'This visitor session is not known here: start a new one.');
  const { session_created_at, last_used_at, ...visitor } = found;
  await keepSessionAlive(ctx, tokenHash(token), last_used_at ?? session_created_at);
  if (identity && visitor.subject !== identity.sub)
    throw new ApiError(
      'unauthorized',
      "The identity token is not this session's visitor: start a new session.",
    );
  return { visitor, identity };
}
