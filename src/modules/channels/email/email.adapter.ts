import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import { safeEqual } from '../../../platform/crypto.ts';
import {
  type ChannelAdapter,
  type ChannelConfig,
  ChannelSendError,
  type InboundAttachment,
  type InboundBatch,
  type InboundMessage,
  type OutboundMessage,
  type RawInbound,
  type SendResult,
} from '../channel-adapter.ts';
import { plainEmailText } from './email.plain.ts';
import { visibleReply } from './email.reply.ts';

/**
 * Email over SMTP (nodemailer) out, and a relay's inbound-parse POST in (SendGrid / Mailgun /
 * Postmark style fields, JSON or form-encoded). Threads follow Message-ID, In-Reply-To and
 * References: our outbound Message-ID is derived from Parley's message id.
 */

const headerOf = (headers: RawInbound['headers'], name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The per-channel inbound token: `Authorization: Bearer <token>`, `X-Parley-Token`, or `?token=`. */
export function inboundTokenOf(request: Pick<RawInbound, 'headers' | 'url'>): string | undefined {
  const auth = headerOf(request.headers, 'authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim();
  const header = headerOf(request.headers, 'x-parley-token');
  if (header) return header.trim();
  try {
    return new URL(request.url, 'http://localhost').searchParams.get('token') ?? undefined;
  } catch {
    return undefined;
  }
}

/** `"Ana Lima" <ana@example.com>` → { address: 'ana@example.com', name: 'Ana Lima' }. */
export function parseAddress(raw: string): { address: string; name?: string } | undefined {
  const first = raw.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)[0]?.trim() ?? '';
  const angle = first.match(/^(.*)<([^>]+)>\s*$/);
  const address = (angle ? angle[2] : first).trim().toLowerCase();
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) return undefined;
  const name = angle?.[1].trim().replace(/^"|"$/g, '').trim();
  return name ? { address, name } : { address };
}

/** Reads `Name: value` lines (with folded continuations) from a raw header block. */
function parseHeaderBlock(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      out[last] += ` ${line.trim()}`;
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim().toLowerCase();
    out[last] = line.slice(i + 1).trim();
  }
  return out;
}

/** Header values from every shape relays use: a raw block (SendGrid), `message-headers` pairs (Mailgun), `[{Name, Value}]` (Postmark), an object, or top-level fields. */
function collectHeaders(body: Record<string, unknown>): Record<string, string> {
  const out = headersField(body.headers ?? body.Headers);
  // The first source to name a header wins.
  for (const more of [mailgunHeaders(body['message-headers']), topLevelHeaders(body)])
    for (const [k, v] of Object.entries(more)) out[k] ??= v;
  return out;
}

/** A `headers` field: a raw block, Postmark's `[{Name, Value}]`, or an object. */
function headersField(h: unknown): Record<string, string> {
  if (typeof h === 'string') return parseHeaderBlock(h);
  const out: Record<string, string> = {};
  if (Array.isArray(h)) {
    for (const p of h)
      if (p && typeof p === 'object' && 'Name' in p)
        out[String((p as { Name: unknown }).Name).toLowerCase()] ??= String(
          (p as { Value?: unknown }).Value ?? '',
        );
  } else if (h && typeof h === 'object') {
    for (const [k, v] of Object.entries(h))
      if (v !== null && v !== undefined) out[k.toLowerCase()] ??= String(v);
  }
  return out;
}

/** Mailgun's `message-headers`: a JSON list of `[name, value]` pairs. */
function mailgunHeaders(mh: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof mh !== 'string') return out;
  try {
    for (const [k, v] of JSON.parse(mh) as Array<[string, unknown]>)
      if (typeof v === 'string') out[String(k).toLowerCase()] ??= v;
  } catch {
    // A malformed header list leaves the other sources.
  }
  return out;
}

/** The threading headers some relays post as fields of their own (`Message_Id`, `in-reply-to`...). */
function topLevelHeaders(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    const key = k.toLowerCase().replace(/_/g, '-');
    if (typeof v === 'string' && ['message-id', 'in-reply-to', 'references', 'date'].includes(key))
      out[key] ??= v;
  }
  return out;
}

const firstMessageId = (value: string | undefined) =>
  value?.match(/<[^>]+>/)?.[0] ?? (value?.trim() || undefined);

