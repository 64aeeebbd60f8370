import type { InboundBatch, InboundMessage, StatusUpdate } from '../channel-adapter.ts';

/**
 * Messenger (`object: "page"`) and Instagram Direct (`object: "instagram"`) webhooks, as Meta's
 * Messenger Platform and Instagram Messaging references give them: `entry[].messaging[]`, each
 * event with `sender.id` (the customer's PSID or IGSID), `recipient.id` (the Page or the
 * Instagram professional account), `timestamp` (ms) and one of `message`, `reaction`,
 * `postback`, `delivery`, `read`. Pure functions only.
 *
 * - `message.is_echo`: a copy of the business's own message: ignored.
 * - `message.is_deleted` (the customer unsent a message): a revoke of the stored message.
 * - `message.attachments[]`: image, video, audio, file (one stored message each, the first with
 *   the text); `story_mention` (the customer mentioned the business in their story) is kept as
 *   an image with `interactive.story_mention`; share, reel, post, fallback and any type Parley
 *   does not know are kept as `unsupported` with the attachment as it came.
 * - `message.reply_to.story` (a reply to the business's story): a text with `interactive.story_reply`.
 * - `reaction` (`react` / `unreact`): a message of type `reaction` citing the reacted message.
 * - Anything else (`referral`, `standby`, `changes`, fields Meta adds later) yields nothing here;
 *   the payload itself is kept as it came in the inbound log.
 * - An entry or event for another Page or Instagram account than the channel's (`entry.id`,
 *   `recipient.id`) yields nothing: one Meta app may carry several, and a payload one channel's
 *   secret signs is not therefore addressed to it.
 */

type Json = Record<string, any>;

interface Attachment {
  type?: string;
  payload?: Json | null;
}

