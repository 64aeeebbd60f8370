/**
 * The seam between Parley and a messaging provider. Each provider (the sandbox, Meta's WhatsApp
 * Cloud API, Twilio SMS, SMTP email) implements `ChannelAdapter`; nothing outside an adapter
 * speaks a provider's protocol, and no adapter imports another adapter or a route.
 *
 * Outbound: the messaging module's send job calls `send` with a provider-neutral message.
 * Inbound: the provider-facing route (`/hooks/...`) calls `verifyInbound` on the raw request,
 * then `parseInbound`, and hands the result to the messaging module's ingest functions.
 */

import type { AppContext } from '../../platform/context.ts';
import type { AnyRoute } from '../../platform/http/route.ts';
import type { RichInteractiveParts } from './interactive-parts.ts';
import type { ChannelType, InteractiveKind, OutboundType, ProviderName } from './kinds.ts';

export type { ChannelType, InteractiveKind, OutboundType, ProviderName };

/** A channel row as adapters see it, credentials already decrypted. */
export interface ChannelConfig {
  id: string;
  workspaceId: string;
  livemode: boolean;
  type: ChannelType;
  provider: ProviderName;
  /** The channel's own number (E.164) or email address. */
  address: string;
  /** Provider credentials (meta: phone_number_id, business_account_id, access_token, app_secret, verify_token; twilio: account_sid, auth_token; smtp: host, port, username, password, from). */
  credentials: Record<string, string>;
  /** Provider-specific settings that are not secret (e.g. messages_per_second). */
  settings: Record<string, unknown>;
}

export interface OutboundMedia {
  /** A public URL of the file, when it was sent by URL. */
  url?: string;
  caption?: string;
  filename?: string;
  /** A file uploaded to Parley (POST /v1/media), sent by its bytes (WhatsApp uploads it to Meta first). */
  file?: ProviderFile & { sha256: string };
  /** The provider's id for the uploaded file (set by the adapter once uploaded). */
  providerId?: string;
}

export interface OutboundTemplate {
  name: string;
  language: string;
  /** Body text with variables filled in (for channels without native templates, and for the record). */
  renderedBody: string;
  /** Positional parameters for the body, in order ({{1}}, {{2}} ...). */
  bodyParameters: string[];
  /** Named parameters when the template uses {{name}} placeholders. */
  namedParameters?: Record<string, string>;
  headerParameters?: string[];
  /** The header's value by name, when the template uses `{{name}}` placeholders. */
  headerNamedParameters?: Record<string, string>;
  /** The file of an image, video or document header. */
  headerMedia?: {
    type: 'image' | 'video' | 'document';
    url: string;
    filename?: string;
    /** A file uploaded to Parley, sent by its bytes. */
    file?: ProviderFile & { sha256: string };
    providerId?: string;
  };
  /** Values for url buttons' placeholders, by the button's position in the template. */
  buttonParameters?: Array<{ index: number; subType: 'url'; text: string }>;
}

/** An interactive message's parts, as the API takes them and as adapters send them. */
export interface InteractiveParts extends RichInteractiveParts {
  /** Body text ('' for a product message without one). */
  body: string;
  header?: string;
  footer?: string;
  /** For `button`: up to 3 reply buttons. */
  buttons?: Array<{ id: string; title: string }>;
  /** For `list`: the button label and sections of rows. */
  list?: {
    button: string;
    sections: Array<{ title?: string; rows: Array<{ id: string; title: string; description?: string }> }>;
  };
}

export interface OutboundInteractive extends InteractiveParts {
  kind: InteractiveKind;
}

