import { createHmac } from 'node:crypto';
import { safeEqual } from '../../../platform/crypto.ts';
import {
  ChannelSendError,
  type InboundBatch,
  type InboundContentType,
  type InboundMessage,
  type OutboundMessage,
  type ProviderNotice,
  type ProviderStatus,
  type StatusUpdate,
} from '../channel-adapter.ts';

/**
 * Meta's WhatsApp Cloud API wire format: request bodies for `POST /{phone_number_id}/messages`,
 * the webhook payloads (`messages`, `statuses`, `message_template_status_update`), the
 * `X-Hub-Signature-256` check and the mapping of Graph error codes. Pure functions only.
 */

/** `sha256=<hex HMAC-SHA256 of the raw body keyed by the app secret>`, compared in constant time. */
export function verifyMetaSignature(
  rawBody: Buffer,
  header: string | string[] | undefined,
  appSecret: string,
): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value || !appSecret || !value.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest('hex');
  return safeEqual(value.slice('sha256='.length).toLowerCase(), expected);
}

export function signMetaPayload(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Meta addresses users by their WhatsApp id: the E.164 number without `+`. */
export const toWaId = (e164: string) => e164.replace(/^\+/, '');
export const fromWaId = (waId: string) => (waId.startsWith('+') ? waId : `+${waId}`);

type GraphComponent = {
  type: string;
  sub_type?: string;
  index?: string;
  parameters: Array<Record<string, unknown>>;
};

/** The JSON body of `POST /{version}/{phone_number_id}/messages` for a provider-neutral message. */
export function buildSendBody(message: OutboundMessage): Record<string, unknown> {
  const body: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    // A customer known only by their business-scoped user id is addressed with `recipient`.
    ...(isBusinessScopedUserId(message.to) ? { recipient: message.to } : { to: toWaId(message.to) }),
    type: message.type,
  };
  if (message.replyToProviderId) body.context = { message_id: message.replyToProviderId };
  switch (message.type) {
    case 'text': {
      if (!message.text) throw new ChannelSendError('validation_failed', 'A text message needs text.');
      body.text = { body: message.text, preview_url: /https?:\/\//.test(message.text) };
      break;
    }
    case 'template': {
      const t = message.template;
      if (!t) throw new ChannelSendError('validation_failed', 'A template message needs a template.');
      const components: GraphComponent[] = [];
      if (t.headerMedia) {
        // Meta's media header parameter: {type: image|video|document, <type>: {link, filename?}}.
        const { type, url, filename } = t.headerMedia;
        components.push({
          type: 'header',
          parameters: [
            { type, [type]: { link: url, ...(type === 'document' && filename ? { filename } : {}) } },
          ],
        });
      } else if (t.headerNamedParameters && Object.keys(t.headerNamedParameters).length > 0) {
        components.push({
          type: 'header',
          parameters: Object.entries(t.headerNamedParameters).map(([name, text]) => ({
            type: 'text',
            parameter_name: name,
            text,
          })),
        });
      } else if (t.headerParameters?.length) {
        components.push({
          type: 'header',
          parameters: t.headerParameters.map((text) => ({ type: 'text', text })),
        });
      }
      if (t.namedParameters && Object.keys(t.namedParameters).length > 0) {
        components.push({
          type: 'body',
          parameters: Object.entries(t.namedParameters).map(([name, text]) => ({
            type: 'text',
            parameter_name: name,
            text,
          })),
        });
      } else if (t.bodyParameters.length > 0) {
        components.push({
          type: 'body',
          parameters: t.bodyParameters.map((text) => ({ type: 'text', text })),
        });
      }
      for (const b of t.buttonParameters ?? []) {
        // A url button's parameter is the end of its URL (Meta appends it to the template's URL).
        components.push({
          type: 'button',
          sub_type: b.subType,
          index: String(b.index),
          parameters: [{ type: 'text', text: b.text }],
        });
      }
      body.template = {
        name: t.name,
        language: { code: t.language, policy: 'deterministic' },
        ...(components.length ? { components } : {}),
      };
      break;
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document': {
      const m = message.media;
      if (!m?.url)
        throw new ChannelSendError('validation_failed', `A ${message.type} message needs a media url.`);
      const media: Record<string, unknown> = { link: m.url };
      // Audio takes no caption on WhatsApp; documents also carry a file name.
      if (m.caption && message.type !== 'audio') media.caption = m.caption;
      if (message.type === 'document' && m.filename) media.filename = m.filename;
      body[message.type] = media;
      break;
    }
    case 'interactive': {
      const i = message.interactive;
      if (!i) throw new ChannelSendError('validation_failed', 'An interactive message needs its content.');
      const interactive: Record<string, unknown> = { type: i.kind, body: { text: i.body } };
      if (i.header) interactive.header = { type: 'text', text: i.header };
      if (i.footer) interactive.footer = { text: i.footer };
      if (i.kind === 'button') {
        const buttons = i.buttons ?? [];
        if (buttons.length < 1 || buttons.length > 3) {
          throw new ChannelSendError('validation_failed', 'Interactive button messages take 1 to 3 buttons.');
        }
        interactive.action = {
          buttons: buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })),
        };
      } else {
        if (!i.list || i.list.sections.length === 0) {
          throw new ChannelSendError(
            'validation_failed',
            'Interactive list messages need at least one section.',
          );
        }
        interactive.action = {
          button: i.list.button,
          sections: i.list.sections.map((s) => ({
            ...(s.title ? { title: s.title } : {}),
            rows: s.rows.map((r) => ({
              id: r.id,
              title: r.title,
              ...(r.description ? { description: r.description } : {}),
            })),
          })),
        };
      }
      body.interactive = interactive;
      break;
    }
  }
  return body;
}

