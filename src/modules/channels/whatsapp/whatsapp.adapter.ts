import {
  type ChannelAdapter,
  type ChannelConfig,
  ChannelSendError,
  type InboundBatch,
  type OutboundMessage,
  type ProviderFile,
  type RawInbound,
  type SendResult,
} from '../channel-adapter.ts';
import { fileOf, getFromProvider, postToProvider } from '../provider-http.ts';
import { verifyMetaSignature } from './meta-protocol.ts';
import { buildSendBody, type GraphError, mapGraphError, refineSendError } from './meta-send.ts';
import { listMetaTemplates } from './meta-template-list.ts';
import type { TemplateReading } from './meta-template-sync.ts';
import { buildTemplateSubmission, type TemplateDefinition } from './meta-templates.ts';
import { uploadHeaderSample, uploadOutboundFiles } from './meta-upload.ts';
import { parseMetaWebhook } from './meta-webhook.ts';
import { DEFAULT_MESSAGES_PER_SECOND, SendPacing } from './pacing.ts';

export interface GraphOptions {
  /** `https://graph.facebook.com` (configurable so tests can use a local fake). */
  graphUrl: string;
  /** `v26.0` */
  version: string;
  /** Per-request timeout; a timeout is a retryable failure. */
  timeoutMs?: number;
}

function credential(channel: ChannelConfig, name: string): string {
  const value = channel.credentials[name];
  if (!value) {
    throw new ChannelSendError(
      'channel_not_configured',
      `The WhatsApp channel ${channel.id} has no ${name}; set it with PATCH /v1/channels/${channel.id}.`,
    );
  }
  return value;
}

export function messagesPerSecond(channel: ChannelConfig): number {
  const v = Number(channel.settings.messages_per_second);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_MESSAGES_PER_SECOND;
}

/** Calls the Graph API and turns every failure (HTTP error body, timeout, network) into a ChannelSendError. */
async function graphPost(
  opts: GraphOptions,
  path: string,
  token: string,
  body: unknown,
): Promise<Record<string, any>> {
  const url = `${opts.graphUrl.replace(/\/$/, '')}/${opts.version}/${path}`;
  const form = body instanceof FormData;
  const { res, json } = await postToProvider('Meta', url, {
    headers: { authorization: `Bearer ${token}`, ...(form ? {} : { 'content-type': 'application/json' }) },
    body: form ? body : JSON.stringify(body),
    timeoutMs: opts.timeoutMs,
  });
  if (!res.ok) {
    const err = mapGraphError(res.status, json?.error as GraphError | undefined);
    const retryAfter = Number(res.headers.get('retry-after'));
    if (err.retryable && Number.isFinite(retryAfter) && retryAfter > 0) {
      throw new ChannelSendError(err.code, err.message, {
        retryable: true,
        providerCode: err.providerCode,
        retryAfterMs: retryAfter * 1000,
      });
    }
    throw err;
  }
  if (!json)
    throw new ChannelSendError('provider_error', 'Meta answered with a body that is not JSON.', {
      retryable: true,
    });
  return json;
}

export interface WhatsAppAdapter extends ChannelAdapter {
  /** Submits a template for Meta's review; the result arrives later as a `message_template_status_update` webhook. */
  submitTemplate(
    channel: ChannelConfig,
    template: TemplateDefinition,
  ): Promise<{ providerTemplateId: string; status: string }>;
  /** Reads every template of the channel's WhatsApp Business Account (paged). */
  listTemplates(channel: ChannelConfig): Promise<TemplateReading[]>;
  /** Uploads a template's media header sample (Meta's Resumable Upload API); answers its `header_handle`. */
  uploadHeaderSample(channel: ChannelConfig, file: ProviderFile): Promise<string>;
}