export interface OutboundMessage {
  /** Parley's message id (`msg_...`), for idempotent sends and threading. */
  id: string;
  /** Recipient: E.164 phone, or email address for email. */
  to: string;
  type: OutboundType;
  text?: string;
  template?: OutboundTemplate;
  media?: OutboundMedia;
  interactive?: OutboundInteractive;
  /** Provider message id of the message this one replies to (WhatsApp context, email In-Reply-To). */
  replyToProviderId?: string;
  /** Email subject (email only). */
  subject?: string;
  /** Email only: the thread's earlier Message-IDs, oldest first, for the References header. */
  references?: string[];
  /**
   * Messenger and Instagram only: a person's reply after the 24-hour window, sent with Meta's
   * `HUMAN_AGENT` tag (never set for the AI, API keys or automations).
   */
  humanAgent?: boolean;
}

/** A file fetched from a provider (a customer's media). */
export interface ProviderFile {
  content: Buffer;
  mimeType: string;
  filename?: string;
}

export interface SendResult {
  providerMessageId: string;
}

/**
 * A send failure. `retryable` failures (rate limits, 5xx, timeouts) are retried with backoff by
 * the send job; the others mark the message `failed` with `code` (a Parley error code or a
 * provider-specific one such as `whatsapp_undeliverable`) at once.
 */
export class ChannelSendError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly providerCode: string | undefined;
  /** When the provider asked to wait (ms). */
  readonly retryAfterMs: number | undefined;
  /** The recipient unsubscribed at the provider (Twilio 21610): the contact is marked opted out. */
  readonly recipientOptedOut: boolean;
  /**
   * The request may have reached the provider (it timed out or the connection broke after it
   * was sent): whether the message went out is unknown, so it is not sent again blindly.
   */
  readonly outcomeUnknown: boolean;
  constructor(
    code: string,
    message: string,
    opts: {
      retryable?: boolean;
      providerCode?: string;
      retryAfterMs?: number;
      recipientOptedOut?: boolean;
      outcomeUnknown?: boolean;
    } = {},
  ) {
    super(message);
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.providerCode = opts.providerCode;
    this.retryAfterMs = opts.retryAfterMs;
    this.recipientOptedOut = opts.recipientOptedOut ?? false;
    this.outcomeUnknown = opts.outcomeUnknown ?? false;
  }
}

export type InboundContentType =
  | 'text'
  | 'image'
  | 'document'
  | 'audio'
  | 'video'
  | 'sticker'
  | 'location'
  | 'contacts'
  | 'button'
  | 'interactive'
  | 'reaction'
  | 'email'
  | 'order'
  | 'system'
  | 'revoke'
  | 'unsupported';

/** A customer's message, as parsed from a provider's webhook. */
export interface InboundMessage {
  providerMessageId: string;
  /** Customer address: E.164 phone or email address. */
  from: string;
  /** The business address it was sent to (channel address), when the provider says. */
  to?: string;
  /** Customer's profile name, when the provider gives it. */
  profileName?: string;
  /**
   * WhatsApp's business-scoped user id (BSUID) of the sender, when Meta gives it. A username-only
   * sender has no phone: then `from` is this id too.
   */
  userId?: string;
  /**
   * The contact the channel already knows the sender as (the website widget's visitor, whose
   * `from` is an opaque visitor id): used as it is, never looked up by address.
   */
  contactId?: string;
  /** The sender's WhatsApp username, when they set one. */
  username?: string;
  /** The customer moved to a new number (WhatsApp `user_changed_number`): `from` is the old one. */
  numberChange?: { newAddress: string };
  /** Meta gave the customer a new business-scoped user id (WhatsApp `user_changed_user_id`). */
  userIdChange?: { newUserId: string };
  /** This is an edit of an earlier message of the customer's: its new content. */
  edit?: { originalProviderId: string };
  /** The customer deleted an earlier message. */
  revoke?: { originalProviderId: string };
  type: InboundContentType;
  /** Text content, or a readable rendering of the content (button title, location label, email body). */
  text: string;
  /** Media, location, contacts, reaction target... as the provider gave them (normalised keys). */
  media?: { id?: string; url?: string; mime_type?: string; caption?: string; filename?: string };
  payload?: Record<string, unknown>;
  /** Provider message id this message replies to. */
  replyToProviderId?: string;
  /** Email threading. */
  subject?: string;
  /** The provider's own opt-out verdict on this message (Twilio's `OptOutType`), over Parley's keyword list. */
  optOut?: 'opt_out' | 'opt_in';
  /** Files that came with the message (email attachments), kept with it and served by Parley. */
  attachments?: InboundAttachment[];
  timestamp: Date;
}

