import {
  type ChannelAdapter,
  type ChannelConfig,
  ChannelSendError,
  type InboundBatch,
  type OutboundMessage,
  type RawInbound,
  type SendResult,
} from '../channel-adapter.ts';
import { fileOf, getFromProvider, postToProvider } from '../provider-http.ts';
import { verifyMetaSignature } from '../whatsapp/meta-protocol.ts';
import type { GraphError } from '../whatsapp/meta-send.ts';
import type { GraphOptions, WhatsAppAdapter } from '../whatsapp/whatsapp.adapter.ts';
import { buildDirectSendBody, captionOf, mapDirectGraphError } from './meta-direct-send.ts';
import { parseMetaDirectWebhook } from './meta-direct-webhook.ts';

/** The channel types Meta carries besides WhatsApp, through the Messenger Platform's Send API. */
export const isMetaDirect = (type: string) => type === 'messenger' || type === 'instagram';

function credential(channel: ChannelConfig, name: string): string {
  const value = channel.credentials[name];
  if (!value)
    throw new ChannelSendError(
      'channel_not_configured',
      `The ${channel.type} channel ${channel.id} has no ${name}; set it with PATCH /v1/channels/${channel.id}.`,
    );
  return value;
}

/** The account that sends: the Facebook Page (Messenger) or the Instagram professional account. */
const senderIdOf = (channel: ChannelConfig) =>
  credential(channel, channel.type === 'instagram' ? 'ig_user_id' : 'page_id');

