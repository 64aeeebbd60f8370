import { randomToken, safeEqual } from '../../../platform/crypto.ts';
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
import { buildTelegramCall, mapTelegramError, messageKey, parseTelegramUpdate } from './telegram-protocol.ts';

export interface TelegramOptions {
  /** The Bot API's base URL (`https://api.telegram.org`; a local fake in tests). */
  apiUrl: string;
  /** Unset but in a test, read at each request. */
  timeoutMs?: number;
}

/** The header Telegram sends the webhook's `secret_token` back in, on every update. */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

function token(channel: ChannelConfig): string {
  const value = channel.credentials.bot_token;
  if (!value)
    throw new ChannelSendError(
      'channel_not_configured',
      `The telegram channel ${channel.id} has no bot_token; set it with PATCH /v1/channels/${channel.id}.`,
    );
  return value;
}

/** Telegram's webhook: its secret token is up to 256 characters of A-Z, a-z, 0-9, `_` and `-`. */
const newSecret = () => `tgs_${randomToken(32)}`.replace(/[^A-Za-z0-9_-]/g, '_');

/** A Telegram bot on the Bot API: webhook updates in, `sendMessage`/`sendPhoto`/... out. */
export function createTelegramAdapter(opts: TelegramOptions): ChannelAdapter {
  const api = (channel: ChannelConfig, method: string) =>
    `${opts.apiUrl.replace(/\/$/, '')}/bot${token(channel)}/${method}`;

  async function call(channel: ChannelConfig, method: string, body: string | FormData) {
    const headers: Record<string, string> =
      typeof body === 'string' ? { 'content-type': 'application/json' } : {};
    const { res, json } = await postToProvider('Telegram', api(channel, method), {
      headers,
      body,
      timeoutMs: opts.timeoutMs,
    });
    if (!res.ok || json?.ok !== true) throw mapTelegramError(res.status, json as never);
    return json.result as Record<string, any>;
  }

  return {
    provider: 'telegram',
    async send(channel: ChannelConfig, message: OutboundMessage): Promise<SendResult> {
      const tg = buildTelegramCall(message);
      let body: string | FormData = JSON.stringify(tg.fields);
      if (tg.upload) {
        const form = new FormData();
        for (const [k, v] of Object.entries(tg.fields))
          form.append(k, typeof v === 'string' ? v : JSON.stringify(v));
        form.append(
          tg.upload.field,
          new Blob([new Uint8Array(tg.upload.content)], { type: tg.upload.mimeType }),
          tg.upload.filename,
        );
        body = form;
      }
      const result = await call(channel, tg.method, body);
      if (result?.message_id === undefined)
        throw new ChannelSendError(
          'provider_error',
          'Telegram accepted the message but returned no message_id.',
        );
      return { providerMessageId: messageKey(message.to, result.message_id) };
    },
    verifyInbound(channel: ChannelConfig, request: RawInbound): boolean {
      const secret = channel.credentials.webhook_secret;
      const given = request.headers[SECRET_HEADER];
      return Boolean(secret) && typeof given === 'string' && safeEqual(given, secret);
    },
    async parseInbound(channel: ChannelConfig, request: RawInbound): Promise<InboundBatch> {
      const body = request.body !== undefined ? request.body : JSON.parse(request.rawBody.toString('utf8'));
      const { callbackQueryIds, ...batch } = parseTelegramUpdate(body);
      // A tapped button spins in the customer's app until the bot answers the query. A replayed
      // update's query is too old by then: Telegram's refusal changes nothing, so it is let go.
      for (const id of callbackQueryIds)
        await call(channel, 'answerCallbackQuery', JSON.stringify({ callback_query_id: id })).catch(() => {});
      return batch;
    },
    async fetchMedia(channel, media, limits): Promise<ProviderFile> {
      if (!media.id) throw new ChannelSendError('not_found', 'The message names no Telegram file to fetch.');
      const file = await call(channel, 'getFile', JSON.stringify({ file_id: media.id }));
      const size = Number(file?.file_size);
      if (limits?.maxBytes && Number.isFinite(size) && size > limits.maxBytes)
        throw new ChannelSendError('media_too_large', `The file is ${size} bytes, over ${limits.maxBytes}.`);
      if (typeof file?.file_path !== 'string')
        throw new ChannelSendError(
          'not_found',
          'Telegram has no file_path for this file (over 20 MB, or expired).',
        );
      const res = await getFromProvider(
        'Telegram',
        `${opts.apiUrl.replace(/\/$/, '')}/file/bot${token(channel)}/${file.file_path}`,
        { headers: {}, timeoutMs: opts.timeoutMs },
      );
      if (!res.ok)
        throw new ChannelSendError(
          res.status === 404 ? 'not_found' : 'provider_error',
          `Telegram answered ${res.status} for the file.`,
          {
            retryable: res.status >= 500,
          },
        );
      const got = await fileOf(res, media.mime_type);
      const name = file.file_path.split('/').pop();
      return got.filename || !name ? got : { ...got, filename: name };
    },
    inboundPath: (channel) => `/hooks/telegram/${channel.id}`,
    generateCredentials: () => ({ webhook_secret: newSecret() }),
    async disconnect(channel: ChannelConfig): Promise<void> {
      await call(channel, 'deleteWebhook', JSON.stringify({ drop_pending_updates: false }));
    },
    async connect(channel: ChannelConfig, inboundUrl: string): Promise<void> {
      // The bot's id is the digits before the token's colon: the channel's address must be it.
      const botId = token(channel).split(':')[0];
      if (botId !== channel.address)
        throw new ChannelSendError(
          'channel_not_configured',
          `The bot_token is not the token of bot ${channel.address} (the channel's address is the bot's id, the digits before the token's colon).`,
        );
      await call(
        channel,
        'setWebhook',
        JSON.stringify({
          url: inboundUrl,
          secret_token: channel.credentials.webhook_secret,
          allowed_updates: ['message', 'edited_message', 'callback_query'],
        }),
      );
    },
  };
}