export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { details?: string };
  fbtrace_id?: string;
}

/**
 * Maps a Graph API error to a send failure. Throughput and pair-rate limits, temporary
 * outages and 5xx answers are retried by the send job; everything else fails the message at once.
 */
export function mapGraphError(httpStatus: number, error: GraphError | undefined): ChannelSendError {
  const code = error?.code;
  const detail = error?.error_data?.details ?? error?.message ?? `HTTP ${httpStatus}`;
  const providerCode = code === undefined ? `http_${httpStatus}` : String(code);
  const fail = (parleyCode: string, message: string, retryable = false, retryAfterMs?: number) =>
    new ChannelSendError(parleyCode, `${message} (Meta ${providerCode}: ${detail})`, {
      retryable,
      providerCode,
      retryAfterMs,
    });
  switch (code) {
    case 131047:
      return fail(
        'whatsapp_outside_24h_window',
        'More than 24 hours since the customer last wrote; send an approved template.',
      );
    case 131026:
      return fail(
        'whatsapp_undeliverable',
        'The message could not be delivered to this number (not on WhatsApp, or an old app).',
      );
    case 130429:
      return fail('whatsapp_rate_limited', "The number's throughput limit was hit.", true, 1000);
    case 131056:
      return fail(
        'whatsapp_pair_rate_limited',
        'Too many messages to this customer in a short time.',
        true,
        6000,
      );
    case 131048:
      return fail(
        'whatsapp_spam_rate_limited',
        'Meta limited sends from this number for spam reports.',
        true,
        60_000,
      );
    case 80007:
    case 4:
      return fail(
        'whatsapp_rate_limited',
        "The business account's API call rate limit was hit.",
        true,
        60_000,
      );
    case 132000:
    case 132012:
      return fail('template_not_approved', 'The template parameters do not match the template.');
    case 132001:
      return fail(
        'template_not_approved',
        'The template does not exist in this language, or is not approved.',
      );
    case 132015:
    case 132016:
      return fail('template_not_approved', 'The template is paused or disabled.');
    case 131050:
      return fail('contact_opted_out', 'The customer stopped marketing messages from this business.');
    case 131049:
      return fail(
        'whatsapp_not_delivered',
        'Meta chose not to deliver this marketing message to keep engagement healthy.',
      );
    case 131051:
      return fail('validation_failed', 'WhatsApp does not support this message type.');
    case 131052:
    case 131053:
      return fail('whatsapp_media_error', 'The media could not be downloaded or uploaded; check the url.');
    case 131008:
    case 131009:
    case 100:
      return fail('validation_failed', 'Meta rejected a parameter of the message.');
    case 131021:
      return fail('validation_failed', 'The recipient is the sending number itself.');
    case 190:
    case 0:
    case 10:
    case 3:
      return fail('channel_not_configured', 'The access token is invalid, expired or lacks permission.');
    case 133010:
    case 131031:
    case 131042:
    case 368:
      return fail(
        'channel_not_configured',
        'The WhatsApp number or account cannot send right now (registration, lock, payment or policy).',
      );
    case 131000:
    case 131016:
    case 1:
    case 2:
      return fail('provider_error', 'Meta had a temporary problem.', true);
  }
  if (httpStatus === 429) return fail('whatsapp_rate_limited', 'Meta asked us to slow down.', true, 1000);
  if (httpStatus >= 500) return fail('provider_error', 'Meta answered with a server error.', true);
  return fail('provider_error', 'Meta refused the message.');
}

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

