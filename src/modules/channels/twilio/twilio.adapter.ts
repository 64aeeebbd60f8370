import { createRequire } from 'node:module';
import {
  type ChannelAdapter,
  type ChannelConfig,
  ChannelSendError,
  type InboundBatch,
  type InboundMessage,
  type OutboundMessage,
  type ProviderStatus,
  type RawInbound,
  type SendResult,
  type StatusUpdate,
} from '../channel-adapter.ts';
import { fileOf, getFromProvider, postToProvider } from '../provider-http.ts';

/**
 * Twilio Programmable Messaging (SMS/MMS): `POST /2010-04-01/Accounts/{sid}/Messages.json`,
 * form-encoded with basic auth; inbound messages and status callbacks are form POSTs signed with
 * `X-Twilio-Signature` over the public URL plus the sorted form fields.
 */

export interface TwilioOptions {
  /** `https://api.twilio.com` (a local fake in tests). */
  apiUrl: string;
  /** Public URL of `/hooks/twilio/{channel_id}/status` for a channel, given to Twilio as StatusCallback. */
  statusCallbackUrl?: (channel: ChannelConfig) => string | undefined;
  timeoutMs?: number;
}
export { optKeyword } from '../opt-keywords.ts';

/** Twilio's `OptOutType` (Advanced Opt-Out, including the account's custom keywords): STOP, START or HELP. */
function optOutTypeOf(form: Record<string, string>): 'opt_out' | 'opt_in' | undefined {
  const t = (form.OptOutType ?? '').toUpperCase();
  return t === 'STOP' ? 'opt_out' : t === 'START' ? 'opt_in' : undefined;
}

const statusMap: Record<string, ProviderStatus | undefined> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
};

function mapTwilioError(
  httpStatus: number,
  body: { code?: number; message?: string } | undefined,
): ChannelSendError {
  const code = body?.code;
  const providerCode = code === undefined ? `http_${httpStatus}` : String(code);
  const detail = body?.message ?? `HTTP ${httpStatus}`;
  const fail = (c: string, retryable = false, retryAfterMs?: number) =>
    new ChannelSendError(c, `Twilio refused the message (${providerCode}: ${detail})`, {
      retryable,
      providerCode,
      retryAfterMs,
    });
  if (code === 21610)
    return new ChannelSendError(
      'contact_opted_out',
      `Twilio refused the message: the recipient replied STOP (${providerCode}: ${detail})`,
      { providerCode, recipientOptedOut: true },
    );
  if (code === 21211 || code === 21614 || code === 21612 || code === 21408 || code === 21617)
    return fail('validation_failed');
  if (code === 20003 || code === 20404 || code === 21606 || code === 21659)
    return fail('channel_not_configured');
  if (code === 20429 || httpStatus === 429) return fail('rate_limited', true, 1000);
  if (httpStatus >= 500) return fail('provider_error', true);
  return fail('provider_error');
}