/** A relay's fields that carry files: SendGrid's `attachmentN`, Mailgun's `attachment-N`, any other file part. */
export interface FormFile {
  field: string;
  filename: string | null;
  mimeType: string;
  content: Buffer;
}

/** Postmark's `Attachments: [{Name, Content (base64), ContentType, ContentID}]`. */
function postmarkAttachments(b: Record<string, unknown>): InboundAttachment[] {
  const list = b.Attachments;
  if (!Array.isArray(list)) return [];
  const out: InboundAttachment[] = [];
  for (const a of list) {
    if (!a || typeof a !== 'object') continue;
    const { Name, Content, ContentType, ContentID } = a as Record<string, unknown>;
    if (typeof Content !== 'string') continue;
    out.push({
      filename: typeof Name === 'string' && Name ? Name : null,
      mimeType: typeof ContentType === 'string' && ContentType ? ContentType : 'application/octet-stream',
      content: Buffer.from(Content, 'base64'),
      ...(typeof ContentID === 'string' && ContentID ? { contentId: ContentID } : {}),
    });
  }
  return out;
}

/** File parts of a multipart post, with SendGrid's `attachment-info` names and types when given. */
function formAttachments(b: Record<string, unknown>, files: FormFile[]): InboundAttachment[] {
  let info: Record<string, { filename?: string; name?: string; type?: string; 'content-id'?: string }> = {};
  if (typeof b['attachment-info'] === 'string') {
    try {
      info = JSON.parse(b['attachment-info'] as string);
    } catch {
      info = {};
    }
  }
  return files.map((f) => {
    const i = info[f.field] ?? {};
    const contentId = i['content-id'];
    return {
      filename: i.filename ?? i.name ?? f.filename,
      mimeType: i.type ?? f.mimeType,
      content: f.content,
      ...(contentId ? { contentId } : {}),
    };
  });
}

/**
 * A relay's parsed-fields post (SendGrid's default mode, Mailgun routes, Postmark JSON, or any
 * JSON/form with from, to, subject, text, html, headers). `files` are the multipart file parts.
 */
export function parseInboundEmail(
  body: unknown,
  channelAddress: string,
  now: Date,
  files: FormFile[] = [],
): InboundBatch {
  const batch: InboundBatch = { messages: [], statuses: [], notices: [] };
  if (!body || typeof body !== 'object') return batch;
  const b = body as Record<string, unknown>;
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof b[k] === 'string' && (b[k] as string).length > 0) return b[k] as string;
    return undefined;
  };
  // A blank text part is no text: BlackBerry 10 sends an empty text/plain beside the HTML reply.
  const filled = (...keys: string[]) => {
    for (const k of keys) if (typeof b[k] === 'string' && (b[k] as string).trim()) return b[k] as string;
    return undefined;
  };
  const fromFull = b.FromFull as { Email?: unknown; Name?: unknown } | undefined;
  const fromRaw =
    fromFull && typeof fromFull.Email === 'string'
      ? typeof fromFull.Name === 'string' && fromFull.Name
        ? `"${fromFull.Name.replace(/"/g, '')}" <${fromFull.Email}>`
        : fromFull.Email
      : str('from', 'From', 'sender');
  const from = fromRaw ? parseAddress(fromRaw) : undefined;
  if (!from) return batch;
  const headers = collectHeaders(b);
  const subject = str('subject', 'Subject') ?? headers.subject ?? '';
  const html = str('html', 'body-html', 'HtmlBody');
  const text =
    filled('text', 'stripped-text', 'body-plain', 'TextBody', 'plain') ??
    (html ? lazy.htmlToText()(html, { wordwrap: false }) : '');
  const attachments = [...postmarkAttachments(b), ...formAttachments(b, files)];
  // The RFC Message-ID (from the headers) threads replies; Postmark's own `MessageID` is a
  // relay id that no mail client cites, so it is only a last resort for recognising retries.
  const messageId =
    firstMessageId(headers['message-id'] ?? str('message_id', 'Message-Id', 'Message-ID')) ??
    (str('MessageID') ? `<${str('MessageID')}@postmark.inbound>` : undefined) ??
    hashedMessageId(from.address, subject, text, headers.date);
  const toRaw = str('recipient', 'OriginalRecipient', 'to', 'To');
  batch.messages.push(
    emailMessage({
      messageId,
      from,
      to: (toRaw ? parseAddress(toRaw)?.address : undefined) ?? channelAddress,
      subject,
      text,
      html,
      inReplyTo: firstMessageId(str('in_reply_to') ?? headers['in-reply-to']),
      references: (headers.references ?? '').match(/<[^>]+>/g) ?? [],
      date: headers.date ? new Date(headers.date) : undefined,
      attachments,
      now,
    }),
  );
  return batch;
}

