import type { FieldError } from '../../platform/errors.ts';
import type { InteractiveKind, OrderDetailsPart, PaymentAmount } from '../channels/index.ts';
import type { InteractiveInput } from './content.ts';

/**
 * Meta's documented limits of WhatsApp's richer interactive messages (Cloud API "interactive"
 * object; Payments API India for order_details and order_status), checked before Meta is asked
 * so that a bad message is a 400 naming its field rather than a failed send.
 */
export const RICH_LIMITS = {
  ctaDisplayText: 20,
  flowCta: 20,
  productListSections: 10,
  productListProducts: 30,
  productSectionTitle: 24,
  referenceId: 35,
  orderItemName: 60,
  orderStatusDescription: 120,
  /** Meta's payments amounts are in paise: `offset` is always 100. */
  amountOffset: 100,
} as const;

/** Each kind's own part (`interactive.<part>`), and what else it takes of the common fields. */
const shapes: Record<
  Exclude<InteractiveKind, 'button' | 'list'>,
  { part: keyof InteractiveInput | null; body: 'required' | 'optional'; header: boolean; footer: boolean }
> = {
  cta_url: { part: 'cta_url', body: 'required', header: true, footer: true },
  location_request_message: { part: null, body: 'required', header: false, footer: false },
  flow: { part: 'flow', body: 'required', header: true, footer: true },
  product: { part: 'product', body: 'optional', header: false, footer: true },
  product_list: { part: 'product_list', body: 'required', header: true, footer: true },
  catalog_message: { part: 'catalog_message', body: 'required', header: false, footer: true },
  order_details: { part: 'order_details', body: 'required', header: false, footer: true },
  order_status: { part: 'order_status', body: 'required', header: false, footer: true },
};

const richParts = [
  'cta_url',
  'flow',
  'product',
  'product_list',
  'catalog_message',
  'order_details',
  'order_status',
] as const;

const chars = (s: string): number => [...s].length;
const tooLong = (field: string, max: number): FieldError => ({
  field,
  message: `must be at most ${max} characters`,
});

/** The parts of other kinds given with this one, each an error (as `text` with `type: image`). */
export function strayParts(i: InteractiveInput): FieldError[] {
  const own = i.type === 'button' || i.type === 'list' ? null : shapes[i.type].part;
  const errors: FieldError[] = [];
  for (const p of richParts)
    if (p !== own && i[p] !== undefined)
      errors.push({ field: `interactive.${p}`, message: `is only used with interactive type ${p}` });
  return errors;
}

/** The rules of a cta_url, location request, flow, product, catalogue or payments message. */
export function checkRichInteractive(i: InteractiveInput): FieldError[] {
  if (i.type === 'button' || i.type === 'list') return [];
  const shape = shapes[i.type];
  const errors: FieldError[] = [];
  if (shape.body === 'required' && (i.body === undefined || i.body.trim() === ''))
    errors.push({ field: 'interactive.body', message: `is required for interactive type ${i.type}` });
  if (i.type === 'product_list' && i.header === undefined)
    errors.push({
      field: 'interactive.header',
      message: 'is required for a product_list (Meta requires a text header)',
    });
  else if (!shape.header && i.header !== undefined)
    errors.push({ field: 'interactive.header', message: `is not used with interactive type ${i.type}` });
  if (!shape.footer && i.footer !== undefined)
    errors.push({ field: 'interactive.footer', message: `is not used with interactive type ${i.type}` });
  if (i.buttons !== undefined)
    errors.push({ field: 'interactive.buttons', message: 'is only used with interactive type button' });
  if (i.list !== undefined)
    errors.push({ field: 'interactive.list', message: 'is only used with interactive type list' });
  if (shape.part && i[shape.part] === undefined) {
    errors.push({
      field: `interactive.${shape.part}`,
      message: `is required when interactive type is ${i.type}`,
    });
    return errors;
  }
  errors.push(...partRules[i.type](i));
  return errors;
}

const partRules: Record<
  Exclude<InteractiveKind, 'button' | 'list'>,
  (i: InteractiveInput) => FieldError[]