export function createTwilioAdapter(opts: TwilioOptions): ChannelAdapter {
  return {
    provider: 'twilio',

    async send(channel: ChannelConfig, message: OutboundMessage): Promise<SendResult> {
      const sid = channel.credentials.account_sid;
      const token = channel.credentials.auth_token;
      if (!sid || !token)
        throw new ChannelSendError(
          'channel_not_configured',
          `The SMS channel ${channel.id} needs account_sid and auth_token.`,
        );
      const form = new URLSearchParams();
      form.set('To', message.to);
      form.set('From', channel.address);
      const body =
        message.type === 'template'
          ? message.template?.renderedBody
          : message.type === 'interactive'
            ? interactiveText(message)
            : (message.text ?? message.media?.caption ?? '');
      if (body) form.set('Body', body);
      if (message.media?.url && message.type !== 'text') form.append('MediaUrl', message.media.url);
      if (!body && !form.has('MediaUrl'))
        throw new ChannelSendError('validation_failed', 'An SMS needs a body or a media url.');
      const callback = opts.statusCallbackUrl?.(channel);
      if (callback) form.set('StatusCallback', callback);

      const url = `${opts.apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(sid)}/Messages.json`;
      const { res, json } = await postToProvider('Twilio', url, {
        headers: {
          authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
        timeoutMs: opts.timeoutMs,
      });
      if (!res.ok) throw mapTwilioError(res.status, json);
      if (typeof json?.sid !== 'string')
        throw new ChannelSendError('provider_error', 'Twilio answered without a message sid.', {
          retryable: true,
        });
      return { providerMessageId: json.sid };
    },

    verifyInbound(channel: ChannelConfig, request: RawInbound): boolean {
      const token = channel.credentials.auth_token;
      const header = request.headers['x-twilio-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      if (!token || !signature) return false;
      const params = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<
        string,
        string
      >;
      return twilioLib().validateRequest(token, signature, request.url, params);
    },

    async fetchMedia(channel, media) {
      const sid = channel.credentials.account_sid;
      const token = channel.credentials.auth_token;
      if (!media.url) throw new ChannelSendError('not_found', 'The message names no media to fetch.');
      // Twilio media URLs take the account's basic auth (required when "HTTP Basic Authentication
      // for media access" is on) and redirect to the file.
      const res = await getFromProvider('Twilio', media.url, {
        headers:
          sid && token ? { authorization: `Basic ${Buffer.from(`${sid}:${token}`).toString('base64')}` } : {},
        timeoutMs: opts.timeoutMs,
      });
      if (!res.ok)
        throw new ChannelSendError(
          'provider_error',
          `Twilio refused the media download (HTTP ${res.status}).`,
        );
      return fileOf(res, media.mime_type);
    },

    parseInbound(_channel: ChannelConfig, request: RawInbound): InboundBatch {
      return parseTwilioForm((request.body ?? {}) as Record<string, string>, new Date());
    },
  };
}

function interactiveText(message: OutboundMessage): string {
  const i = message.interactive;
  if (!i) return '';
  // SMS has no buttons: the choices are listed as text the customer can answer with.
  const options =
    i.kind === 'button'
      ? (i.buttons ?? []).map((b) => b.title)
      : (i.list?.sections ?? []).flatMap((s) => s.rows.map((r) => r.title));
  return [i.header, i.body, ...options.map((o, n) => `${n + 1}. ${o}`), i.footer].filter(Boolean).join('\n');
}

/** An inbound SMS (`Body`, `From`, `NumMedia`...) or a status callback (`MessageStatus`). */
export function parseTwilioForm(form: Record<string, string>, now: Date): InboundBatch {
  const batch: InboundBatch = { messages: [], statuses: [], notices: [] };
  const sid = form.MessageSid ?? form.SmsSid;
  if (!sid) return batch;
  const raw =
    form.MessageStatus || form.SmsStatus ? (form.MessageStatus ?? form.SmsStatus ?? '').toLowerCase() : null;
  // An inbound message's own callback says `received`; it is the message itself, handled below.
  if (raw !== null && raw !== 'received') {
    const update = statusUpdateOf(form, sid, raw, now);
    if (update) batch.statuses.push(update);
    return batch;
  }
  if (form.From) batch.messages.push(inboundMessageOf(form, sid, form.From, now));
  return batch;
}

/** A status callback's update; none for a status Parley does not track. */
function statusUpdateOf(
  form: Record<string, string>,
  sid: string,
  raw: string,
  now: Date,
): StatusUpdate | undefined {
  const status = statusMap[raw];
  if (!status) return undefined;
  const update: StatusUpdate = { providerMessageId: sid, status, timestamp: now };
  if (status !== 'failed') return update;
  const optedOut = form.ErrorCode === '21610';
  update.error = {
    code: optedOut ? 'contact_opted_out' : 'sms_undeliverable',
    message:
      form.ErrorMessage ?? `Twilio reported ${raw}${form.ErrorCode ? ` (error ${form.ErrorCode})` : ''}`,
    ...(form.ErrorCode ? { providerCode: form.ErrorCode } : {}),
  };
  if (optedOut) update.recipientOptedOut = true;
  return update;
}

function inboundMessageOf(
  form: Record<string, string>,
  sid: string,
  from: string,
  now: Date,
): InboundMessage {
  const text = form.Body ?? '';
  const message: InboundMessage = {
    providerMessageId: sid,
    from,
    ...(form.To ? { to: form.To } : {}),
    ...(form.ProfileName ? { profileName: form.ProfileName } : {}),
    ...(optOutTypeOf(form) ? { optOut: optOutTypeOf(form) } : {}),
    type: 'text',
    text,
    timestamp: now,
  };
  const numMedia = Number(form.NumMedia ?? 0) || 0;
  return numMedia > 0 && form.MediaUrl0 ? { ...message, ...mediaOf(form, numMedia, text) } : message;
}

/**
 * An MMS's media: the first file is the message's (its type from the content type, the text its
 * caption); with several, the payload lists them all.
 */
function mediaOf(
  form: Record<string, string>,
  numMedia: number,
  caption: string,
): Pick<InboundMessage, 'type' | 'media' | 'payload'> {
  const mime = form.MediaContentType0 ?? '';
  const type = (['image', 'video', 'audio'] as const).find((k) => mime.startsWith(`${k}/`)) ?? 'document';
  const media = {
    url: form.MediaUrl0,
    ...(mime ? { mime_type: mime } : {}),
    ...(caption ? { caption } : {}),
  };
  if (numMedia <= 1) return { type, media };
  const payload = {
    media: Array.from({ length: numMedia }, (_, i) => ({
      url: form[`MediaUrl${i}`],
      mime_type: form[`MediaContentType${i}`],
    })),
  };
  return { type, media, payload };
}

type TwilioLib = typeof import('twilio');
let loaded: TwilioLib | undefined;
/** The `twilio` package is large; it is loaded the first time a Twilio signature is checked. */
function twilioLib(): TwilioLib {
  loaded ??= createRequire(import.meta.url)('twilio') as TwilioLib;
  return loaded;
}
