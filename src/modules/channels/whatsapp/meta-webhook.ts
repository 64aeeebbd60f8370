import type {
  InboundBatch,
  InboundContentType,
  InboundMessage,
  ProviderNotice,
  ProviderStatus,
  StatusUpdate,
} from '../channel-adapter.ts';
import { fromWaId } from './meta-protocol.ts';
import { mapGraphError } from './meta-send.ts';

/** Meta's webhook payloads (`messages`, `statuses`, `message_template_status_update`) read into an inbound batch. Pure functions. */

const statusMap: Record<string, ProviderStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  // A voice message the customer listened to (Meta's `played`): it was read.
  played: 'read',
  failed: 'failed',
};
const mediaTypes = new Set(['image', 'document', 'audio', 'video', 'sticker']);

interface WaMessage {
  id?: string;
  from?: string;
  /** The sender's business-scoped user id (BSUID), Meta's 2026 identifier; `from` is left out for username-only senders. */
  from_user_id?: string;
  timestamp?: string;
  type?: string;
  context?: { id?: string; from?: string };
  text?: { body?: string };
  button?: { text?: string; payload?: string };
  interactive?: {
    type?: string;
    button_reply?: { id?: string; title?: string };
    list_reply?: { id?: string; title?: string; description?: string };
    nfm_reply?: { name?: string; body?: string; response_json?: string };
  };
  reaction?: { message_id?: string; emoji?: string };
  location?: { latitude?: number; longitude?: number; name?: string; address?: string; url?: string };
  contacts?: Array<{
    name?: { formatted_name?: string };
    phones?: Array<{ phone?: string; wa_id?: string }>;
  }>;
  order?: {
    catalog_id?: string;
    text?: string;
    product_items?: Array<{
      product_retailer_id?: string;
      quantity?: number;
      item_price?: number;
      currency?: string;
    }>;
  };
  system?: { body?: string; type?: string; wa_id?: string; new_wa_id?: string; user_id?: string };
  edit?: { original_message_id?: string; message?: WaMessage };
  revoke?: { original_message_id?: string };
  referral?: Record<string, unknown>;
  errors?: Array<{ code?: number; title?: string; message?: string }>;
  [key: string]: unknown;
}

/** Who a message comes from, as the `contacts[]` entry of the webhook names them. */
interface WaSender {
  profileName?: string;
  /** The phone number (wa_id), when Meta shares it. */
  waId?: string;
  userId?: string;
  username?: string;
}

const tsDate = (ts: unknown, fallback: Date) => {
  const n = typeof ts === 'string' || typeof ts === 'number' ? Number(ts) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? new Date(n * 1000) : fallback;
};

const amount = (n: unknown) => (typeof n === 'number' ? n : Number(n));

function orderSummary(order: NonNullable<WaMessage['order']>): string {
  const items = (order.product_items ?? []).map((i) => {
    const price = amount(i.item_price);
    return `${i.quantity ?? 1} × ${i.product_retailer_id ?? 'item'}${Number.isFinite(price) ? ` (${price} ${i.currency ?? ''})`.replace(' )', ')') : ''}`;
  });
  return [order.text, items.length ? `Order: ${items.join(', ')}` : 'Order'].filter(Boolean).join('\n');
}

