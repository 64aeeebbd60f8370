import type {
  InboundBatch,
  InboundContentType,
  InboundMessage,
  ProviderNotice,
  ProviderPricing,
  ProviderStatus,
  StatusUpdate,
  TemplateStatusNotice,
} from '../channel-adapter.ts';
import { HEALTH_FIELDS, healthNotice } from './meta-health.ts';
import { paymentNotice } from './meta-payments.ts';
import { fromWaId, isBusinessScopedUserId } from './meta-protocol.ts';
import { mapGraphError } from './meta-send.ts';
import { namedSender, nonBlank, sendersOf, type WaSender } from './meta-senders.ts';

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
  /** The sender's parent BSUID (`US.ENT.…`), when the business enabled parent BSUIDs. */
  from_parent_user_id?: string;
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
  system?: {
    body?: string;
    type?: string;
    wa_id?: string;
    new_wa_id?: string;
    user_id?: string;
    parent_user_id?: string;
  };
  edit?: { original_message_id?: string; message?: WaMessage };
  revoke?: { original_message_id?: string };
  referral?: Record<string, unknown>;
  errors?: Array<{ code?: number; title?: string; message?: string }>;
  [key: string]: unknown;
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

/** What a message says, by its type: the content type, its text, and what else it carries. */
interface Content {
  type: InboundContentType;
  text: string;
  extra?: Partial<InboundMessage>;
}

function parseMessage(
  m: WaMessage,
  senders: Map<string, WaSender>,
  to: string | undefined,
  now: Date,
): InboundMessage | undefined {
  const base = messageBase(m, senders, to, now);
  if (!base) return undefined;
  const type = m.type ?? 'unknown';
  if (type === 'edit') {
    const edited = parseEdit(m, senders, to, now);
    if (edited) return edited;
  }
  const content = contentReaders.get(type)?.(m) ?? unsupported(m, type);
  // A click-to-WhatsApp ad's details come with the first message after the click, whatever its type.
  const referral = m.referral && typeof m.referral === 'object' ? { referral: m.referral } : {};
  return {
    ...base,
    type: content.type,
    text: content.text,
    ...content.extra,
    ...(m.referral ? { payload: { ...(content.extra?.payload ?? {}), ...referral } } : {}),
  };
}

/** The fields every message has: its id, sender, recipient, reply context and time. */
function messageBase(m: WaMessage, senders: Map<string, WaSender>, to: string | undefined, now: Date) {
  if (typeof m.id !== 'string') return undefined;
  // The sender: the phone (`from`, or the contact's wa_id), else the business-scoped user id of a
  // username-only sender (Meta leaves the phone out then).
  const sender =
    (m.from ? senders.get(m.from) : undefined) ??
    (m.from_user_id ? senders.get(m.from_user_id) : undefined) ??
    (m.from_parent_user_id ? senders.get(m.from_parent_user_id) : undefined);
  // Meta leaves `from` out for a username-only sender and names them by `from_user_id` (and by
  // `from_parent_user_id` too when parent BSUIDs are on); a stray blank `from` counts as none.
  // A BSUID in `from` (seen from relays that fill `from` with whatever id they have) is no phone.
  const given = nonBlank(m.from);
  const phone = given && !isBusinessScopedUserId(given) ? given : undefined;
  const userId =
    nonBlank(m.from_user_id) ??
    sender?.userId ??
    nonBlank(m.from_parent_user_id) ??
    (given && !phone ? given : undefined);
  const from = phone ? fromWaId(phone) : userId;
  if (!from) return undefined;
  return {
    providerMessageId: m.id,
    from,
    ...(to ? { to } : {}),
    ...(sender?.profileName ? { profileName: sender.profileName } : {}),
    ...(userId ? { userId } : {}),
    ...(sender?.username ? { username: sender.username } : {}),
    ...(m.context?.id ? { replyToProviderId: m.context.id } : {}),
    timestamp: tsDate(m.timestamp, now),
  };
}

/** An edit: the new content, read as a message of its own, applied to the original. */
function parseEdit(
  m: WaMessage,
  senders: Map<string, WaSender>,
  to: string | undefined,
  now: Date,
): InboundMessage | undefined {
  const original = m.edit?.original_message_id;
  if (!original || !m.edit?.message) return undefined;
  const edited = parseMessage(
    {
      ...m.edit.message,
      id: m.id,
      from: m.from,
      from_user_id: m.from_user_id,
      from_parent_user_id: m.from_parent_user_id,
      timestamp: m.timestamp,
    },
    senders,
    to,
    now,
  );
  if (!edited) return undefined;
  return {
    ...edited,
    payload: { ...(edited.payload ?? {}), edit_of: original },
    edit: { originalProviderId: original },
  };
}

