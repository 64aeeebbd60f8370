import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import { safeEqual } from '../../../platform/crypto.ts';
import {
  type ChannelAdapter,
  type ChannelConfig,
  ChannelSendError,
  type InboundBatch,
  type OutboundMessage,
  type RawInbound,
  type SendResult,
} from '../channel-adapter.ts';

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

/** Header values from every shape relays use: a raw block (SendGrid), `message-headers` pairs (Mailgun), an object, or top-level fields. */
function collectHeaders(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const h = body.headers;
  if (typeof h === 'string') Object.assign(out, parseHeaderBlock(h));
  else if (Array.isArray(h))
    for (const p of h)
      if (p && typeof p === 'object' && 'Name' in p)
        out[String((p as any).Name).toLowerCase()] = String((p as any).Value);
      else if (h && typeof h === 'object')
        for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  const mh = body['message-headers'];
  if (typeof mh === 'string') {
    try {
      for (const [k, v] of JSON.parse(mh) as Array<[string, string]>) out[k.toLowerCase()] = String(v);
    } catch {
      // A malformed header list leaves the other sources.
    }
  }
  for (const [k, v] of Object.entries(body)) {
    const key = k.toLowerCase().replace(/_/g, '-');
    if (typeof v === 'string' && ['message-id', 'in-reply-to', 'references', 'date'].includes(key))
      out[key] ??= v;
  }
  return out;
}

const firstMessageId = (value: string | undefined) =>
  value?.match(/<[^>]+>/)?.[0] ?? (value?.trim() || undefined);

export function parseInboundEmail(body: unknown, channelAddress: string, now: Date): InboundBatch {
  const batch: InboundBatch = { messages: [], statuses: [], notices: [] };
  if (!body || typeof body !== 'object') return batch;
  const b = body as Record<string, unknown>;
  const str = (...keys: string[]) => {
    for (const k of keys) if (typeof b[k] === 'string' && (b[k] as string).length > 0) return b[k] as string;
    return undefined;
  };
  const fromRaw = str('from', 'From', 'sender');
  const from = fromRaw ? parseAddress(fromRaw) : undefined;
  if (!from) return batch;
  const headers = collectHeaders(b);
  const subject = str('subject', 'Subject') ?? headers.subject ?? '';
  const html = str('html', 'body-html', 'HtmlBody');
  const text =
    str('text', 'stripped-text', 'body-plain', 'TextBody', 'plain') ??
    (html ? lazy.htmlToText()(html, { wordwrap: false }) : '');
  const dateHeader = headers.date ? new Date(headers.date) : undefined;
  // Relays resend on timeouts; without a Message-ID a content hash keeps the retry from duplicating.
  const messageId =
    firstMessageId(str('message_id', 'MessageID') ?? headers['message-id']) ??
    `<${createHash('sha256')
      .update(`${from.address}\n${subject}\n${text}\n${headers.date ?? ''}`)
      .digest('hex')
      .slice(0, 32)}@parley.inbound>`;
  const inReplyTo = firstMessageId(str('in_reply_to') ?? headers['in-reply-to']);
  const references = (headers.references ?? '').match(/<[^>]+>/g) ?? [];
  const toRaw = str('to', 'To', 'recipient');
  batch.messages.push({
    providerMessageId: messageId,
    from: from.address,
    to: (toRaw ? parseAddress(toRaw)?.address : undefined) ?? channelAddress,
    ...(from.name ? { profileName: from.name } : {}),
    type: 'email',
    text,
    subject,
    ...(inReplyTo
      ? { replyToProviderId: inReplyTo }
      : references.length
        ? { replyToProviderId: references[references.length - 1] }
        : {}),
    payload: { subject, ...(html ? { html } : {}), ...(references.length ? { references } : {}) },
    timestamp: dateHeader && !Number.isNaN(dateHeader.getTime()) ? dateHeader : now,
  });
  return batch;
}

function smtpError(err: unknown): ChannelSendError {
  const e = err as { code?: string; responseCode?: number; message?: string };
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
  return new ChannelSendError('provider_error', `Could not talk to the SMTP server: ${detail}`, {
    retryable: true,
    providerCode: e.code ?? 'network',
  });
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
      connectionTimeout: opts.timeoutMs ?? 15_000,
      greetingTimeout: opts.timeoutMs ?? 15_000,
      socketTimeout: opts.timeoutMs ?? 30_000,
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
          text,
          messageId,
          ...(message.replyToProviderId
            ? { inReplyTo: message.replyToProviderId, references: [message.replyToProviderId] }
            : {}),
          ...(message.media?.url && message.type !== 'text'
            ? { attachments: [{ path: message.media.url, filename: message.media.filename }] }
            : {}),
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

    parseInbound(channel: ChannelConfig, request: RawInbound): InboundBatch {
      return parseInboundEmail(request.body, channel.address, new Date());
    },
  };
}

// nodemailer and html-to-text are loaded on first use, so a server without email channels never holds them.
const requireLazily = createRequire(import.meta.url);
const lazy = {
  nodemailer: () => requireLazily('nodemailer') as typeof import('nodemailer'),
  htmlToText: () => (requireLazily('html-to-text') as typeof import('html-to-text')).convert,
};