/** A business-scoped user id: a two-letter country code, a dot, then letters and digits (`US.13491208655302741918`, `US.ENT.118...`). */
export const isBusinessScopedUserId = (value: string) => /^[A-Z]{2}\.[A-Za-z0-9.]+$/.test(value);

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

type Values = string[] | Record<string, string | number>;

export interface TemplateDefinition {
  name: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  body: string;
  /** A text header's text. */
  header?: string | null;
  /** A media header (its sample is `examples.header_handle`). */
  headerFormat?: 'IMAGE' | 'VIDEO' | 'DOCUMENT';
  footer?: string | null;
  buttons?: Array<{ type?: string; text: string; url?: string; phone_number?: string }> | null;
  /** Sample values the caller gave (Meta requires one for every placeholder to review a template). */
  examples?: {
    header?: Values;
    body?: Values;
    buttons?: Array<{ index: number; value: string }>;
    header_handle?: string;
  } | null;
}

const placeholdersOf = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]);

/** The caller's sample for each placeholder (by name or position), a made-up one only as a last resort. */
function samplesFor(names: string[], given: Values | undefined): string[] {
  return names.map((name, i) => {
    const v = Array.isArray(given) ? (given[Number(name) - 1] ?? given[i]) : given?.[name];
    return v === undefined || String(v).trim() === '' ? `sample_${name}` : String(v);
  });
}

/**
 * The body of `POST /{waba_id}/message_templates`: every component with the examples Meta's
 * review requires (header and body samples, the full sample URL of a url button with a
 * placeholder), and `parameter_format: "NAMED"` with named samples for `{{first_name}}` templates.
 */
export function buildTemplateSubmission(t: TemplateDefinition): Record<string, unknown> {
  const components: Array<Record<string, unknown>> = [];
  const bodyVars = placeholdersOf(t.body);
  const named =
    bodyVars.some((v) => !/^\d+$/.test(v)) ||
    (t.header ? placeholdersOf(t.header) : []).some((v) => !/^\d+$/.test(v));
  const examples = t.examples ?? {};
  if (t.headerFormat) {
    // Meta reviews a media header on a sample file uploaded with its Resumable Upload API.
    components.push({
      type: 'HEADER',
      format: t.headerFormat,
      ...(examples.header_handle ? { example: { header_handle: [examples.header_handle] } } : {}),
    });
  } else if (t.header) {
    const vars = placeholdersOf(t.header);
    const header: Record<string, unknown> = { type: 'HEADER', format: 'TEXT', text: t.header };
    if (vars.length) {
      const samples = samplesFor(vars, examples.header ?? (named ? examples.body : undefined));
      header.example = named
        ? { header_text_named_params: vars.map((v, i) => ({ param_name: v, example: samples[i] })) }
        : { header_text: samples };
    }
    components.push(header);
  }
  const bodyComponent: Record<string, unknown> = { type: 'BODY', text: t.body };
  if (bodyVars.length > 0) {
    const samples = samplesFor(bodyVars, examples.body);
    bodyComponent.example = named
      ? { body_text_named_params: bodyVars.map((v, i) => ({ param_name: v, example: samples[i] })) }
      : { body_text: [samples] };
  }
  components.push(bodyComponent);
  if (t.footer) components.push({ type: 'FOOTER', text: t.footer });
  if (t.buttons?.length) {
    components.push({
      type: 'BUTTONS',
      buttons: t.buttons.map((b, index) => {
        const type = (
          b.type ?? (b.url ? 'URL' : b.phone_number ? 'PHONE_NUMBER' : 'QUICK_REPLY')
        ).toUpperCase();
        const urlVars = b.url ? placeholdersOf(b.url) : [];
        const sample = examples.buttons?.find((e) => e.index === index)?.value ?? 'sample';
        return {
          type,
          text: b.text,
          ...(b.url ? { url: b.url } : {}),
          // Meta wants the whole sample URL, the placeholder filled.
          ...(b.url && urlVars.length
            ? {
                example: [
                  /^https?:\/\//.test(sample) ? sample : b.url.replace(/\{\{\s*[\w.]+\s*\}\}/, sample),
                ],
              }
            : {}),
          ...(b.phone_number ? { phone_number: b.phone_number } : {}),
        };
      }),
    });
  }
  return {
    name: t.name,
    language: t.language,
    category: t.category.toUpperCase(),
    ...(named ? { parameter_format: 'NAMED' } : {}),
    components,
  };
}