export interface InboundAttachment {
  filename: string | null;
  mimeType: string;
  content: Buffer;
  /** The MIME Content-ID, for images an HTML body shows inline. */
  contentId?: string;
}

export type ProviderStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface StatusUpdate {
  providerMessageId: string;
  status: ProviderStatus;
  timestamp: Date;
  error?: { code: string; message: string; providerCode?: string };
  /** The provider refused because the recipient unsubscribed (Twilio 21610): the contact is opted out. */
  recipientOptedOut?: boolean;
  /** What the provider says the message costs (Meta's `pricing` object on a status), as it came. */
  pricing?: ProviderPricing;
}

/**
 * Meta's `pricing` of a sent message: `billable`, `pricing_model` (`CBP` before July 2025, `PMP`
 * per message since), `category` (`marketing`, `utility`, `authentication`, `service`,
 * `referral_conversion`...) and, under PMP, `type` (`regular`, `free_customer_service`,
 * `free_entry_point`). `conversation_id` is the CBP conversation the message was billed in.
 */
export interface ProviderPricing {
  billable: boolean | null;
  pricing_model: string | null;
  category: string | null;
  type: string | null;
  conversation_id: string | null;
}

/** Other provider notifications (WhatsApp template review results, marketing preferences). */
export type ProviderNotice = TemplateStatusNotice | TemplateChangeNotice | ConsentNotice | PaymentNotice;

/**
 * A payment's new state for an order sent with `order_details` (WhatsApp Payments India: a
 * `statuses` entry of `type: "payment"`). Anything Meta sends is kept in `raw`.
 */
export interface PaymentNotice {
  kind: 'payment';
  /** The order's reference id; null when the webhook names none. */
  referenceId: string | null;
  /** Meta's payment status: `captured`, `pending`, `failed` (or one Parley does not know). */
  status: string;
  /** The customer's WhatsApp id, as Meta gives it. */
  recipientId?: string;
  transaction?: {
    id?: string;
    pg_transaction_id?: string;
    gateway?: string;
    status?: string;
    method?: string;
    error?: { code?: string; reason?: string };
  };
  amount?: { value: number; offset: number };
  currency?: string;
  raw: Record<string, unknown>;
  timestamp: Date;
}

/** A provider moved a template to another category, or rated its quality anew. */
export interface TemplateChangeNotice {
  kind: 'template_change';
  templateName: string;
  language?: string;
  category?: 'marketing' | 'utility' | 'authentication';
  quality?: string;
}

export interface TemplateStatusNotice {
  kind: 'template_status';
  templateName: string;
  language?: string;
  status: 'approved' | 'rejected' | 'paused' | 'pending';
  reason?: string;
}

/** A customer stopped or resumed a purpose at the provider (Meta's `user_preferences` webhook). */
export interface ConsentNotice {
  kind: 'consent';
  /** The customer's phone (E.164), when the provider gives it. */
  phone?: string;
  /** The customer's WhatsApp business-scoped user id, when given. */
  userId?: string;
  profileName?: string;
  purpose: 'marketing' | 'utility' | 'service';
  status: 'granted' | 'revoked';
  detail?: string;
  timestamp: Date;
}

export interface InboundBatch {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  notices: ProviderNotice[];
  /** The channel's account health as the provider reports it (WhatsApp quality, tier, name, bans); the channels module keeps it. */
  health?: AccountHealthNotice[];
}

/**
 * A provider's word on the account behind a channel (Meta's `phone_number_quality_update`,
 * `phone_number_name_update`, `account_update`, `business_capability_update` webhooks).
 */
