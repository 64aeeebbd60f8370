import { ChannelSendError, type OutboundMessage } from '../channel-adapter.ts';
import { type GraphError, mapGraphError } from '../whatsapp/meta-send.ts';

/**
 * Request bodies for Meta's Send API (`POST /{page-id}/messages` for Messenger,
 * `POST /{ig-user-id}/messages` for Instagram) and the mapping of its errors. Pure functions only.
 *
 * `messaging_type` is `RESPONSE` inside the 24 hours after the customer's last message; after
 * them a person's reply goes as `MESSAGE_TAG` with `tag: "HUMAN_AGENT"` (the send job decides,
 * see `OutboundMessage.humanAgent`: never for the AI, API keys or automations).
 */

const attachmentType = { image: 'image', video: 'video', audio: 'audio', document: 'file' } as const;

export function buildDirectSendBody(message: OutboundMessage): Record<string, unknown> {
  const base = {
    recipient: { id: message.to },
    ...(message.humanAgent
      ? { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }
      : { messaging_type: 'RESPONSE' }),
  };
  if (message.type === 'text') return { ...base, message: { text: message.text ?? '' } };
  const kind = attachmentType[message.type as keyof typeof attachmentType];
  if (kind && message.media?.url)
    return {
      ...base,
      message: { attachment: { type: kind, payload: { url: message.media.url, is_reusable: false } } },
    };
  throw new ChannelSendError(
    'validation_failed',
    `Messenger and Instagram carry text, image, video, audio and document messages, not ${message.type}.`,
  );
}

/** Texts that go with a file go as a second message (Meta's attachments take no caption). */
export function captionOf(message: OutboundMessage): string | undefined {
  return message.type !== 'text' && message.media?.caption ? message.media.caption : undefined;
}

/**
 * Maps a Send API error. Messenger's and Instagram's own codes first (the 24-hour and 7-day
 * windows, a person who cannot be reached), then the Graph codes WhatsApp shares (tokens,
 * rate limits, temporary failures).
 */
export function mapDirectGraphError(httpStatus: number, error: GraphError | undefined): ChannelSendError {
  const code = error?.code;
  const sub = error?.error_subcode;
  const providerCode = code === undefined ? `http_${httpStatus}` : sub ? `${code}/${sub}` : String(code);
  const detail = error?.message ?? `HTTP ${httpStatus}`;
  const fail = (parleyCode: string, message: string, retryable = false, retryAfterMs?: number) =>
    new ChannelSendError(parleyCode, `${message} (Meta ${providerCode}: ${detail})`, {
      retryable,
      providerCode,
      retryAfterMs,
    });
  if (code === 10 && (sub === 2018278 || sub === 2534022))
    return fail(
      'meta_outside_messaging_window',
      'Meta refused the message: it is outside the window in which this business may message the person.',
    );
  if (code === 551 || (code === 100 && sub === 2018001) || sub === 2534014)
    return fail(
      'meta_undeliverable',
      'The person cannot be reached (no such user for this Page or account, or not available).',
    );
  if (code === 613 || code === 32 || code === 4 || code === 17)
    return fail('meta_rate_limited', 'Meta asked this app to send more slowly.', true, 60_000);
  if (code === 100) return fail('validation_failed', 'Meta rejected a parameter of the message.');
  return mapGraphError(httpStatus, error);
}