function mediaContent(m: WaMessage): Content {
  const type = m.type as InboundContentType;
  const media = (m[type] ?? {}) as {
    id?: string;
    mime_type?: string;
    caption?: string;
    filename?: string;
    link?: string;
    url?: string;
  };
  const url = media.url ?? media.link;
  return {
    type,
    text: media.caption ?? '',
    extra: {
      media: {
        ...(media.id ? { id: media.id } : {}),
        ...(url ? { url } : {}),
        ...(media.mime_type ? { mime_type: media.mime_type } : {}),
        ...(media.caption ? { caption: media.caption } : {}),
        ...(media.filename ? { filename: media.filename } : {}),
      },
    },
  };
}

function locationContent({ location: l }: WaMessage): Content | undefined {
  if (!l) return undefined;
  const label = [l.name, l.address].filter(Boolean).join(', ') || `${l.latitude},${l.longitude}`;
  return { type: 'location', text: label, extra: { payload: { ...l } } };
}

function contactsContent({ contacts }: WaMessage): Content | undefined {
  if (!Array.isArray(contacts)) return undefined;
  const names = contacts.map((c) => c.name?.formatted_name ?? c.phones?.[0]?.phone ?? 'contact');
  return { type: 'contacts', text: names.join(', '), extra: { payload: { contacts } } };
}

function buttonContent({ button }: WaMessage): Content | undefined {
  if (!button) return undefined;
  return {
    type: 'button',
    text: button.text ?? '',
    extra: { payload: { payload: button.payload ?? null, text: button.text ?? null } },
  };
}

/** A reply button or list row chosen, or a flow's answer (`nfm_reply`). */
function interactiveContent({ interactive: i }: WaMessage): Content | undefined {
  const reply = i?.button_reply ?? i?.list_reply;
  if (reply) {
    const payload = {
      kind: i?.type,
      id: reply.id ?? null,
      title: reply.title ?? null,
      ...(i?.list_reply?.description ? { description: i.list_reply.description } : {}),
    };
    return { type: 'interactive', text: reply.title ?? '', extra: { payload } };
  }
  if (i?.nfm_reply)
    return {
      type: 'interactive',
      text: i.nfm_reply.body ?? '',
      // A Flow's answer: `response_json` (a JSON string, with the flow_token) also kept parsed.
      extra: { payload: { kind: i.type, ...i.nfm_reply, response: parsedJson(i.nfm_reply.response_json) } },
    };
  return undefined;
}

function parsedJson(raw: unknown): unknown {
  if (typeof raw !== 'string') return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

function reactionContent({ reaction: r }: WaMessage): Content | undefined {
  if (!r) return undefined;
  return {
    type: 'reaction',
    text: r.emoji ?? '',
    extra: {
      payload: { message_id: r.message_id ?? null, emoji: r.emoji ?? null },
      ...(r.message_id ? { replyToProviderId: r.message_id } : {}),
    },
  };
}

/** Meta's order webhook: the catalog, the customer's note and each product with quantity and price. */
function orderContent({ order }: WaMessage): Content | undefined {
  if (!order) return undefined;
  const payload = {
    catalog_id: order.catalog_id ?? null,
    text: order.text ?? null,
    product_items: (order.product_items ?? []).map((i) => ({
      product_retailer_id: i.product_retailer_id ?? null,
      quantity: amount(i.quantity ?? 1),
      item_price: i.item_price === undefined ? null : amount(i.item_price),
      currency: i.currency ?? null,
    })),
  };
  return { type: 'order', text: orderSummary(order), extra: { payload } };
}

function systemContent({ system: s }: WaMessage): Content | undefined {
  if (!s) return undefined;
  const newWaId = s.wa_id ?? s.new_wa_id;
  // `user_changed_user_id`: Meta gave the user a new BSUID (`system.user_id`), no phone with it.
  const newUserId = s.type === 'user_changed_user_id' ? nonBlank(s.user_id) : undefined;
  return {
    type: 'system',
    text: s.body ?? '',
    extra: {
      payload: {
        system_type: s.type ?? null,
        ...(newWaId ? { new_wa_id: newWaId } : {}),
        ...(newUserId ? { new_user_id: newUserId } : {}),
      },
      ...(s.type === 'user_changed_number' && newWaId
        ? { numberChange: { newAddress: fromWaId(String(newWaId)) } }
        : {}),
      ...(newUserId ? { userIdChange: { newUserId } } : {}),
    },
  };
}

function revokeContent({ revoke }: WaMessage): Content | undefined {
  const original = revoke?.original_message_id;
  if (!original) return undefined;
  return {
    type: 'revoke',
    text: '',
    extra: { payload: { original_message_id: original }, revoke: { originalProviderId: original } },
  };
}

/** Unknown or unsupported types are kept (with Meta's explanation) rather than dropped. */
function unsupported(m: WaMessage, type: string): Content {
  const reason = m.errors?.[0];
  return {
    type: 'unsupported',
    text: '',
    extra: {
      payload: {
        original_type: type,
        ...(reason
          ? { error: { code: reason.code ?? null, title: reason.title ?? reason.message ?? null } }
          : {}),
      },
    },
  };
}

/** The reader of each message type Parley understands; a reader's `undefined` means the part is missing. */
const contentReaders = new Map<string, (m: WaMessage) => Content | undefined>([
  ['text', (m) => ({ type: 'text', text: m.text?.body ?? '' })],
  ...[...mediaTypes].map((t) => [t, mediaContent] as const),
  ['location', locationContent],
  ['contacts', contactsContent],
  ['button', buttonContent],
  ['interactive', interactiveContent],
  ['reaction', reactionContent],
  ['order', orderContent],
  ['system', systemContent],
  ['revoke', revokeContent],
]);

interface WaStatus {
  id?: string;
  status?: string;
  timestamp?: string;
  recipient_id?: string;
  errors?: Array<{ code?: number; title?: string; message?: string; error_data?: { details?: string } }>;
  pricing?: Record<string, unknown>;
  conversation?: { id?: unknown };
}

const stringOrNull = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, 64) : null);