/** The Meta WhatsApp Cloud API adapter. Pacing state lives in this process (see pacing.ts). */
export function createWhatsAppAdapter(opts: GraphOptions): WhatsAppAdapter {
  const pacing = new SendPacing();
  /** Files uploaded to Meta, by number and content (meta-upload.ts). */
  const uploaded = new Map<string, { id: string; at: number }>();
  return {
    provider: 'meta',

    async send(channel: ChannelConfig, message: OutboundMessage): Promise<SendResult> {
      const phoneNumberId = credential(channel, 'phone_number_id');
      const token = credential(channel, 'access_token');
      await uploadOutboundFiles(opts, uploaded, channel, message);
      const json = await graphPost(
        opts,
        `${encodeURIComponent(phoneNumberId)}/messages`,
        token,
        buildSendBody(message),
      ).catch((err: unknown) => {
        throw refineSendError(err, message);
      });
      const id = json.messages?.[0]?.id;
      if (typeof id !== 'string')
        throw new ChannelSendError('provider_error', 'Meta accepted the message but returned no message id.');
      return { providerMessageId: id };
    },

    // Cloud API's typing indicator: marks the customer's message read and shows "typing…" until
    // the reply is sent or 25 seconds pass.
    async showTyping(channel, to) {
      if (!to.providerMessageId) return;
      await graphPost(
        opts,
        `${encodeURIComponent(credential(channel, 'phone_number_id'))}/messages`,
        credential(channel, 'access_token'),
        {
          messaging_product: 'whatsapp',
          status: 'read',
          message_id: to.providerMessageId,
          typing_indicator: { type: 'text' },
        },
      );
    },

    verifyInbound(channel: ChannelConfig, request: RawInbound): boolean {
      const secret = channel.credentials.app_secret;
      if (!secret) return false;
      return verifyMetaSignature(request.rawBody, request.headers['x-hub-signature-256'], secret);
    },

    parseInbound(channel: ChannelConfig, request: RawInbound): InboundBatch {
      const body = request.body !== undefined ? request.body : JSON.parse(request.rawBody.toString('utf8'));
      return parseMetaWebhook(body, channel.credentials.phone_number_id, new Date(), channel.address);
    },

    reserveSendSlot(channel: ChannelConfig, to: string, nowMs: number): number {
      const numberKey = channel.credentials.phone_number_id ?? channel.id;
      return pacing.reserve(numberKey, messagesPerSecond(channel), to, nowMs);
    },

    async fetchMedia(channel, media, limits = {}) {
      const token = credential(channel, 'access_token');
      const auth = { authorization: `Bearer ${token}` };
      const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
      const tooLarge = (size: number) =>
        new ChannelSendError('media_too_large', `The file is ${size} bytes; at most ${maxBytes} are kept.`);
      const download = async (url: string) => {
        const res = await getFromProvider('Meta', url, { headers: auth, timeoutMs: opts.timeoutMs });
        if (!res.ok) {
          await res.body?.cancel();
          return { res, file: undefined };
        }
        const length = Number(res.headers.get('content-length'));
        if (Number.isFinite(length) && length > maxBytes) {
          await res.body?.cancel();
          throw tooLarge(length);
        }
        const file = await fileOf(res, media.mime_type);
        if (file.content.length > maxBytes) throw tooLarge(file.content.length);
        return { res, file };
      };
      // Webhooks since 2025 carry the download `url` itself; it expires, so the id is the fallback.
      if (media.url) {
        const { file } = await download(media.url);
        if (file) return file;
        if (!media.id)
          throw new ChannelSendError('provider_error', 'Meta no longer serves this media (its URL expired).');
      }
      if (!media.id) throw new ChannelSendError('not_found', 'The message names no media to fetch.');
      // Meta's "Retrieve media URL": GET /{media-id} answers {url, mime_type, sha256, file_size, id};
      // the url is then fetched with the same bearer token.
      const base = `${opts.graphUrl.replace(/\/$/, '')}/${opts.version}`;
      const meta = await getFromProvider('Meta', `${base}/${encodeURIComponent(media.id)}`, {
        headers: auth,
        timeoutMs: opts.timeoutMs,
      });
      const info = (await meta.json().catch(() => undefined)) as Record<string, any> | undefined;
      if (!meta.ok) throw mapGraphError(meta.status, info?.error as GraphError | undefined);
      if (typeof info?.url !== 'string')
        throw new ChannelSendError('provider_error', 'Meta answered the media lookup without a url.');
      const size = Number(info.file_size);
      if (Number.isFinite(size) && size > maxBytes) throw tooLarge(size);
      const { res, file } = await download(info.url);
      if (file) return { ...file, mimeType: info.mime_type ?? file.mimeType };
      throw new ChannelSendError('provider_error', `Meta refused the media download (HTTP ${res.status}).`);
    },

    listTemplates: (channel) => listMetaTemplates(opts, channel),

    uploadHeaderSample: (channel, file) => uploadHeaderSample(opts, channel, file),

    async submitTemplate(channel, template) {
      const waba = credential(channel, 'business_account_id');
      const token = credential(channel, 'access_token');
      const json = await graphPost(
        opts,
        `${encodeURIComponent(waba)}/message_templates`,
        token,
        buildTemplateSubmission(template),
      );
      if (json.id === undefined)
        throw new ChannelSendError('provider_error', 'Meta accepted the template but returned no id.');
      return { providerTemplateId: String(json.id), status: String(json.status ?? 'PENDING').toLowerCase() };
    },
  };
}