export interface AccountHealthNotice {
  kind: 'account_health';
  /** The webhook field it came in. */
  field: string;
  /** Meta's event (e.g. `FLAGGED`, `UPGRADE`, `DISABLED_UPDATE`, `APPROVED`). */
  event: string;
  at: Date;
  /** Quality rating: GREEN, YELLOW, RED. */
  quality?: string;
  /** Messaging limit tier (TIER_250 ... TIER_UNLIMITED). */
  tier?: string;
  /** Display name review: APPROVED, PENDING, DEFERRED, REJECTED. */
  nameStatus?: string;
  verifiedName?: string;
  /** ACTIVE, DISABLE, SCHEDULE_FOR_DISABLE, DELETED. */
  accountStatus?: string;
  violation?: string;
  restrictions?: Array<{ type: string; expires?: string }>;
  reason?: string;
  /** The change's value as Meta sent it. */
  raw: Record<string, unknown>;
}

/** A template as a provider holds it (a WhatsApp Business Account's), in Parley's terms, for template sync. */
export interface ProviderTemplate {
  providerTemplateId: string;
  name: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  status: 'pending' | 'approved' | 'rejected' | 'paused';
  statusReason: string | null;
  /** Meta's quality rating: `green`, `yellow`, `red` or `unknown`. */
  quality: string | null;
  body: string;
  header: { type: 'text'; text: string } | { type: 'image' | 'video' | 'document' } | null;
  footer: string | null;
  buttons: Array<{
    type: 'quick_reply' | 'url' | 'phone_number' | 'otp';
    text: string;
    url?: string;
    phone_number?: string;
    /** An authentication template's OTP button: `copy_code`, `one_tap` or `zero_tap`. */
    otp_type?: string;
  }>;
  /** The samples Meta kept (`example.body_text`, `header_text`), as Parley's `examples`. */
  examples: { body?: string[] | Record<string, string>; header?: string[] | Record<string, string> } | null;
}

/** The raw request as the provider-facing route received it. */
export interface RawInbound {
  /** The exact bytes, for signature checks. */
  rawBody: Buffer;
  headers: Record<string, string | string[] | undefined>;
  /** The full public URL the provider called (Twilio signs it). */
  url: string;
  /** Parsed body (JSON or form fields). */
  body: unknown;
  /** The Content-Type as received (with its parameters, e.g. a multipart boundary). */
  contentType?: string;
}

export interface ChannelAdapter {
  readonly provider: ProviderName;
  send(channel: ChannelConfig, message: OutboundMessage): Promise<SendResult>;
  /** True when the request really comes from the provider (signature, token). Constant-time compares. */
  verifyInbound(channel: ChannelConfig, request: RawInbound): boolean;
  /** Parses a verified webhook into messages, statuses and notices. Unknown message types come back as `unsupported`. */
  parseInbound(channel: ChannelConfig, request: RawInbound): InboundBatch | Promise<InboundBatch>;
  /**
   * Pacing: how long (ms) this send must wait to stay within the provider's throughput for the
   * channel's number and per recipient; 0 to send now. The send job re-schedules a paced message
   * (it is never dropped, and a wait is not a failed attempt). Adapters without limits omit it.
   */
  reserveSendSlot?(channel: ChannelConfig, to: string, nowMs: number): number;
  /**
   * Downloads a customer's media with the channel's credentials (WhatsApp media id or URL,
   * Twilio MediaUrl). Throws ChannelSendError when the provider refuses or cannot be reached,
   * and `media_too_large` (before downloading when the provider says the size) over `maxBytes`.
   */
  fetchMedia?(
    channel: ChannelConfig,
    media: { id?: string; url?: string; mime_type?: string },
    limits?: { maxBytes?: number },
  ): Promise<ProviderFile>;
  /**
   * The customer's public profile by the provider's scoped id (Messenger's PSID, Instagram's
   * IGSID): their name and picture, or null when the provider has none to give. Throws
   * ChannelSendError when the provider refuses or cannot be reached.
   */
  lookupProfile?(channel: ChannelConfig, userId: string): Promise<ProviderProfile | null>;
  /**
   * Shows the customer that a reply is being written (WhatsApp's typing indicator, which also
   * marks their message read; Messenger's and Instagram's `typing_on`), for a reply that takes a
   * while (an LLM's). `address` is the thread's (PSID, IGSID, phone); `providerMessageId` the
   * customer's message being answered. Throws ChannelSendError when the provider refuses.
   */
  showTyping?(
    channel: ChannelConfig,
    to: { address: string; providerMessageId: string | null },
  ): Promise<void>;
  /** The path of the channel's webhook (`/hooks/<provider>/{id}`), for providers that say it themselves. */
  inboundPath?(channel: { id: string; type: ChannelType }): string;
  /** Credentials Parley makes for a new channel of this provider (a webhook secret), sealed with the others. */
  generateCredentials?(): Record<string, string>;
  /**
   * Points the provider at the channel's webhook (a bot API's `setWebhook`), when a channel is
   * created or its credentials change. Throws ChannelSendError when the provider refuses.
   */
  connect?(channel: ChannelConfig, inboundUrl: string): Promise<void>;
  /** Tells the provider to stop calling the webhook of a channel being deleted (best effort). */
  disconnect?(channel: ChannelConfig): Promise<void>;
}