// Relays resend on timeouts; without a Message-ID a content hash keeps the retry from duplicating.
const hashedMessageId = (from: string, subject: string, text: string, date: string | undefined) =>
  `<${createHash('sha256')
    .update(`${from}\n${subject}\n${text}\n${date ?? ''}`)
    .digest('hex')
    .slice(0, 32)}@parley.inbound>`;

function emailMessage(m: {
  messageId: string;
  from: { address: string; name?: string };
  to: string;
  subject: string;
  text: string;
  html: string | undefined;
  inReplyTo: string | undefined;
  references: string[];
  date: Date | undefined;
  attachments: InboundAttachment[];
  now: Date;
}): InboundMessage {
  const replyTo = m.inReplyTo ?? m.references.at(-1);
  // The customer's reply without the quoted thread and signature is the message's text (what the
  // agent answers, the inbox previews and search finds); the whole body stays in `full_text`.
  const full = m.text.replace(/\r\n?/g, '\n');
  const reply = visibleReply(full);
  return {
    providerMessageId: m.messageId,
    from: m.from.address,
    to: m.to,
    ...(m.from.name ? { profileName: m.from.name } : {}),
    type: 'email',
    text: reply,
    subject: m.subject,
    ...(replyTo ? { replyToProviderId: replyTo } : {}),
    payload: {
      subject: m.subject,
      ...(reply !== full ? { full_text: full } : {}),
      ...(m.html ? { html: m.html } : {}),
      ...(m.references.length ? { references: m.references } : {}),
    },
    ...(m.attachments.length ? { attachments: m.attachments } : {}),
    timestamp: m.date && !Number.isNaN(m.date.getTime()) ? m.date : m.now,
  };
}

/** A whole RFC 5322 message (`message/rfc822`, or SendGrid's raw mode `email` field), MIME parsed. */
export async function parseRawEmail(
  raw: Buffer | string,
  channelAddress: string,
  now: Date,
): Promise<InboundBatch> {
  const batch: InboundBatch = { messages: [], statuses: [], notices: [] };
  const parsed = await lazy.mailparser().simpleParser(raw, { skipHtmlToText: false, skipTextLinks: true });
  const fromValue = parsed.from?.value?.[0];
  const from = fromValue?.address
    ? parseAddress(
        fromValue.name ? `"${fromValue.name.replace(/"/g, '')}" <${fromValue.address}>` : fromValue.address,
      )
    : undefined;
  if (!from) return batch;
  const toList = Array.isArray(parsed.to) ? parsed.to.flatMap((t) => t.value) : (parsed.to?.value ?? []);
  const subject = parsed.subject ?? '';
  const html = typeof parsed.html === 'string' ? parsed.html : undefined;
  const text = parsed.text?.trim()
    ? parsed.text.replace(/\n$/, '')
    : html
      ? lazy.htmlToText()(html, { wordwrap: false })
      : '';
  const references =
    (Array.isArray(parsed.references) ? parsed.references.join(' ') : (parsed.references ?? '')).match(
      /<[^>]+>/g,
    ) ?? [];
  batch.messages.push(
    emailMessage({
      messageId:
        firstMessageId(parsed.messageId) ??
        hashedMessageId(from.address, subject, text, parsed.date?.toISOString()),
      from,
      to:
        toList.map((t) => t.address?.toLowerCase()).find((a) => a === channelAddress.toLowerCase()) ??
        toList[0]?.address?.toLowerCase() ??
        channelAddress,
      subject,
      text,
      html,
      inReplyTo: firstMessageId(parsed.inReplyTo),
      references,
      date: parsed.date,
      attachments: parsed.attachments.map((a) => ({
        filename: a.filename ?? null,
        mimeType: a.contentType || 'application/octet-stream',
        content: a.content,
        ...(a.contentId ? { contentId: a.contentId.replace(/^<|>$/g, '') } : {}),
      })),
      now,
    }),
  );
  return batch;
}