> = {
  cta_url: ({ cta_url: c }) => {
    const errors: FieldError[] = [];
    if (chars(c!.display_text) > RICH_LIMITS.ctaDisplayText)
      errors.push(tooLong('interactive.cta_url.display_text', RICH_LIMITS.ctaDisplayText));
    if (!/^https?:\/\/\S+$/i.test(c!.url))
      errors.push({ field: 'interactive.cta_url.url', message: 'must be an http(s) URL' });
    return errors;
  },
  location_request_message: () => [],
  flow: ({ flow: f }) => {
    const errors: FieldError[] = [];
    if (chars(f!.flow_cta) > RICH_LIMITS.flowCta)
      errors.push(tooLong('interactive.flow.flow_cta', RICH_LIMITS.flowCta));
    if (/\p{Extended_Pictographic}/u.test(f!.flow_cta))
      errors.push({
        field: 'interactive.flow.flow_cta',
        message: 'must not contain emoji (Meta refuses them here)',
      });
    const action = f!.flow_action ?? 'navigate';
    if (action === 'navigate' && !f!.screen)
      errors.push({
        field: 'interactive.flow.screen',
        message: 'is required when flow_action is navigate (the first screen)',
      });
    if (action === 'data_exchange' && (f!.screen !== undefined || f!.data !== undefined))
      errors.push({
        field: f!.screen !== undefined ? 'interactive.flow.screen' : 'interactive.flow.data',
        message: 'is not used with flow_action data_exchange (your endpoint gives the first screen)',
      });
    if (f!.data !== undefined && Object.keys(f!.data).length === 0)
      errors.push({
        field: 'interactive.flow.data',
        message: 'must not be empty when given (Meta refuses {})',
      });
    return errors;
  },
  product: () => [],
  product_list: ({ product_list: l }) => productListRules(l!),
  catalog_message: () => [],
  order_details: ({ order_details: o }) => orderDetailsRules(o!),
  order_status: ({ order_status: s }) => {
    const errors = referenceRules(s!.reference_id, 'interactive.order_status.reference_id');
    if (s!.description !== undefined && chars(s!.description) > RICH_LIMITS.orderStatusDescription)
      errors.push(tooLong('interactive.order_status.description', RICH_LIMITS.orderStatusDescription));
    return errors;
  },
};

function productListRules(l: NonNullable<InteractiveInput['product_list']>): FieldError[] {
  const errors: FieldError[] = [];
  const f = 'interactive.product_list.sections';
  if (l.sections.length < 1 || l.sections.length > RICH_LIMITS.productListSections)
    errors.push({ field: f, message: `must have 1 to ${RICH_LIMITS.productListSections} sections` });
  let products = 0;
  l.sections.forEach((s, n) => {
    if (chars(s.title) > RICH_LIMITS.productSectionTitle)
      errors.push(tooLong(`${f}.${n}.title`, RICH_LIMITS.productSectionTitle));
    if (s.product_retailer_ids.length === 0)
      errors.push({ field: `${f}.${n}.product_retailer_ids`, message: 'must name at least one product' });
    products += s.product_retailer_ids.length;
  });
  if (products > RICH_LIMITS.productListProducts)
    errors.push({
      field: f,
      message: `must have at most ${RICH_LIMITS.productListProducts} products in all (this has ${products})`,
    });
  return errors;
}

function referenceRules(reference: string, field: string): FieldError[] {
  if (chars(reference) > RICH_LIMITS.referenceId) return [tooLong(field, RICH_LIMITS.referenceId)];
  if (!/^[A-Za-z0-9_\-.]+$/.test(reference))
    return [{ field, message: 'may hold only letters, digits, _, - and .' }];
  return [];
}

const paise = (a: PaymentAmount | undefined) => a?.value ?? 0;

function amountRule(a: PaymentAmount | undefined, field: string): FieldError[] {
  if (a === undefined || a.offset === RICH_LIMITS.amountOffset) return [];
  return [
    { field: `${field}.offset`, message: 'must be 100 (amounts are in paise: value 21000 is ₹210.00)' },
  ];
}

/** The order's amounts add up as Meta checks them: items to subtotal, subtotal and the rest to total. */
function orderDetailsRules(o: OrderDetailsPart): FieldError[] {
  const f = 'interactive.order_details';
  const errors = referenceRules(o.reference_id, `${f}.reference_id`);
  for (const k of ['total_amount', 'subtotal', 'tax', 'shipping', 'discount'] as const)
    errors.push(...amountRule(o[k], `${f}.${k}`));
  let subtotal = 0;
  o.items.forEach((item, n) => {
    const field = `${f}.items.${n}`;
    if (chars(item.name) > RICH_LIMITS.orderItemName)
      errors.push(tooLong(`${field}.name`, RICH_LIMITS.orderItemName));
    errors.push(
      ...amountRule(item.amount, `${field}.amount`),
      ...amountRule(item.sale_amount, `${field}.sale_amount`),
    );
    if (item.sale_amount && item.sale_amount.value >= item.amount.value)
      errors.push({
        field: `${field}.sale_amount`,
        message: 'must be less than amount (it is the discounted price)',
      });
    subtotal += (item.sale_amount ?? item.amount).value * item.quantity;
  });
  if (o.subtotal.value !== subtotal)
    errors.push({
      field: `${f}.subtotal.value`,
      message: `must be the items' total, each (sale_)amount × quantity: ${subtotal}, not ${o.subtotal.value}`,
    });
  const total = o.subtotal.value + paise(o.tax) + paise(o.shipping) - paise(o.discount);
  if (o.total_amount.value !== total)
    errors.push({
      field: `${f}.total_amount.value`,
      message: `must be subtotal + tax + shipping - discount: ${total}, not ${o.total_amount.value}`,
    });
  return errors;
}