const mediaTypes: Record<string, InboundMessage['type']> = {
  image: 'image',
  video: 'video',
  audio: 'audio',
  file: 'document',
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function timeOf(ms: unknown): Date {
  const n = Number(ms);
  return Number.isFinite(n) && n > 0 ? new Date(n) : new Date();
}

/**
 * The customer messages, delivery and read statuses of one Messenger or Instagram webhook that
 * are addressed to `accountId` (the channel's Page id or Instagram account id).
 */
export function parseMetaDirectWebhook(body: unknown, accountId: string): InboundBatch {
  const batch: InboundBatch = { messages: [], statuses: [], notices: [] };
  const root = (body ?? {}) as Json;
  if (root.object !== 'page' && root.object !== 'instagram') return batch;
  for (const entry of Array.isArray(root.entry) ? root.entry : []) {
    if (entry?.id !== undefined && String(entry.id) !== accountId) continue;
    const events = Array.isArray(entry?.messaging) ? entry.messaging : [];
    for (const ev of events) {
      if (!ev || typeof ev !== 'object') continue;
      if (str(ev.recipient?.id) !== accountId) continue;
      batch.messages.push(...messagesOf(ev));
      batch.statuses.push(...statusesOf(ev));
    }
  }
  return batch;
}

function messagesOf(ev: Json): InboundMessage[] {
  const from = str(ev.sender?.id);
  if (!from) return [];
  const base = { from, to: str(ev.recipient?.id), timestamp: timeOf(ev.timestamp) };
  if (ev.message && typeof ev.message === 'object') return messageEvent(ev.message, base);
  if (ev.reaction && typeof ev.reaction === 'object') return reactionEvent(ev.reaction, base);
  if (ev.postback && typeof ev.postback === 'object') {
    const p = ev.postback;
    const id = str(p.mid) ?? `postback:${from}:${Number(ev.timestamp) || 0}`;
    return [
      {
        ...base,
        providerMessageId: id,
        type: 'button',
        text: str(p.title) ?? str(p.payload) ?? '',
        payload: { postback: { title: p.title ?? null, payload: p.payload ?? null } },
      },
    ];
  }
  return [];
}

type Base = Pick<InboundMessage, 'from' | 'to' | 'timestamp'>;

function messageEvent(msg: Json, base: Base): InboundMessage[] {
  const mid = str(msg.mid);
  if (!mid || msg.is_echo === true) return [];
  if (msg.is_deleted === true)
    return [
      {
        ...base,
        providerMessageId: `${mid}:deleted`,
        type: 'revoke',
        text: '',
        revoke: { originalProviderId: mid },
      },
    ];
  const text = typeof msg.text === 'string' ? msg.text : '';
  const replyTo = (msg.reply_to ?? {}) as Json;
  const extra: Json = {};
  if (replyTo.story && typeof replyTo.story === 'object')
    extra.story_reply = { id: replyTo.story.id ?? null, url: replyTo.story.url ?? null };
  if (msg.quick_reply && typeof msg.quick_reply === 'object') extra.quick_reply = msg.quick_reply;
  if (msg.referral && typeof msg.referral === 'object') extra.referral = msg.referral;
  const common = {
    ...base,
    ...(str(replyTo.mid) ? { replyToProviderId: replyTo.mid as string } : {}),
  };
  const attachments: Attachment[] = Array.isArray(msg.attachments) ? msg.attachments : [];
  if (!attachments.length) {
    const unsupported = msg.is_unsupported === true && !text;
    return [
      {
        ...common,
        providerMessageId: mid,
        type: unsupported ? 'unsupported' : 'text',
        text,
        ...(Object.keys(extra).length || unsupported
          ? { payload: { ...extra, ...(unsupported ? { is_unsupported: true } : {}) } }
          : {}),
      },
    ];
  }
  // Several files in one message are stored one message each; the first carries the text.
  return attachments.map((a, n) => {
    const kept = attachmentContent(a);
    const payload = { ...(n === 0 ? extra : {}), ...kept.payload };
    return {
      ...common,
      providerMessageId: n === 0 ? mid : `${mid}:${n}`,
      type: kept.type,
      text: n === 0 && text ? text : kept.text,
      ...(kept.url ? { media: { url: kept.url } } : {}),
      ...(Object.keys(payload).length ? { payload } : {}),
    };
  });
}

function attachmentContent(a: Attachment): {
  type: InboundMessage['type'];
  text: string;
  url?: string;
  payload: Json;
} {
  const kind = str(a?.type) ?? 'unknown';
  const url = str(a?.payload?.url);
  if (kind === 'story_mention')
    return {
      type: 'image',
      text: '',
      url,
      payload: { story_mention: { id: a.payload?.id ?? null, url: url ?? null } },
    };
  const media = mediaTypes[kind];
  if (media) return { type: media, text: '', url, payload: {} };
  // Shares, reels, posts, fallbacks and types Meta adds later: kept as they came, never dropped.
  return {
    type: 'unsupported',
    text: str(a?.payload?.title) ?? url ?? '',
    payload: { attachment: { type: kind, payload: a?.payload ?? null } },
  };
}

function reactionEvent(r: Json, base: Base): InboundMessage[] {
  const mid = str(r.mid);
  if (!mid) return [];
  const action = r.action === 'unreact' ? 'unreact' : 'react';
  const emoji = str(r.emoji) ?? null;
  return [
    {
      ...base,
      // Meta gives a reaction no id of its own: the reacted message, the action and the time name it.
      providerMessageId: `${mid}:${action}:${base.timestamp.getTime()}`,
      type: 'reaction',
      text: action === 'react' ? (emoji ?? '') : '',
      replyToProviderId: mid,
      payload: { message_id: mid, emoji, reaction: r.reaction ?? null, action },
    },
  ];
}

function statusesOf(ev: Json): StatusUpdate[] {
  const at = timeOf(ev.timestamp);
  const out: StatusUpdate[] = [];
  // Messenger: `delivery.mids` lists the delivered messages (a watermark alone names none).
  for (const mid of Array.isArray(ev.delivery?.mids) ? ev.delivery.mids : [])
    if (str(mid)) out.push({ providerMessageId: mid, status: 'delivered', timestamp: at });
  // Instagram: `read.mid` is the message seen.
  if (str(ev.read?.mid)) out.push({ providerMessageId: ev.read.mid, status: 'read', timestamp: at });
  return out;
}