function parseMessage(
  m: WaMessage,
  senders: Map<string, WaSender>,
  to: string | undefined,
  now: Date,
): InboundMessage | undefined {
  if (typeof m.id !== 'string') return undefined;
  // The sender: the phone (`from`, or the contact's wa_id), else the business-scoped user id of a
  // username-only sender (Meta leaves the phone out then).
  const sender =
    (m.from ? senders.get(m.from) : undefined) ?? (m.from_user_id ? senders.get(m.from_user_id) : undefined);
  // Meta leaves `from` out for a username-only sender and names them by `from_user_id`.
  const phone = m.from;
  const userId = m.from_user_id ?? sender?.userId;
  const from = phone ? fromWaId(phone) : userId;
  if (!from) return undefined;
  const base = {
    providerMessageId: m.id,
    from,
    ...(to ? { to } : {}),
    ...(sender?.profileName ? { profileName: sender.profileName } : {}),
    ...(userId ? { userId } : {}),
    ...(sender?.username ? { username: sender.username } : {}),
    ...(m.context?.id ? { replyToProviderId: m.context.id } : {}),
    timestamp: tsDate(m.timestamp, now),
  };
  const type = m.type ?? 'unknown';
  // A click-to-WhatsApp ad's details come with the first message after the click, whatever its type.
  const referral = m.referral && typeof m.referral === 'object' ? { referral: m.referral } : {};
  const done = (
    t: InboundContentType,
    text: string,
    extra: Partial<InboundMessage> = {},
  ): InboundMessage => ({
    ...base,
    type: t,
    text,
    ...extra,
    ...(m.referral ? { payload: { ...(extra.payload ?? {}), ...referral } } : {}),
  });
  if (type === 'text') return done('text', m.text?.body ?? '');
  if (mediaTypes.has(type)) {
    const media = (m[type] ?? {}) as {
      id?: string;
      mime_type?: string;
      caption?: string;
      filename?: string;
      link?: string;
      url?: string;
    };
    const url = media.url ?? media.link;
    return done(type as InboundContentType, media.caption ?? '', {
      media: {
        ...(media.id ? { id: media.id } : {}),
        ...(url ? { url } : {}),
        ...(media.mime_type ? { mime_type: media.mime_type } : {}),
        ...(media.caption ? { caption: media.caption } : {}),
        ...(media.filename ? { filename: media.filename } : {}),
      },
    });
  }
  if (type === 'location' && m.location) {
    const l = m.location;
    const label = [l.name, l.address].filter(Boolean).join(', ') || `${l.latitude},${l.longitude}`;
    return done('location', label, { payload: { ...l } });
  }
  if (type === 'contacts' && Array.isArray(m.contacts)) {
    const names = m.contacts.map((c) => c.name?.formatted_name ?? c.phones?.[0]?.phone ?? 'contact');
    return done('contacts', names.join(', '), { payload: { contacts: m.contacts } });
  }
  if (type === 'button' && m.button) {
    return done('button', m.button.text ?? '', {
      payload: { payload: m.button.payload ?? null, text: m.button.text ?? null },
    });
  }
  if (type === 'interactive' && m.interactive) {
    const i = m.interactive;
    const reply = i.button_reply ?? i.list_reply;
    if (reply) {
      return done('interactive', reply.title ?? '', {
        payload: {
          kind: i.type,
          id: reply.id ?? null,
          title: reply.title ?? null,
          ...(i.list_reply?.description ? { description: i.list_reply.description } : {}),
        },
      });
    }
    if (i.nfm_reply)
      return done('interactive', i.nfm_reply.body ?? '', { payload: { kind: i.type, ...i.nfm_reply } });
  }
  if (type === 'reaction' && m.reaction) {
    return done('reaction', m.reaction.emoji ?? '', {
      payload: { message_id: m.reaction.message_id ?? null, emoji: m.reaction.emoji ?? null },
      ...(m.reaction.message_id ? { replyToProviderId: m.reaction.message_id } : {}),
    });
  }
  if (type === 'order' && m.order) {
    // Meta's order webhook: the catalog, the customer's note and each product with quantity and price.
    return done('order', orderSummary(m.order), {
      payload: {
        catalog_id: m.order.catalog_id ?? null,
        text: m.order.text ?? null,
        product_items: (m.order.product_items ?? []).map((i) => ({
          product_retailer_id: i.product_retailer_id ?? null,
          quantity: amount(i.quantity ?? 1),
          item_price: i.item_price === undefined ? null : amount(i.item_price),
          currency: i.currency ?? null,
        })),
      },
    });
  }
  if (type === 'system' && m.system) {
    const s = m.system;
    const newWaId = s.wa_id ?? s.new_wa_id;
    return done('system', s.body ?? '', {
      payload: { system_type: s.type ?? null, ...(newWaId ? { new_wa_id: newWaId } : {}) },
      ...(s.type === 'user_changed_number' && newWaId
        ? { numberChange: { newAddress: fromWaId(newWaId) } }
        : {}),
    });
  }
  if (type === 'edit' && m.edit?.original_message_id && m.edit.message) {
    // The new content, read as a message of its own, applied to the original.
    const edited = parseMessage(
      { ...m.edit.message, id: m.id, from: m.from, from_user_id: m.from_user_id, timestamp: m.timestamp },
      senders,
      to,
      now,
    );
    if (edited)
      return {
        ...edited,
        payload: { ...(edited.payload ?? {}), edit_of: m.edit.original_message_id },
        edit: { originalProviderId: m.edit.original_message_id },
      };
  }
  if (type === 'revoke' && m.revoke?.original_message_id) {
    return done('revoke', '', {
      payload: { original_message_id: m.revoke.original_message_id },
      revoke: { originalProviderId: m.revoke.original_message_id },
    });
  }
  // Unknown or unsupported types are kept (with Meta's explanation) rather than dropped.
  const reason = m.errors?.[0];
  return done('unsupported', '', {
    payload: {
      original_type: type,
      ...(reason
        ? { error: { code: reason.code ?? null, title: reason.title ?? reason.message ?? null } }
        : {}),
    },
  });
}

