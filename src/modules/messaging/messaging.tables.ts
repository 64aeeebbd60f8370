declare module '../../platform/db/schema.ts' {
  interface Database {
    messages: MessagesTable;
    templates: TemplatesTable;
    message_attachments: MessageAttachmentsTable;
    early_provider_statuses: EarlyProviderStatusesTable;
    payment_orders: PaymentOrdersTable;
    payment_updates: PaymentUpdatesTable;
  }
}

export type MessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface MessagesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  conversation_id: string;
  channel_id: string;
  direction: 'inbound' | 'outbound';
  sender_type: 'customer' | 'ai' | 'user' | 'api_key' | 'system' | 'rule' | 'automation';
  sender_id: string | null;
  type: string;
  text: string | null;
  /** JSON `{name, language, variables, rendered_body}` or null. */
  template: string | null;
  /** JSON `{url, caption?, filename?, mime_type?, id?}` or null. */
  media: string | null;
  /** JSON of the interactive content (buttons or list) or null. */
  interactive: string | null;
  to_address: string;
  from_address: string;
  status: MessageStatus;
  error_code: string | null;
  error_message: string | null;
  provider_message_id: string | null;
  reply_to_provider_id: string | null;
  created_at: string;
  updated_at: string;
  queued_at: string | null;
  sent_at: string | null;
  delivered_at: string | null;
  /** When the customer edited it (WhatsApp `edit`); optional on insert. */
  edited_at?: string | null;
  /** When the customer deleted it (WhatsApp `revoke`): its content is gone; optional on insert. */
  deleted_at?: string | null;
  read_at: string | null;
  failed_at: string | null;
  /**
   * When the send job handed this message to its provider (set before the call, committed on
   * its own); cleared when a retryable failure puts the message back in the queue. Internal.
   */
  send_started_at: string | null;
  /** JSON of the provider's pricing of this outbound message (Meta's `pricing` object on a status). Optional on insert. */
  pricing?: string | null;
  /** `pricing.category`, kept as a column to count by. Optional on insert. */
  pricing_category?: string | null;
  /** `pricing.billable` (1, 0, or null when the provider did not say). Optional on insert. */
  pricing_billable?: number | null;
  /** `pricing.pricing_model` (`PMP`, `CBP`). Optional on insert. */
  pricing_model?: string | null;
  /** The recipient's country (ISO 3166 alpha-2, from the phone number): the market of Meta's rate card. Optional on insert. */
  pricing_market?: string | null;
  /** Meta's conversation id under conversation-based pricing (one charge per conversation). Optional on insert. */
  pricing_conversation_id?: string | null;
}

export type MessageRow = MessagesTable;

export type TemplateStatus = 'pending' | 'approved' | 'rejected' | 'paused';

export interface TemplatesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  name: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  body: string;
  /** JSON `{type: 'text', text}` or null. */
  header: string | null;
  /** JSON array of buttons or null. */
  buttons: string | null;
  footer: string | null;
  /** JSON `{header?, body?, buttons?: [{index, value}]}`: sample values for Meta's review, or null. */
  examples: string | null;
  status: TemplateStatus;
  status_reason: string | null;
  /** Meta's id of the template (set by template sync). Optional on insert. */
  provider_template_id?: string | null;
  /** Meta's quality rating: green, yellow, red or unknown. Optional on insert. */
  quality?: string | null;
  /** When template sync last read it from the provider. Optional on insert. */
  synced_at?: string | null;
  created_at: string;
  updated_at: string;
}

export type TemplateRow = TemplatesTable;

export interface MessageAttachmentsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  message_id: string;
  position: number;
  filename: string | null;
  mime_type: string;
  size: number;
  content_id: string | null;
  content_base64: string;
  created_at: string;
}

export interface EarlyProviderStatusesTable {
  id: string;
  channel_id: string;
  provider_message_id: string;
  status: 'sent' | 'delivered' | 'read' | 'failed';
  at: string;
  error_code: string | null;
  error_message: string | null;
  received_at: string;
  /** JSON of the status's pricing, applied with it. Optional on insert. */
  pricing?: string | null;
}

export type PaymentStatus = 'pending' | 'captured' | 'failed';

/** An India payments order sent with an `order_details` message, and where its payment stands. */
export interface PaymentOrdersTable {
  id: string;
  workspace_id: string;
  livemode: number;
  channel_id: string;
  conversation_id: string;
  contact_id: string;
  /** The `order_details` message. */
  message_id: string;
  /** The business's id of the order (unique per workspace and mode); Meta's webhooks name it. */
  reference_id: string;
  /** The payment: pending until Meta says captured or failed. */
  payment_status: PaymentStatus;
  /** The order's state the business last told the customer (`order_status`). */
  order_status: string;
  currency: string;
  /** The total in paise (`total_value / total_offset` rupees). */
  total_value: number;
  total_offset: number;
  /** JSON of the latest transaction Meta reported (id, gateway, method, status, error), or null. */
  transaction: string | null;
  paid_at: string | null;
  created_at: string;
  updated_at: string;
}

/** Every payment status webhook as it came, matched to its order or not (an unknown reference). */
export interface PaymentUpdatesTable {
  id: string;
  workspace_id: string;
  livemode: number;
  channel_id: string;
  reference_id: string | null;
  /** Null when no order of this workspace has the reference: kept as a raw event. */
  order_id: string | null;
  status: string;
  /** JSON of the webhook's status entry as Meta sent it. */
  raw: string;
  received_at: string;
}