/** A stored `multipart/form-data` post, read back into its fields and its file parts. */
export async function readMultipart(
  raw: Buffer,
  contentType: string,
): Promise<{ fields: Record<string, string>; files: FormFile[] }> {
  const form = await new Response(new Uint8Array(raw), {
    headers: { 'content-type': contentType },
  }).formData();
  const fields: Record<string, string> = {};
  const files: FormFile[] = [];
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') fields[field] ??= value;
    else
      files.push({
        field,
        filename: value.name || null,
        mimeType: value.type || 'application/octet-stream',
        content: Buffer.from(await value.arrayBuffer()),
      });
  }
  return { fields, files };
}

/**
 * Any inbound format the email hook takes: JSON or form fields, `multipart/form-data` (SendGrid
 * Inbound Parse, parsed or raw in `email`; Mailgun with attachments) and `message/rfc822`.
 */
export async function parseInboundRequest(
  request: Pick<RawInbound, 'rawBody' | 'body' | 'contentType'>,
  channelAddress: string,
  now: Date,
): Promise<InboundBatch> {
  const type = (request.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'message/rfc822') return parseRawEmail(request.rawBody, channelAddress, now);
  if (type === 'multipart/form-data') {
    const { fields, files } = await readMultipart(request.rawBody, request.contentType ?? '');
    if (fields.email?.trim()) return parseRawEmail(fields.email, channelAddress, now);
    return parseInboundEmail(fields, channelAddress, now, files);
  }
  return parseInboundEmail(request.body, channelAddress, now);
}

/** Connection failures before the SMTP session began: the server never saw the message, safe to try again. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Nodemailer's timeouts of the connection phases (connect, greeting, STARTTLS): no message went out yet. */
const SETUP_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

/**
 * An SMTP failure as a send failure. A reply code says what happened (4xx temporary, 5xx final).
 * Without one, what matters is whether the message may have gone out: a failure to connect,
 * resolve or greet is retried; a session that timed out or broke afterwards may have ended with
 * the server taking the message (its final "250" lost), so the outcome is unknown and Parley
 * does not send it again (the rule it applies to WhatsApp and Twilio, docs/channels.md).
 */
export function smtpError(err: unknown): ChannelSendError {
  const e = err as {
    code?: string;
    originalCode?: string;
    timeoutType?: string;
    responseCode?: number;
    message?: string;
  };
  const detail = e.message ?? String(err);
  if (e.code === 'EAUTH')
    return new ChannelSendError('channel_not_configured', `The SMTP server refused our login: ${detail}`, {
      providerCode: 'EAUTH',
    });
  if (typeof e.responseCode === 'number') {
    const providerCode = String(e.responseCode);
    // 4xx SMTP replies are temporary by definition (RFC 5321); 5xx are final.
    if (e.responseCode >= 400 && e.responseCode < 500)
      return new ChannelSendError('provider_error', `SMTP temporary failure: ${detail}`, {
        retryable: true,
        providerCode,
      });
    return new ChannelSendError('email_undeliverable', `SMTP refused the message: ${detail}`, {
      providerCode,
    });
  }
  const neverSent =
    NEVER_SENT.has(e.originalCode ?? '') ||
    NEVER_SENT.has(e.code ?? '') ||
    e.code === 'EDNS' ||
    e.code === 'ECONFIG' ||
    (e.code === 'ETIMEDOUT' && SETUP_TIMEOUTS.has(e.timeoutType ?? ''));
  if (neverSent)
    return new ChannelSendError('provider_error', `Could not talk to the SMTP server: ${detail}`, {
      retryable: true,
      providerCode: e.originalCode ?? e.code ?? 'network',
    });
  const timedOut = e.code === 'ETIMEDOUT';
  return new ChannelSendError(
    'send_outcome_unknown',
    timedOut
      ? `The SMTP server did not answer in time: the message may or may not have been sent, so Parley did not send it again.`
      : `The connection to the SMTP server broke before it answered (${e.originalCode ?? e.code ?? detail}): the message may or may not have been sent, so Parley did not send it again.`,
    { providerCode: timedOut ? 'timeout' : (e.originalCode ?? e.code ?? 'network'), outcomeUnknown: true },
  );
}

