import {
  ChannelSendError,
  type InboundBatch,
  type InboundMessage,
  type OutboundMessage,
} from '../channel-adapter.ts';

/**
 * Telegram's Bot API (https://core.telegram.org/bots/api), pure functions only: updates read into
 * Parley's inbound messages, outbound messages written as Bot API calls, and its errors mapped.
 *
 * - Only private chats with the bot are read (a group's messages have no one customer); the
 *   customer's address is the chat id, their name `from.first_name` and `last_name`.
 * - `message` and `edited_message`: text, `photo[]` (the largest size is kept), `document`,
 *   `audio`, `voice`, `video`, `sticker`, `location`, `contact`, each with its `caption`;
 *   anything else is kept as `unsupported`.
 * - `callback_query` (a tap on an inline keyboard button): an `interactive` reply with the
 *   button's `callback_data` as its id and the button's text, found in the message it was on.
 * - A message's id is the chat id and Telegram's `message_id` (unique only within a chat).
 */

type Json = Record<string, any>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const idOf = (v: unknown): string | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : str(v);

/** Parley's message id for a Telegram message: `<chat id>:<message_id>`. */
export const messageKey = (chatId: string, messageId: unknown) => `${chatId}:${idOf(messageId)}`;

/** The customer messages of one update (the callback query ids to answer alongside). */
export function parseTelegramUpdate(body: unknown): InboundBatch & { callbackQueryIds: string[] } {
  const batch = {
    messages: [] as InboundMessage[],
    statuses: [],
    notices: [],
    callbackQueryIds: [] as string[],
  };
  const update = (body ?? {}) as Json;
  if (!update || typeof update !== 'object') return batch;
  const edited = update.edited_message && typeof update.edited_message === 'object';
  const message = (edited ? update.edited_message : update.message) as Json | undefined;
  if (message && typeof message === 'object') {
    const m = messageOf(message, edited);
    if (m) batch.messages.push(m);
  }
  const cb = update.callback_query as Json | undefined;
  if (cb && typeof cb === 'object') {
    const m = callbackOf(cb);
    if (m) {
      batch.messages.push(m);
      batch.callbackQueryIds.push(String(cb.id));
    }
  }
  return batch;
}

function nameOf(from: Json | undefined): string | undefined {
  const name = [str(from?.first_name), str(from?.last_name)].filter(Boolean).join(' ');
  return name || str(from?.username);
}

function privateChat(message: Json): string | undefined {
  if (message.chat?.type !== undefined && message.chat.type !== 'private') return undefined;
  const id = idOf(message.chat?.id);
  return id && /^\d+$/.test(id) ? id : undefined;
}

function messageOf(msg: Json, edited: boolean): InboundMessage | undefined {
  const chat = privateChat(msg);
  if (!chat || idOf(msg.message_id) === undefined || msg.from?.is_bot === true) return undefined;
  const key = messageKey(chat, msg.message_id);
  const at = Number(edited ? msg.edit_date : msg.date);
  const profileName = nameOf(msg.from);
  const replyTo = idOf(msg.reply_to_message?.message_id);
  const base = {
    from: chat,
    ...(profileName ? { profileName } : {}),
    timestamp: Number.isFinite(at) && at > 0 ? new Date(at * 1000) : new Date(),
    ...(replyTo ? { replyToProviderId: messageKey(chat, replyTo) } : {}),
    // An edit is a message of its own that names the one it changes.
    ...(edited
      ? { providerMessageId: `${key}:edit:${Number(msg.edit_date) || 0}`, edit: { originalProviderId: key } }
      : { providerMessageId: key }),
  };
  return { ...base, ...contentOf(msg) };
}

type Content = Pick<InboundMessage, 'type' | 'text' | 'media' | 'payload'>;

function contentOf(msg: Json): Content {
  const caption = typeof msg.caption === 'string' ? msg.caption : '';
  if (typeof msg.text === 'string') return { type: 'text', text: msg.text };
  const file = (type: InboundMessage['type'], f: Json | undefined, mime?: string): Content => ({
    type,
    text: caption,
    media: {
      id: String(f?.file_id),
      ...(str(f?.mime_type) || mime ? { mime_type: str(f?.mime_type) ?? mime } : {}),
      ...(str(f?.file_name) ? { filename: f?.file_name } : {}),
      ...(caption ? { caption } : {}),
    },
  });
  if (Array.isArray(msg.photo) && msg.photo.length) {
    // Telegram sends every size it made, smallest first: the last is the largest.
    const largest = msg.photo.reduce((a: Json, b: Json) =>
      (Number(b?.width) || 0) * (Number(b?.height) || 0) >= (Number(a?.width) || 0) * (Number(a?.height) || 0)
        ? b
        : a,
    );
    return file('image', largest, 'image/jpeg');
  }
  if (msg.document?.file_id) return file('document', msg.document);
  if (msg.video?.file_id) return file('video', msg.video);
  if (msg.audio?.file_id) return file('audio', msg.audio);
  if (msg.voice?.file_id) return file('audio', msg.voice, 'audio/ogg');
  if (msg.sticker?.file_id) return { ...file('sticker', msg.sticker), text: str(msg.sticker.emoji) ?? '' };
  if (msg.location && typeof msg.location === 'object')
    return {
      type: 'location',
      text: str(msg.venue?.title) ?? `${msg.location.latitude},${msg.location.longitude}`,
      payload: { latitude: msg.location.latitude ?? null, longitude: msg.location.longitude ?? null },
    };
  if (msg.contact && typeof msg.contact === 'object')
    return {
      type: 'contacts',
      text: [str(msg.contact.first_name), str(msg.contact.last_name)].filter(Boolean).join(' '),
      payload: { contacts: [msg.contact] },
    };
  // Polls, dice, games, stories and what Telegram adds later: kept as they came, never dropped.
  const kind = Object.keys(msg).find((k) => !baseKeys.has(k)) ?? 'unknown';
  return { type: 'unsupported', text: caption, payload: { telegram_type: kind } };
}

