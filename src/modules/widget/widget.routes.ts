import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { InvalidJsonBody } from '../../platform/http/register.ts';
import { type AnyRoute, defineRoute, type RouteResult } from '../../platform/http/route.ts';
import { sniffMediaType } from '../media/index.ts';
import {
  ipLimit,
  limit,
  SESSION_LIMIT,
  sessionVisitor,
  VISITOR_LIMIT,
  verifiedIdentity,
  type WidgetChannel,
  widgetChannel,
} from './widget.access.ts';
import { serveAsset, widgetAssets } from './widget.assets.ts';
import { startVisitorCall } from './widget.call.ts';
import { availabilityOf, continueByEmail, continueOnWhatsApp } from './widget.fallback.ts';
import { publicSettings, sendVisitorMessage, startSession, tellTyping } from './widget.service.ts';
import { serveVisitorStream } from './widget.stream.ts';

/**
 * The website widget's public routes, outside `/v1` (a visitor's session token is no API key and
 * reaches nothing there): `/widget.js` (the loader), `/widget/{channel}/...` for visitors. Each
 * answers CORS only to the channel's allowed domains, its errors included.
 */

const tags = ['Website widget'];
const common = { tags, auth: 'none', hidden: true } as const;
const errors = [
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_found',
  'rate_limited',
  'payload_too_large',
  'unsupported_media_type',
  'idempotency_conflict',
  'unprocessable',
  'concurrency_limited',
] as const;
const params = z.object({ channel_id: z.string().regex(/^ch_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ch_ id') });

/** Runs `work` for a widget request of this channel and origin; any refusal carries the CORS headers too. */
async function widgetRequest(
  ctx: AppContext,
  request: FastifyRequest,
  channelId: string,
  work: (channel: WidgetChannel) => Promise<RouteResult>,
): Promise<RouteResult> {
  let cors: Record<string, string> | undefined;
  try {
    await ipLimit(ctx, request);
    const channel = await widgetChannel(ctx, request, channelId);
    cors = channel.cors;
    const result = await work(channel);
    if ('hijacked' in result) return result;
    return { ...result, headers: { ...cors, ...(result.headers ?? {}), 'Cache-Control': 'no-store' } };
  } catch (err) {
    if (err instanceof ApiError && cors)
      throw new ApiError(err.code, err.message, {
        errors: err.errors,
        details: err.details,
        status: err.status,
        headers: { ...cors, ...(err.headers ?? {}) },
      });
    throw err;
  }
}

function jsonBody<T>(request: FastifyRequest, schema: z.ZodType<T>): T {
  if (request.body instanceof InvalidJsonBody)
    throw new ApiError('validation_failed', 'Malformed JSON body.', {
      errors: [{ field: 'body', message: 'is not valid JSON' }],
    });
  const parsed = schema.safeParse(request.body ?? {});
  if (parsed.success) return parsed.data;
  const errs = parsed.error.issues.map((i) => ({
    field: i.path.join('.') || 'body',
    message: i.message.replace(/^Invalid input: /, ''),
  }));
  throw new ApiError('validation_failed', errs.map((e) => `${e.field}: ${e.message}`).join('; '), {
    errors: errs,
  });
}

const sessionBody = z.object({
  consent: z.boolean().optional(),
  pre_chat: z
    .object({
      name: z.string().max(200).optional(),
      email: z.string().max(320).optional(),
      phone: z.string().max(40).optional(),
    })
    .optional(),
});
const messageBody = z.object({ text: z.string().trim().min(1, 'is required').max(4096) });
const typingBody = z.object({ typing: z.boolean() });
const continueBody = z.object({
  via: z.enum(['email', 'whatsapp']),
  email: z.email('must be an email address').max(320).optional(),
});

function idempotencyKey(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.:-]{8,100}$/.test(key))
    throw new ApiError(
      'validation_failed',
      'Idempotency-Key: 8 to 100 letters, digits or _.:- (one per message).',
      {
        errors: [{ field: 'Idempotency-Key', message: 'is required (8 to 100 of A-Z a-z 0-9 _ . : -)' }],
      },
    );
  return key;
}

function lastEventId(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.last_event_id;
  const id =
    typeof header === 'string' && header.trim()
      ? header.trim()
      : typeof query === 'string'
        ? query
        : undefined;
  if (id !== undefined && !/^wev_[0-9A-HJKMNP-TV-Z]{26}$/.test(id))
    throw new ApiError('validation_failed', 'Last-Event-ID: must be a wev_ id from this stream.', {
      errors: [{ field: 'Last-Event-ID', message: 'must be a wev_ id' }],
    });
  return id;
}

const fileNameOf = (request: FastifyRequest) => {
  const name = (request.query as Record<string, unknown> | undefined)?.filename;
  return typeof name === 'string' && name.trim()
    ? name
        .trim()
        .replace(/[\\/\0]/g, '_')
        .slice(0, 200)
    : null;
};

/** Images and PDFs only, checked by their bytes, within the channel's `file_max_bytes`. */
const WIDGET_FILE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp', 'application/pdf']);

const route = (
  method: 'GET' | 'POST' | 'OPTIONS',
  path: string,
  summary: string,
  responses: Record<number, null>,
  handler: (req: {
    ctx: AppContext;
    params: { channel_id: string };
    request: FastifyRequest;
    reply: FastifyReply;
  }) => Promise<RouteResult>,
  extra: Record<string, unknown> = {},
): AnyRoute =>
  defineRoute({
    ...common,
    ...extra,
    method,
    path,
    summary,
    params,
    errors: [...errors],
    responses,
    handler: handler as never,
  });

export const widgetRoutes: AnyRoute[] = [
  defineRoute({
    ...common,
    method: 'GET',
    path: '/widget.js',
    summary: 'The website widget loader',
    responses: { 200: null, 304: null },
    handler: async ({ request }) => serveAsset(request, widgetAssets().loader, 'public, max-age=300'),
  }),
  defineRoute({
    ...common,
    method: 'GET',
    path: '/widget/a/:version/ui.js',
    summary: "The website widget's conversation UI",
    params: z.object({ version: z.string().max(40) }),
    responses: { 200: null, 304: null },
    errors: ['not_found'],
    handler: async ({ request, params: p }) => {
      const assets = widgetAssets();
      if (p.version !== assets.version) throw new ApiError('not_found', 'No such widget version.');
      return serveAsset(request, assets.ui, 'public, max-age=31536000, immutable');
    },
  }),
  route(
    'OPTIONS',
    '/widget/:channel_id/*',
    'CORS preflight of the widget routes',
    { 204: null },
    ({ ctx, params: p, request }) => widgetRequest(ctx, request, p.channel_id, async () => ({ status: 204 })),
  ),
  route(
    'GET',
    '/widget/:channel_id/config',
    "The widget's look and first questions",
    { 200: null },
    ({ ctx, params: p, request }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => ({
        status: 200,
        body: { ...publicSettings(channel), availability: await availabilityOf(ctx, channel) },
      })),
  ),
  route(
    'POST',
    '/widget/:channel_id/session',
    'Start a visitor session',
    { 201: null },
    ({ ctx, params: p, request }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => {
        const body = jsonBody(request, sessionBody);
        const identity = await verifiedIdentity(channel, request);
        await limit(ctx, `widget:session:${request.ip}`, SESSION_LIMIT);
        const { token, visitor } = await startSession(ctx, channel, identity, body);
        return {
          status: 201,
          body: { token, visitor_id: visitor.id, verified: !!identity, settings: publicSettings(channel) },
        };
      }),
  ),
  route(
    'POST',
    '/widget/:channel_id/messages',
    "Send a visitor's message",
    { 200: null, 201: null },
    ({ ctx, params: p, request }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => {
        const { visitor } = await sessionVisitor(ctx, channel, request);
        const key = idempotencyKey(request);
        const body = jsonBody(request, messageBody);
        const sent = await sendVisitorMessage(ctx, channel, visitor, {
          idempotency_key: key,
          text: body.text,
        });
        return {
          status: sent.replayed ? 200 : 201,
          body: sent.message,
          ...(sent.replayed ? { headers: { 'Idempotent-Replayed': 'true' } } : {}),
        };
      }),
  ),
  route(
    'POST',
    '/widget/:channel_id/files',
    "Send a visitor's file (image or PDF)",
    { 200: null, 201: null },
    ({ ctx, params: p, request }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => {
        const { visitor } = await sessionVisitor(ctx, channel, request);
        const key = idempotencyKey(request);
        const content = request.body;
        if (!Buffer.isBuffer(content) || content.length === 0)
          throw new ApiError(
            'validation_failed',
            'Send the file as the body (Content-Type: application/octet-stream).',
            {
              errors: [{ field: 'body', message: 'is empty' }],
            },
          );
        if (content.length > channel.settings.file_max_bytes)
          throw new ApiError('payload_too_large', `Files up to ${channel.settings.file_max_bytes} bytes.`);
        const mimeType = sniffMediaType(content);
        if (!mimeType || !WIDGET_FILE_TYPES.has(mimeType))
          throw new ApiError('unsupported_media_type', 'Images (JPEG, PNG, WebP) and PDF documents only.');
        const sent = await sendVisitorMessage(ctx, channel, visitor, {
          idempotency_key: key,
          file: { content, mimeType, filename: fileNameOf(request) },
        });
        return { status: sent.replayed ? 200 : 201, body: sent.message };
      }),
    { contentTypes: ['application/octet-stream'], bodyLimit: 6 * 1024 * 1024 },
  ),
  route(
    'POST',
    '/widget/:channel_id/typing',
    'The visitor is typing',
    { 204: null },
    ({ ctx, params: p, request }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => {
        const { visitor } = await sessionVisitor(ctx, channel, request);
        const body = jsonBody(request, typingBody);
        await limit(ctx, `widget:typing:${visitor.id}`, VISITOR_LIMIT);
        await tellTyping(ctx, channel, visitor.contact_id, body.typing);
        return { status: 204 };
      }),
  ),
  route(
    'POST',
    '/widget/:channel_id/continue',
    'Continue the conversation by email or on WhatsApp',
    { 200: null },
    ({ ctx, params: p, request }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => {
        const { visitor, identity } = await sessionVisitor(ctx, channel, request);
        const body = jsonBody(request, continueBody);
        return {
          status: 200,
          body:
            body.via === 'email'
              ? await continueByEmail(ctx, channel, visitor, identity, body.email)
              : await continueOnWhatsApp(ctx, channel, visitor),
        };
      }),
  ),
  route(
    'POST',
    '/widget/:channel_id/call',
    "Start a web call with the channel's agent",
    { 201: null },
    ({ ctx, params: p, request }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => {
        const { visitor } = await sessionVisitor(ctx, channel, request);
        await limit(ctx, `widget:call:${visitor.id}`, { windowMs: 60_000, limit: 3 });
        const origin = `${request.protocol}://${request.host}`;
        return { status: 201, body: await startVisitorCall(ctx, channel, visitor, origin) };
      }),
  ),
  route(
    'GET',
    '/widget/:channel_id/stream',
    "The visitor's live thread (Server-Sent Events)",
    { 200: null },
    ({ ctx, params: p, request, reply }) =>
      widgetRequest(ctx, request, p.channel_id, async (channel) => {
        const { visitor } = await sessionVisitor(ctx, channel, request);
        const after = lastEventId(request);
        await serveVisitorStream(ctx, request, reply, {
          visitorId: visitor.id,
          lastEventId: after,
          headers: channel.cors,
        });
        return { hijacked: true };
      }),
  ),
];
