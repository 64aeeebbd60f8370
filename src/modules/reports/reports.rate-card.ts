/**
 * The operator's WhatsApp rate card: a price per market (the recipient's country) and Meta pricing
 * category, in one currency. The costs report multiplies billable messages by it (docs/reports.md).
 */
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { inScope, type Scope } from '../../platform/db/scope.ts';
import { validationFailed } from '../../platform/errors.ts';
import { describe } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { RateCardsTable } from './reports.tables.ts';

/** Meta's pricing categories (the `pricing.category` of status webhooks). */
export const pricingCategories = [
  'marketing',
  'marketing_lite',
  'utility',
  'authentication',
  'authentication_international',
  'service',
  'referral_conversion',
] as const;

const currencies = new Set(Intl.supportedValuesOf('currency'));
/** A price: a non-negative decimal with up to 6 places, as a string (or a JSON number). */
const PRICE = /^\d{1,9}(\.\d{1,6})?$/;

const validMarket = (s: string) => s === '*' || (/^[A-Z]{2}$/.test(s) && isSupportedCountry(s));

const rate = z.strictObject({
  market: describe(
    z
      .string()
      .refine(
        (s) => validMarket(s.trim().toUpperCase()),
        'must be an ISO 3166 alpha-2 country code with a calling code (e.g. IN, BR) or * for every other country',
      ),
    "The recipient's country (ISO 3166 alpha-2), or `*`: any country without a rate of its own.",
    'IN',
  ),
  category: describe(z.enum(pricingCategories), "Meta's pricing category.", 'marketing'),
  price: describe(
    z
      .union([z.string(), z.number()])
      .refine(
        (v) => PRICE.test(String(v).trim()),
        'must be a non-negative decimal with at most 6 decimal places',
      ),
    'The price of one billable message (PMP) or conversation (CBP), in the currency. A string keeps every digit.',
    '0.7846',
  ),
});

export const rateCardBody = z.strictObject({
  currency: describe(
    z
      .string()
      .refine(
        (s) => currencies.has(s.trim().toUpperCase()),
        'must be an ISO 4217 currency code (e.g. INR, USD, BRL)',
      ),
    'ISO 4217 code of every price.',
    'INR',
  ),
  rates: describe(
    z.array(rate).max(2000),
    'One price per market and category; a pair given twice is a 400. Replaces the whole card.',
    [{ market: 'IN', category: 'marketing', price: '0.7846' }],
  ),
});

export const rateCardObject = z.object({
  object: describe(z.literal('rate_card'), 'The type of this object.', 'rate_card'),
  livemode: describe(z.boolean(), 'The mode this card prices.', true),
  currency: describe(z.string().nullable(), 'ISO 4217 code of every price (null: no card yet).', 'INR'),
  rates: describe(
    z.array(
      z.object({
        market: describe(z.string(), 'ISO 3166 alpha-2 country code, or `*`.', 'IN'),
        category: describe(z.string(), "Meta's pricing category.", 'marketing'),
        price: describe(z.string(), 'The price, a decimal string.', '0.7846'),
      }),
    ),
    'The prices, by market then category.',
  ),
  updated_at: describe(z.string().nullable(), 'When the card last changed (null: never set).', null),
});

export interface Rate {
  market: string;
  category: string;
  price: string;
}

export interface RateCard {
  currency: string | null;
  rates: Rate[];
}

function present(row: RateCardsTable | undefined, livemode: boolean) {
  return {
    object: 'rate_card' as const,
    livemode,
    currency: row?.currency ?? null,
    rates: fromJson<Rate[]>(row?.rates ?? null, []),
    updated_at: row?.updated_at ?? null,
  };
}

const cardRow = (ctx: AppContext, scope: Scope) =>
  ctx.db.selectFrom('rate_cards').selectAll().where(inScope(scope)).executeTakeFirst();

export async function getRateCard(ctx: AppContext, scope: Scope) {
  return present(await cardRow(ctx, scope), scope.livemode);
}

/** Replaces the card; a market and category given twice is a 400 naming each repeat. */
export async function setRateCard(ctx: AppContext, scope: Scope, input: z.output<typeof rateCardBody>) {
  const body = {
    currency: input.currency.trim().toUpperCase(),
    rates: input.rates.map((r) => ({
      market: r.market.trim().toUpperCase(),
      category: r.category,
      price: String(r.price).trim(),
    })),
  };
  const seen = new Map<string, number>();
  const errors: Array<{ field: string; message: string }> = [];
  body.rates.forEach((r, i) => {
    const key = `${r.market} ${r.category}`;
    const first = seen.get(key);
    if (first !== undefined)
      errors.push({ field: `rates.${i}`, message: `repeats rates.${first} (${r.market}, ${r.category})` });
    else seen.set(key, i);
  });
  if (errors.length) throw validationFailed(errors);
  const rates = [...body.rates].sort(
    (a, b) => a.market.localeCompare(b.market) || a.category.localeCompare(b.category),
  );
  const row: RateCardsTable = {
    workspace_id: scope.workspaceId,
    livemode: scope.livemode ? 1 : 0,
    currency: body.currency,
    rates: toJson(rates),
    updated_at: ctx.clock.now().toISOString(),
  };
  await ctx.db
    .insertInto('rate_cards')
    .values(row)
    .onConflict((oc) => oc.columns(['workspace_id', 'livemode']).doUpdateSet(row))
    .execute();
  return present(row, scope.livemode);
}

/** A price in millionths of the currency unit (exact integer arithmetic for sums). */
export const micros = (price: string): number => {
  const [whole, frac = ''] = price.split('.');
  return Number(whole) * 1_000_000 + Number(frac.padEnd(6, '0'));
};

/** An amount in millionths as a decimal string with at least 2 and at most 6 places. */
export function formatMicros(amount: number): string {
  const whole = Math.floor(amount / 1_000_000);
  const frac = String(amount % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${whole}.${frac}`;
}

/** The price for a market and category: the market's own, else the `*` one, else none. */
export function priceFor(card: RateCard, market: string | null, category: string): number | null {
  const own = market ? card.rates.find((r) => r.market === market && r.category === category) : undefined;
  const any = own ?? card.rates.find((r) => r.market === '*' && r.category === category);
  return any ? micros(any.price) : null;
}