async function sendPost(opts: GraphOptions, channel: ChannelConfig, body: unknown): Promise<string> {
  const base = `${opts.graphUrl.replace(/\/$/, '')}/${opts.version}`;
  const { res, json } = await postToProvider(
    'Meta',
    `${base}/${encodeURIComponent(senderIdOf(channel))}/messages`,
    {
      headers: {
        authorization: `Bearer ${credential(channel, 'access_token')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
      timeoutMs: opts.timeoutMs,
    },
  );
  if (!res.ok) {
    const err = mapDirectGraphError(res.status, json?.error as GraphError | undefined);
    const retryAfter = Number(res.headers.get('retry-after'));
    if (err.retryable && Number.isFinite(retryAfter) && retryAfter > 0)
      throw new ChannelSendError(err.code, err.message, {
        retryable: true,
        providerCode: err.providerCode,
        retryAfterMs: retryAfter * 1000,
      });
    throw err;
  }
  const id = json?.message_id;
  if (typeof id !== 'string')
    throw new ChannelSendError('provider_error', 'Meta accepted the message but returned no message_id.');
  return id;
}

/** Messenger and Instagram Direct on Meta's Send API; the webhook is Meta's, signed with the app secret. */
export function createMetaDirectAdapter(opts: GraphOptions): ChannelAdapter {
  return {
    provider: 'meta',

    async send(channel: ChannelConfig, message: OutboundMessage): Promise<SendResult> {
      const id = await sendPost(opts, channel, buildDirectSendBody(message));
      const caption = captionOf(message);
      if (caption) {
        // Meta's attachments take no caption: it follows as its own text (the file's id is the message's).
        await sendPost(opts, channel, buildDirectSendBody({ ...message, type: 'text', text: caption }));
      }
      return { providerMessageId: id };
    },

    verifyInbound(channel: ChannelConfig, request: RawInbound): boolean {
      const secret = channel.credentials.app_secret;
      if (!secret) return false;
      return verifyMetaSignature(request.rawBody, request.headers['x-hub-signature-256'], secret);
    },

    parseInbound(channel: ChannelConfig, request: RawInbound): InboundBatch {
      const body = request.body !== undefined ? request.body : JSON.parse(request.rawBody.toString('utf8'));
      return parseMetaDirectWebhook(body, senderIdOf(channel));
    },

    // Messenger's User Profile API (first and last name, picture) and Instagram's user profile
    // (name, username, picture), by the scoped id the webhook gave, with the channel's token.
    async lookupProfile(channel, userId) {
      const base = `${opts.graphUrl.replace(/\/$/, '')}/${opts.version}`;
      const fields =
        channel.type === 'instagram' ? 'name,username,profile_pic' : 'first_name,last_name,profile_pic';
      const res = await getFromProvider('Meta', `${base}/${encodeURIComponent(userId)}?fields=${fields}`, {
        headers: { authorization: `Bearer ${credential(channel, 'access_token')}` },
        timeoutMs: opts.timeoutMs,
      });
      const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      if (!res.ok) {
        // A user who blocked the page, or a profile Meta will not share: nothing to show.
        if (res.status === 400 || res.status === 404) return null;
        throw new ChannelSendError('provider_error', `Meta refused the profile (HTTP ${res.status}).`, {
          retryable: res.status === 429 || res.status >= 500,
        });
      }
      const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : null);
      const name =
        channel.type === 'instagram'
          ? (text(json?.name) ?? (text(json?.username) ? `@${text(json?.username)}` : null))
          : [text(json?.first_name), text(json?.last_name)].filter(Boolean).join(' ') || null;
      const picture = text(json?.profile_pic);
      return { name, avatarUrl: picture && /^https:\/\//.test(picture) ? picture : null };
    },

    // The Send API's sender action: "typing…" for up to 20 seconds or until the reply.
    async showTyping(channel, to) {
      const base = `${opts.graphUrl.replace(/\/$/, '')}/${opts.version}`;
      const { res, json } = await postToProvider(
        'Meta',
        `${base}/${encodeURIComponent(senderIdOf(channel))}/messages`,
        {
          headers: {
            authorization: `Bearer ${credential(channel, 'access_token')}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ recipient: { id: to.address }, sender_action: 'typing_on' }),
          timeoutMs: opts.timeoutMs,
        },
      );
      if (!res.ok) throw mapDirectGraphError(res.status, json?.error as GraphError | undefined);
    },

    // Messenger's and Instagram's attachment URLs are Meta CDN links that need no token and expire.
    async fetchMedia(_channel, media, limits = {}) {
      if (!media.url) throw new ChannelSendError('not_found', 'The message names no file to fetch.');
      const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
      const res = await getFromProvider('Meta', media.url, { headers: {}, timeoutMs: opts.timeoutMs });
      if (!res.ok) {
        await res.body?.cancel();
        throw new ChannelSendError('provider_error', `Meta refused the file download (HTTP ${res.status}).`, {
          retryable: res.status >= 500,
        });
      }
      const file = await fileOf(res, media.mime_type);
      if (file.content.length > maxBytes)
        throw new ChannelSendError(
          'media_too_large',
          `The file is ${file.content.length} bytes; at most ${maxBytes} are kept.`,
        );
      return file;
    },
  };
}

/**
 * The one `meta` adapter of an app: WhatsApp channels go to the WhatsApp Cloud API adapter,
 * Messenger and Instagram channels to the Send API adapter. Signature checks are the same.
 */
export function createMetaAdapter(whatsapp: WhatsAppAdapter, direct: ChannelAdapter): WhatsAppAdapter {
  const pick = (channel: ChannelConfig) => (isMetaDirect(channel.type) ? direct : whatsapp);
  return {
    ...whatsapp,
    send: (channel, message) => pick(channel).send(channel, message),
    verifyInbound: (channel, request) => pick(channel).verifyInbound(channel, request),
    parseInbound: (channel, request) => pick(channel).parseInbound(channel, request),
    reserveSendSlot: (channel, to, nowMs) =>
      isMetaDirect(channel.type) ? 0 : (whatsapp.reserveSendSlot?.(channel, to, nowMs) ?? 0),
    showTyping: async (channel, to) => {
      await pick(channel).showTyping?.(channel, to);
    },
    lookupProfile: async (channel, userId) =>
      isMetaDirect(channel.type) ? ((await direct.lookupProfile?.(channel, userId)) ?? null) : null,
    fetchMedia: (channel, media, limits) => {
      const adapter = pick(channel);
      if (!adapter.fetchMedia) throw new ChannelSendError('not_found', 'This channel keeps no media.');
      return adapter.fetchMedia(channel, media, limits);
    },
  };
}