/** Meta's `pricing` object of a status (and the CBP conversation id), or undefined without one. */
function pricingOf(s: WaStatus): ProviderPricing | undefined {
  const p = s.pricing;
  if (!p || typeof p !== 'object') return undefined;
  return {
    billable: typeof p.billable === 'boolean' ? p.billable : null,
    pricing_model: stringOrNull(p.pricing_model)?.toUpperCase() ?? null,
    category: stringOrNull(p.category)?.toLowerCase() ?? null,
    type: stringOrNull(p.type)?.toLowerCase() ?? null,
    conversation_id:
      s.conversation && typeof s.conversation === 'object' ? stringOrNull(s.conversation.id) : null,
  };
}

function parseStatus(s: WaStatus, now: Date): StatusUpdate | undefined {
  const status = s.status ? statusMap[s.status] : undefined;
  if (typeof s.id !== 'string' || !status) return undefined;
  const out: StatusUpdate = { providerMessageId: s.id, status, timestamp: tsDate(s.timestamp, now) };
  const pricing = pricingOf(s);
  if (pricing) out.pricing = pricing;
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

const templateEvents: Record<string, TemplateStatusNotice['status']> = {
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
export function parseMetaWebhook(
  body: unknown,
  phoneNumberId: string | undefined,
  now: Date,
  address?: string,
): InboundBatch {
  const batch: InboundBatch = { messages: [], statuses: [], notices: [] };
  for (const { field, value } of changesOf(body)) {
    if (field && HEALTH_FIELDS.has(field)) {
      const notice = healthNotice(field, value, address, now);
      if (notice) batch.health = [...(batch.health ?? []), notice];
    } else if (field === 'messages') readMessagesChange(value, phoneNumberId, now, batch);
    else if (field === 'message_template_status_update') {
      const notice = templateNotice(value);
      if (notice) batch.notices.push(notice);
    } else if (field === 'user_preferences')
      batch.notices.push(...preferenceNotices(value, phoneNumberId, now));
    else if (field === 'template_category_update' || field === 'message_template_quality_update') {
      const notice = templateChange(field, value);
      if (notice) batch.notices.push(notice);
    }
  }
  return batch;
}

/** Every change of every entry of the body that has an object for its value. */
function changesOf(body: unknown): Array<{ field: string | undefined; value: Record<string, any> }> {
  const entries = body && typeof body === 'object' ? (body as { entry?: unknown }).entry : undefined;
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry) => {
    const changes = (entry as { changes?: unknown })?.changes;
    if (!Array.isArray(changes)) return [];
    return changes.flatMap((change) => {
      const field = (change as { field?: string })?.field;
      const value = (change as { value?: Record<string, any> })?.value;
      return value && typeof value === 'object' ? [{ field, value }] : [];
    });
  });
}

