import { z } from 'zod';
import { describe } from '../../platform/http/schemas.ts';
import { orderStatuses } from '../channels/index.ts';

/**
 * The parts of WhatsApp's richer interactive messages in `interactive` (cta_url, flow, product,
 * product_list, catalog_message, order_details, order_status). The zod bounds stop absurd input;
 * Meta's own limits are checked with field-named messages in interactive-rules.ts.
 */

const amount = (d: string, value: number) =>
  describe(
    z.strictObject({
      value: describe(
        z.number().int().min(0).max(2_000_000_000),
        'The amount in paise (value / offset rupees).',
        value,
      ),
      offset: describe(z.number().int(), 'Always 100 (Meta: the amount is value / offset).', 100),
      description: describe(z.string().min(1).max(60), 'A note shown with it.', 'GST 18%').optional(),
    }),
    d,
  );

const retailerId = (d: string) => describe(z.string().min(1).max(100), d, 'SKU-1042');
const catalogId = describe(
  z.string().regex(/^\d{1,30}$/),
  "The catalogue's id in Commerce Manager (connected to the WhatsApp Business Account).",
  '1537239800415566',
);

export const richInteractiveFields = {
  cta_url: describe(
    z.strictObject({
      display_text: describe(
        z.string().min(1).max(200),
        'Button label (at most 20 characters).',
        'See dates',
      ),
      url: describe(
        z.string().min(1).max(2000),
        'The http(s) URL the button opens.',
        'https://example.com/dates',
      ),
    }),
    'A button that opens a URL (type cta_url).',
  ).optional(),
  flow: describe(
    z.strictObject({
      flow_id: describe(
        z.string().regex(/^\d{1,30}$/),
        "The published (or draft, with mode draft) Flow's id.",
        '1211462153575982',
      ),
      flow_token: describe(
        z.string().min(1).max(1000),
        'Echoed back in the reply (`nfm_reply`) so you can tell whose answer it is (Meta default: `unused`).',
        'booking-ct_01JD5Z8Q4X',
      ).optional(),
      flow_cta: describe(
        z.string().min(1).max(200),
        'The button that opens the Flow (at most 20 characters, no emoji).',
        'Book now',
      ),
      flow_action: describe(
        z.enum(['navigate', 'data_exchange']),
        '`navigate` opens `screen` with `data` (default); `data_exchange` asks your Flow endpoint for the first screen.',
        'navigate',
      ).optional(),
      screen: describe(
        z.string().min(1).max(200),
        'The first screen (navigate only; required then).',
        'APPOINTMENT',
      ).optional(),
      data: describe(
        z.record(z.string(), z.unknown()),
        "The first screen's data (navigate only; not empty when given).",
        { service: 'haircut' },
      ).optional(),
      mode: describe(
        z.enum(['draft', 'published']),
        'Send a draft Flow for testing (default published).',
        'published',
      ).optional(),
    }),
    'A WhatsApp Flow to open (type flow).',
  ).optional(),
  product: describe(
    z.strictObject({
      catalog_id: catalogId,
      product_retailer_id: retailerId('The product (its content id in the catalogue).'),
    }),
    'One product of the catalogue (type product).',
  ).optional(),
  product_list: describe(
    z.strictObject({
      catalog_id: catalogId,
      sections: describe(
        z
          .array(
            z.strictObject({
              title: describe(
                z.string().min(1).max(200),
                'Section title (at most 24 characters).',
                'Shampoos',
              ),
              product_retailer_ids: describe(
                z.array(retailerId('A product of the catalogue.')).max(100),
                'The products of the section.',
                ['SKU-1042', 'SKU-1043'],
              ),
            }),
          )
          .max(50),
        'Up to 10 sections, 30 products in all.',
      ),
    }),
    'Several products of the catalogue (type product_list; needs a text `header`).',
  ).optional(),
  catalog_message: describe(
    z.strictObject({
      thumbnail_product_retailer_id: retailerId(
        'The product whose image is the thumbnail (default: the first).',
      ).optional(),
    }),
    "The business's whole catalogue (type catalog_message).",
  ).optional(),
  order_details: describe(
    z.strictObject({
      reference_id: describe(
        z.string().min(1).max(200),
        "The order's id, unique in the workspace (at most 35 characters: letters, digits, _ - .); payment webhooks name it.",
        'ORD-2026-00042',
      ),
      type: describe(z.enum(['digital-goods', 'physical-goods']), 'What is sold.', 'physical-goods'),
      currency: describe(z.enum(['INR']), 'Payments on WhatsApp are in rupees (India).', 'INR'),
      payment_configuration: describe(
        z.string().min(1).max(100),
        'The name of the payment configuration made in WhatsApp Manager (linking your gateway).',
        'glow-salon-razorpay',
      ),
      payment_gateway: describe(
        z.enum(['razorpay', 'payu', 'billdesk', 'zaakpay']),
        "That configuration's payment gateway.",
        'razorpay',
      ),
      total_amount: amount('subtotal + tax + shipping - discount.', 21000),
      items: describe(
        z
          .array(
            z.strictObject({
              retailer_id: retailerId('Your id of the item.'),
              name: describe(
                z.string().min(1).max(200),
                'Shown to the customer (at most 60 characters).',
                'Argan shampoo 250 ml',
              ),
              amount: amount('Price of one.', 20000),
              sale_amount: amount('Discounted price of one (less than amount).', 18000).optional(),
              quantity: describe(z.number().int().min(1).max(10_000), 'How many.', 1),
            }),
          )
          .min(1)
          .max(999),
        'The items of the order.',
      ),
      subtotal: amount("The items' total.", 20000),
      tax: amount('Tax.', 1000),
      shipping: amount('Shipping.', 0).optional(),
      discount: amount('Discount.', 0).optional(),
      catalog_id: catalogId.optional(),
      expiration: describe(
        z.strictObject({
          timestamp: describe(
            z.number().int().min(0),
            'When it can no longer be paid (seconds since the epoch).',
            1767225600,
          ),
          description: describe(z.string().min(1).max(120), 'Shown to the customer.', 'Pay within a day'),
        }),
        'When the order expires.',
      ).optional(),
    }),
    'India payments: an order to review and pay (type order_details). Creates a payment order (`GET /v1/payment-orders/{id}`); payment webhooks update it.',
  ).optional(),
  order_status: describe(
    z.strictObject({
      reference_id: describe(
        z.string().min(1).max(200),
        'An order sent before with order_details.',
        'ORD-2026-00042',
      ),
      status: describe(z.enum(orderStatuses), "The order's new state.", 'shipped'),
      description: describe(
        z.string().min(1).max(500),
        'A note (at most 120 characters).',
        'On its way with BlueDart',
      ).optional(),
    }),
    "India payments: tells the customer the order's new state (type order_status).",
  ).optional(),
};