export function createEmailAdapter(opts: { timeoutMs?: number } = {}): ChannelAdapter {
  const transports = new Map<string, { key: string; transport: Transporter }>();
  const transportFor = (channel: ChannelConfig): Transporter => {
    const c = channel.credentials;
    if (!c.host)
      throw new ChannelSendError(
        'channel_not_configured',
        `The email channel ${channel.id} has no SMTP host.`,
      );
    const port = Number(c.port ?? 587);
    const key = JSON.stringify([c.host, port, c.username ?? '', c.password ?? '']);
    const cached = transports.get(channel.id);
    if (cached?.key === key) return cached.transport;
    cached?.transport.close();
    const transport = lazy.nodemailer().createTransport({
      host: c.host,
      port,
      secure: port === 465,
      ...(c.username ? { auth: { user: c.username, pass: c.password ?? '' } } : {}),
      pool: true,
      maxConnections: 2,
      // A connection that closes mid-send must not make the pool send the message again by
      // itself: whether the server took it is unknown (see smtpError).
      maxRequeues: 0,
      connectionTimeout: opts.timeoutMs ?? 15_000,
      greetingTimeout: opts.timeoutMs ?? 15_000,
      // Longer than the setup timeouts, so a server that never greets fails as "not greeted" (retried).
      socketTimeout: (opts.timeoutMs ?? 15_000) * 2,
      // A self-hosted relay on a private network often has a self-signed certificate.
      tls: { rejectUnauthorized: c.tls_reject_unauthorized !== 'false' },
    });
    transports.set(channel.id, { key, transport });
    return transport;
  };

  return {
    provider: 'smtp',

    async send(channel: ChannelConfig, message: OutboundMessage): Promise<SendResult> {
      const transport = transportFor(channel);
      const from = channel.credentials.from || channel.address;
      const domain = (parseAddress(from)?.address ?? channel.address).split('@')[1] ?? 'parley.local';
      const messageId = `<${message.id}@${domain}>`;
      const text =
        message.type === 'template'
          ? (message.template?.renderedBody ?? '')
          : message.type === 'interactive'
            ? (message.interactive?.body ?? '')
            : (message.text ?? message.media?.caption ?? '');
      const subject =
        message.subject ??
        (message.replyToProviderId ? 'Re: your message' : `Message from ${channel.address}`);
      try {
        await transport.sendMail({
          from,
          to: message.to,
          subject,
          text: plainEmailText(text, lazy.htmlToText()),
          messageId,
          ...(message.replyToProviderId
            ? {
                inReplyTo: message.replyToProviderId,
                references: message.references?.length ? message.references : [message.replyToProviderId],
              }
            : {}),
          ...attachmentsOf(message),
        });
      } catch (err) {
        throw smtpError(err);
      }
      return { providerMessageId: messageId };
    },

    verifyInbound(channel: ChannelConfig, request: RawInbound): boolean {
      const expected = channel.credentials.inbound_token;
      const given = inboundTokenOf(request);
      return Boolean(expected && given && safeEqual(given, expected));
    },

    parseInbound(channel: ChannelConfig, request: RawInbound): Promise<InboundBatch> {
      return parseInboundRequest(request, channel.address, new Date());
    },
  };
}

// nodemailer, mailparser and html-to-text are loaded on first use, so a server without email channels never holds them.
const requireLazily = createRequire(import.meta.url);
const lazy = {
  nodemailer: () => requireLazily('nodemailer') as typeof import('nodemailer'),
  htmlToText: () => (requireLazily('html-to-text') as typeof import('html-to-text')).convert,
  mailparser: () => requireLazily('mailparser') as typeof import('mailparser'),
};

/** The email's attachment: an uploaded file's bytes, or a file nodemailer fetches from its URL. */
function attachmentsOf(message: OutboundMessage) {
  const media = message.media;
  if (!media || message.type === 'text') return {};
  if (media.file)
    return {
      attachments: [
        {
          content: media.file.content,
          contentType: media.file.mimeType,
          filename: media.file.filename ?? media.filename ?? 'attachment',
        },
      ],
    };
  return media.url ? { attachments: [{ path: media.url, filename: media.filename }] } : {};
}