interface WaStatus {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  errors?: Array<{ code?: number; title?: string; message?: string; error_data?: { details?: string } }>;
}

function parseStatus(s: WaStatus, now: Date): StatusUpdate | undefined {
  const status = s.status ? statusMap[s.status] : undefined;
  if (typeof s.id !== 'string' || !status) return undefined;
  const out: StatusUpdate = { providerMessageId: s.id, status, timestamp: tsDate(s.timestamp, now) };
  if (status === 'failed') {
    const e = s.errors?.[0];
    const mapped = mapGraphError(
      400,
      e ? { code: e.code, message: e.title ?? e.message, error_data: e.error_data } : undefined,
    );
    out.error = {
      code: mapped.code,
      message: e?.error_data?.details ?? e?.title ?? e?.message ?? 'Delivery failed',
      ...(mapped.providerCode ? { providerCode: mapped.providerCode } : {}),
    };
  }
  return out;
}

const templateEvents: Record<string, ProviderNotice['status']> = {
  APPROVED: 'approved',
  REJECTED: 'rejected',
  PAUSED: 'paused',
  PENDING: 'pending',
  DISABLED: 'rejected',
  FLAGGED: 'paused',
  REINSTATED: 'approved',
  IN_APPEAL: 'pending',
  PENDING_DELETION: 'paused',
};

/**
 * Parses a verified webhook body (`object: whatsapp_business_account`). `phoneNumberId` limits
 * message and status changes to the channel's own number: one app can serve several numbers.
 */
export function parseMetaWebhook(body: unknown, phoneNumberId: string | undefined, now: Date): InboundBatch {
  const batch: InboundBatch = { messages: [], statuses: [], notices: [] };
  if (!body || typeof body !== 'object') return batch;
  const entries = (body as { entry?: unknown }).entry;
  if (!Array.isArray(entries)) return batch;
  for (const entry of entries) {
    const changes = (entry as { changes?: unknown })?.changes;
    if (!Array.isArray(changes)) continue;
    for (const change of changes) {
      const field = (change as { field?: string })?.field;
      const value = (change as { value?: Record<string, any> })?.value;
      if (!value || typeof value !== 'object') continue;
      if (field === 'messages') {
        const meta = value.metadata as
          | { phone_number_id?: string; display_phone_number?: string }
          | undefined;
        if (phoneNumberId && meta?.phone_number_id && meta.phone_number_id !== phoneNumberId) continue;
        const to = meta?.display_phone_number ? fromWaId(meta.display_phone_number) : undefined;
        // Each sender by phone (wa_id) and by business-scoped user id (user_id), either may be missing.
        const senders = new Map<string, WaSender>();
        for (const c of Array.isArray(value.contacts) ? value.contacts : []) {
          if (!c || typeof c !== 'object') continue;
          const sender: WaSender = {
            ...(c.profile?.name ? { profileName: String(c.profile.name) } : {}),
            ...(c.wa_id ? { waId: String(c.wa_id) } : {}),
            ...(c.user_id ? { userId: String(c.user_id) } : {}),
            ...(c.profile?.username ? { username: String(c.profile.username) } : {}),
          };
          if (sender.waId) senders.set(sender.waId, sender);
          if (sender.userId) senders.set(sender.userId, sender);
        }
        for (const m of Array.isArray(value.messages) ? value.messages : []) {
          const parsed = parseMessage(m as WaMessage, senders, to, now);
          if (parsed) batch.messages.push(parsed);
        }
        for (const s of Array.isArray(value.statuses) ? value.statuses : []) {
          const parsed = parseStatus(s as WaStatus, now);
          if (parsed) batch.statuses.push(parsed);
        }
      } else if (field === 'message_template_status_update') {
        const status = templateEvents[String(value.event ?? '').toUpperCase()];
        if (!status || typeof value.message_template_name !== 'string') continue;
        const reason = typeof value.reason === 'string' && value.reason !== 'NONE' ? value.reason : undefined;
        batch.notices.push({
          kind: 'template_status',
          templateName: value.message_template_name,
          ...(typeof value.message_template_language === 'string'
            ? { language: value.message_template_language }
            : {}),
          status,
          ...(reason ? { reason } : {}),
        });
      }
    }
  }
  return batch;
}
