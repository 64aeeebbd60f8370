/**
 * WhatsApp's richer interactive messages, as the API takes them and as adapters send them
 * (Meta's Cloud API "interactive" object: cta_url, location_request_message, flow, product,
 * product_list, catalog_message, and India payments' order_details and order_status).
 */

/** A money amount as Meta's payments API writes it: `value / offset` (offset 100: paise). */
export interface PaymentAmount {
  value: number;
  offset: number;
  description?: string;
}

/** A button that opens a URL (`cta_url`). */
export interface CtaUrlPart {
  display_text: string;
  url: string;
}

/** A WhatsApp Flow to open (`flow`). */
export interface FlowPart {
  flow_id: string;
  /** Echoed back in the flow's reply (`nfm_reply`); Meta's default is `unused`. */
  flow_token?: string;
  /** The button that opens the flow. */
  flow_cta: string;
  flow_action?: 'navigate' | 'data_exchange';
  /** The first screen (navigate only). */
  screen?: string;
  /** The first screen's data (navigate only). */
  data?: Record<string, unknown>;
  mode?: 'draft' | 'published';
}

/** One product of the business's catalogue (`product`). */
export interface ProductPart {
  catalog_id: string;
  product_retailer_id: string;
}

/** Several products in sections (`product_list`). */
export interface ProductListPart {
  catalog_id: string;
  sections: Array<{ title: string; product_retailer_ids: string[] }>;
}

/** The whole catalogue (`catalog_message`), with the product shown as its thumbnail. */
export interface CatalogPart {
  thumbnail_product_retailer_id?: string;
}

export interface OrderItem {
  retailer_id: string;
  name: string;
  amount: PaymentAmount;
  sale_amount?: PaymentAmount;
  quantity: number;
}

/** India payments: an order to review and pay (`order_details`). */
export interface OrderDetailsPart {
  /** The order's id, unique per business: payment webhooks name it. */
  reference_id: string;
  type: 'digital-goods' | 'physical-goods';
  currency: 'INR';
  /** The payment configuration set up in WhatsApp Manager (its name). */
  payment_configuration: string;
  /** The gateway of that configuration. */
  payment_gateway: 'razorpay' | 'payu' | 'billdesk' | 'zaakpay';
  total_amount: PaymentAmount;
  items: OrderItem[];
  subtotal: PaymentAmount;
  tax: PaymentAmount;
  shipping?: PaymentAmount;
  discount?: PaymentAmount;
  catalog_id?: string;
  /** When the order can no longer be paid (seconds since the epoch). */
  expiration?: { timestamp: number; description: string };
}

export const orderStatuses = [
  'pending',
  'processing',
  'partially-shipped',
  'shipped',
  'completed',
  'canceled',
] as const;

/** India payments: the order's new state, told to the customer (`order_status`). */
export interface OrderStatusPart {
  reference_id: string;
  status: (typeof orderStatuses)[number];
  description?: string;
}

export interface RichInteractiveParts {
  cta_url?: CtaUrlPart;
  flow?: FlowPart;
  product?: ProductPart;
  product_list?: ProductListPart;
  catalog_message?: CatalogPart;
  order_details?: OrderDetailsPart;
  order_status?: OrderStatusPart;
}