/**
 * A provider that brings its adapter and its `/hooks/<provider>/...` routes from its own folder;
 * the providers module registers the list (`plugged`).
 */
export interface ProviderPlugin {
  adapter(ctx: AppContext): ChannelAdapter;
  routes: AnyRoute[];
}

/** A customer's profile as a provider gives it. */
export interface ProviderProfile {
  name: string | null;
  avatarUrl: string | null;
}

/**
 * Where channels hand inbound traffic (messages, delivery statuses, template verdicts). Channels sit
 * below messaging and never import it: this module declares the port, the messaging module
 * provides it (`ctx.ports.inboundReceiver`, src/platform/ports.ts).
 */
export interface InboundReceiver {
  /** Stores a verified batch of inbound messages and statuses (deduplicated by provider id). */
  ingest(channel: ChannelConfig, batch: InboundBatch): Promise<void>;
  /** Deletes statuses kept for messages that never arrived, older than `days`. */
  purgeEarlyStatuses(days: number): Promise<void>;
  /** Records a provider's review verdict on a template. */
  templateStatus(
    scope: { workspaceId: string; livemode: boolean },
    ref: { name: string; language?: string },
    status: 'approved' | 'rejected',
    reason?: string,
  ): Promise<void>;
  /** The address a message sent on this channel went to, by the provider's id for it (the messages table is messaging's). */
  sentTo(channelId: string, providerMessageId: string): Promise<string | undefined>;
  /**
   * Adopts a provider's templates as they are there (status, category, quality, language,
   * components): new ones are stored, known ones (same name and language) updated; nothing is
   * submitted for review again.
   */
  adoptTemplates(
    scope: { workspaceId: string; livemode: boolean },
    templates: ProviderTemplate[],
  ): Promise<{ created: number; updated: number; unchanged: number }>;
  /** A provider changed a template's category or quality rating (WhatsApp webhooks). */
  templateChanged(
    scope: { workspaceId: string; livemode: boolean },
    ref: { name: string; language?: string },
    change: { category?: 'marketing' | 'utility' | 'authentication'; quality?: string },
  ): Promise<void>;
  /** A template as stored (JSON columns as text), for submitting it to a provider's review. */
  template(
    scope: { workspaceId: string; livemode: boolean },
    id: string,
  ): Promise<StoredTemplate | undefined>;
}

/** A template as the messaging module stores it (JSON columns as text). */
export interface StoredTemplate {
  name: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  body: string;
  header: string | null;
  footer: string | null;
  buttons: string | null;
  examples: string | null;
  status: string;
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /** Where channels hand inbound traffic (provided by the messaging module). */
    inboundReceiver: InboundReceiver;
  }
}
