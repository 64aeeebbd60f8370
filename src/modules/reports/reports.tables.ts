declare module '../../platform/db/schema.ts' {
  interface Database {
    rate_cards: RateCardsTable;
  }
}

/** The operator's WhatsApp rate card, one per workspace and mode (docs/reports.md, "Costs"). */
export interface RateCardsTable {
  workspace_id: string;
  livemode: number;
  /** ISO 4217 code of every price. */
  currency: string;
  /** JSON `[{market, category, price}]`: `price` a decimal string, `market` ISO 3166 alpha-2 or `*`. */
  rates: string;
  updated_at: string;
}