const baseKeys = new Set([
  'message_id',
  'message_thread_id',
  'from',
  'sender_chat',
  'chat',
  'date',
  'edit_date',
  'reply_to_message',
  'caption',
  'caption_entities',
  'entities',
  'forward_origin',
  'has_protected_content',
]);

function callbackOf(cb: Json): InboundMessage | undefined {
  const msg = (cb.message ?? {}) as Json;
  const chat = privateChat(msg);
  const data = str(cb.data);
  if (!chat || !str(String(cb.id ?? '')) || !data) return undefined;
  // The button's own text, from the keyboard of the message it was on.
  const rows: Json[][] = Array.isArray(msg.reply_markup?.inline_keyboard)
    ? msg.reply_markup.inline_keyboard
    : [];
  const title = str(rows.flat().find((b) => b?.callback_data === data)?.text);
  const profileName = nameOf(cb.from);
  return {
    providerMessageId: `callback:${cb.id}`,
    from: chat,
    ...(profileName ? { profileName } : {}),
    type: 'interactive',
    text: title ?? data,
    payload: { kind: 'button_reply', id: data, title: title ?? null },
    ...(idOf(msg.message_id) ? { replyToProviderId: messageKey(chat, msg.message_id) } : {}),
    timestamp: new Date(),
  };
}

/** A Bot API call: its method and its JSON fields (a file to upload goes as `upload`). */
export interface TelegramCall {
  method: 'sendMessage' | 'sendPhoto' | 'sendDocument' | 'sendAudio' | 'sendVideo';
  fields: Record<string, unknown>;
  /** The field a file uploaded to Parley is sent in, as multipart/form-data. */
  upload?: { field: string; content: Buffer; mimeType: string; filename: string };
}

const fileMethods = {
  image: ['sendPhoto', 'photo'],
  document: ['sendDocument', 'document'],
  audio: ['sendAudio', 'audio'],
  video: ['sendVideo', 'video'],
} as const;

/** The Bot API call that sends `message`. */
export function buildTelegramCall(message: OutboundMessage): TelegramCall {
  const replyTo = message.replyToProviderId?.split(':')[1];
  const base: Record<string, unknown> = {
    chat_id: message.to,
    ...(replyTo && /^\d+$/.test(replyTo)
      ? { reply_parameters: { message_id: Number(replyTo), allow_sending_without_reply: true } }
      : {}),
  };
  if (message.type === 'text')
    return { method: 'sendMessage', fields: { ...base, text: message.text ?? '' } };
  if (message.type === 'interactive' && message.interactive) {
    const i = message.interactive;
    const buttons = i.buttons ?? [];
    if (i.kind !== 'button' || !buttons.length)
      throw new ChannelSendError(
        'validation_failed',
        `Telegram carries reply buttons, not ${i.kind} messages.`,
      );
    for (const b of buttons)
      if (Buffer.byteLength(b.id) > 64)
        throw new ChannelSendError(
          'validation_failed',
          `A Telegram button's id is at most 64 bytes (${b.id}).`,
        );
    const text = [i.header, i.body, i.footer].filter(Boolean).join('\n\n');
    return {
      method: 'sendMessage',
      fields: {
        ...base,
        text,
        reply_markup: { inline_keyboard: buttons.map((b) => [{ text: b.title, callback_data: b.id }]) },
      },
    };
  }
  const file = fileMethods[message.type as keyof typeof fileMethods];
  if (!file || !message.media)
    throw new ChannelSendError(
      'validation_failed',
      `Telegram carries text, image, document, audio, video and button messages, not ${message.type}.`,
    );
  const [method, field] = file;
  const fields = { ...base, ...(message.media.caption ? { caption: message.media.caption } : {}) };
  if (message.media.file)
    return {
      method,
      fields,
      upload: {
        field,
        content: message.media.file.content,
        mimeType: message.media.file.mimeType,
        filename: message.media.filename ?? message.media.file.filename ?? field,
      },
    };
  if (message.media.url) return { method, fields: { ...fields, [field]: message.media.url } };
  throw new ChannelSendError(
    'validation_failed',
    'A Telegram file message needs a media url or an uploaded file.',
  );
}

/** Maps a Bot API refusal (`{ok: false, error_code, description, parameters}`). */
export function mapTelegramError(
  httpStatus: number,
  answer: { error_code?: number; description?: string; parameters?: { retry_after?: number } } | undefined,
): ChannelSendError {
  const code = answer?.error_code ?? httpStatus;
  const detail = answer?.description ?? `HTTP ${httpStatus}`;
  const providerCode = String(code);
  const fail = (parleyCode: string, message: string, retryable = false, retryAfterMs?: number) =>
    new ChannelSendError(parleyCode, `${message} (Telegram ${code}: ${detail})`, {
      retryable,
      providerCode,
      retryAfterMs,
    });
  if (code === 401 || code === 404)
    return fail('channel_not_configured', "Telegram refused the channel's bot_token.");
  if (code === 403)
    return fail('telegram_blocked', 'The person blocked the bot, or never started a chat with it.');
  if (code === 429) {
    const after = Number(answer?.parameters?.retry_after);
    return fail(
      'telegram_rate_limited',
      'Telegram asked the bot to send more slowly.',
      true,
      Number.isFinite(after) && after > 0 ? after * 1000 : 30_000,
    );
  }
  if (code >= 500) return fail('provider_error', 'Telegram could not take the message now.', true);
  return fail('validation_failed', 'Telegram rejected a parameter of the message.');
}