/** A `messages` change: its messages and statuses, unless it belongs to another number. */
function readMessagesChange(
  value: Record<string, any>,
  phoneNumberId: string | undefined,
  now: Date,
  batch: InboundBatch,
): void {
  const meta = value.metadata as { phone_number_id?: string; display_phone_number?: string } | undefined;
  if (phoneNumberId && meta?.phone_number_id && meta.phone_number_id !== phoneNumberId) return;
  const to = meta?.display_phone_number ? fromWaId(meta.display_phone_number) : undefined;
  const senders = sendersOf(value.contacts);
  const messages: WaMessage[] = Array.isArray(value.messages) ? value.messages : [];
  const contacts: unknown[] = Array.isArray(value.contacts) ? value.contacts : [];
  for (const [i, m] of messages.entries()) {
    const parsed = parseMessage(namedSender(m, contacts, messages.length, i), senders, to, now);
    if (parsed) batch.messages.push(parsed);
  }
  for (const s of Array.isArray(value.statuses) ? value.statuses : []) {
    // India payments: a payment's state for an order_details message, not a delivery status.
    if (s && typeof s === 'object' && (s as { type?: unknown }).type === 'payment') {
      batch.notices.push(paymentNotice(s as Record<string, any>, now));
      continue;
    }
    const parsed = parseStatus(s as WaStatus, now);
    if (parsed) batch.statuses.push(parsed);
  }
}

/** A template review result; none for an event Parley does not track. */
function templateNotice(value: Record<string, any>): ProviderNotice | undefined {
  const status = templateEvents[String(value.event ?? '').toUpperCase()];
  if (!status || typeof value.message_template_name !== 'string') return undefined;
  const reason = typeof value.reason === 'string' && value.reason !== 'NONE' ? value.reason : undefined;
  return {
    kind: 'template_status',
    templateName: value.message_template_name,
    ...(typeof value.message_template_language === 'string'
      ? { language: value.message_template_language }
      : {}),
    status,
    ...(reason ? { reason } : {}),
  };
}

/**
 * Meta's `user_preferences` webhook: a user stopped (`stop`) or resumed (`resume`) marketing
 * messages (`category: marketing_messages`). Other categories and values are not consent changes.
 */
function preferenceNotices(
  value: Record<string, any>,
  phoneNumberId: string | undefined,
  now: Date,
): ProviderNotice[] {
  const meta = value.metadata as { phone_number_id?: string } | undefined;
  if (phoneNumberId && meta?.phone_number_id && meta.phone_number_id !== phoneNumberId) return [];
  const senders = sendersOf(value.contacts);
  const out: ProviderNotice[] = [];
  for (const p of Array.isArray(value.user_preferences) ? value.user_preferences : []) {
    const notice = preferenceNotice(p, senders, now);
    if (notice) out.push(notice);
  }
  return out;
}

/** One `user_preferences` entry: a marketing stop or resume, by phone or business-scoped user id. */
function preferenceNotice(p: any, senders: Map<string, WaSender>, now: Date): ProviderNotice | undefined {
  if (!p || typeof p !== 'object' || p.category !== 'marketing_messages') return undefined;
  const status = p.value === 'stop' ? 'revoked' : p.value === 'resume' ? 'granted' : undefined;
  if (!status) return undefined;
  const waId = nonBlank(p.wa_id);
  const sender =
    (waId ? senders.get(waId) : undefined) ?? (p.user_id ? senders.get(String(p.user_id)) : undefined);
  const phone = waId && !isBusinessScopedUserId(waId) ? fromWaId(waId) : undefined;
  const userId = nonBlank(p.user_id) ?? sender?.userId ?? (waId && !phone ? waId : undefined);
  if (!phone && !userId) return undefined;
  return {
    kind: 'consent',
    ...(phone ? { phone } : {}),
    ...(userId ? { userId } : {}),
    ...(sender?.profileName ? { profileName: sender.profileName } : {}),
    purpose: 'marketing',
    status,
    ...(typeof p.detail === 'string' ? { detail: p.detail.slice(0, 500) } : {}),
    timestamp: tsDate(p.timestamp, now),
  };
}

/**
 * Meta's `template_category_update` (`new_category`) and `message_template_quality_update`
 * (`new_quality_score`: GREEN, YELLOW, RED, UNKNOWN) webhooks.
 */
function templateChange(field: string, value: Record<string, any>): ProviderNotice | undefined {
  const name = nonBlank(value.message_template_name);
  if (!name) return undefined;
  const language = nonBlank(value.message_template_language);
  if (field === 'template_category_update') {
    const category = String(value.new_category ?? '').toLowerCase();
    if (category !== 'marketing' && category !== 'utility' && category !== 'authentication') return undefined;
    return { kind: 'template_change', templateName: name, ...(language ? { language } : {}), category };
  }
  const quality = nonBlank(value.new_quality_score)?.toLowerCase();
  if (!quality) return undefined;
  return { kind: 'template_change', templateName: name, ...(language ? { language } : {}), quality };
}
