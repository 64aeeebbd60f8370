import type { Kysely } from 'kysely';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { CampaignCountsTable, RecipientResult, RecipientState } from './campaigns.tables.ts';

/**
 * A campaign's stats as counters. Every statement that writes or moves recipients tells a
 * `CountChanges` what it did (from the rows it changed, never from what it meant to change) and
 * applies it in the same transaction, so the counters are exact and reading them costs one row
 * whatever the audience's size.
 */

export type CountColumn = Exclude<keyof CampaignCountsTable, 'campaign_id' | 'pace_cursor'>;

/** The counters of a campaign (its counts row without its key and pace cursor). */
export type Counters = Record<CountColumn, number>;

export const countColumns: readonly CountColumn[] = [
  'total',
  'pending',
  'scheduled',
  'in_progress',
  'completed',
  'answered',
  'voicemail',
  'no_answer',
  'busy',
  'failed',
  'sent',
  'skipped',
  'expired',
  'canceled',
  'attempts',
  'answered_timed',
  'answered_seconds',
];

/** The counters a campaign's stats show as they are (the two duration sums feed the average). */
export const statColumns = countColumns.filter(
  (c): c is Exclude<CountColumn, 'answered_timed' | 'answered_seconds'> =>
    c !== 'answered_timed' && c !== 'answered_seconds',
);

/** What of a recipient row the counters see. */
export interface CountedRecipient {
  state: RecipientState;
  result?: RecipientResult | null;
  outcome?: string | null;
  duration_seconds?: number | null;
}

export class CountChanges {
  readonly #columns = new Map<CountColumn, number>();
  readonly #outcomes = new Map<string, number>();

  #bump(col: CountColumn, n: number) {
    this.#columns.set(col, (this.#columns.get(col) ?? 0) + n);
  }

  /** `n` recipients in this shape counted (`n` < 0: no longer counted), without touching `total`. */
  #count(r: CountedRecipient, n: number) {
    this.#bump(r.state, n);
    if (r.state !== 'completed') return;
    const result = r.result ?? 'failed';
    this.#bump(result, n);
    if (r.outcome) this.#outcomes.set(r.outcome, (this.#outcomes.get(r.outcome) ?? 0) + n);
    if (result === 'answered' && r.duration_seconds !== null && r.duration_seconds !== undefined) {
      this.#bump('answered_timed', n);
      this.#bump('answered_seconds', n * Number(r.duration_seconds));
    }
  }

  /** New recipient rows. */
  added(r: CountedRecipient, n = 1): this {
    this.#bump('total', n);
    this.#count(r, n);
    return this;
  }

  /** Recipients that moved from one shape to another. */
  moved(from: CountedRecipient, to: CountedRecipient, n = 1): this {
    if (n === 0) return this;
    this.#count(from, -n);
    this.#count(to, n);
    return this;
  }

  attempts(n: number): this {
    this.#bump('attempts', n);
    return this;
  }

  /**
   * Writes the changes (one update, with the pass's pace cursor when given; outcome rows in a
   * fixed order, so transactions never wait in a cycle).
   */
  async apply(db: Db | Trx, campaignId: string, also: { paceCursor?: string } = {}): Promise<void> {
    const changed = [...this.#columns].filter(([, n]) => n !== 0);
    if (changed.length || also.paceCursor !== undefined)
      await db
        .updateTable('campaign_counts')
        .set((eb) => ({
          ...Object.fromEntries(changed.map(([col, n]) => [col, eb(col, '+', n)])),
          ...(also.paceCursor === undefined ? {} : { pace_cursor: also.paceCursor }),
        }))
        .where('campaign_id', '=', campaignId)
        .execute();
    const outcomes = [...this.#outcomes].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : 1));
    if (outcomes.length)
      await db
        .insertInto('campaign_outcome_counts')
        .values(outcomes.map(([outcome, n]) => ({ campaign_id: campaignId, outcome, n })))
        .onConflict((oc) =>
          oc
            .columns(['campaign_id', 'outcome'])
            .doUpdateSet((eb) => ({ n: eb('campaign_outcome_counts.n', '+', eb.ref('excluded.n')) })),
        )
        .execute();
    this.#columns.clear();
    this.#outcomes.clear();
  }
}

export const zeroCounts = (): Counters => Object.fromEntries(countColumns.map((c) => [c, 0])) as Counters;

/**
 * The counters as the recipient rows say they should be (a scan of the campaign's recipients):
 * fills the counters of campaigns that existed before them, and lets tests check them.
 */
export async function recountRecipients(
  db: Kysely<any>,
  campaignId: string,
): Promise<{ counts: Counters; outcomes: Record<string, number> }> {
  const rows = await (db as Db)
    .selectFrom('campaign_recipients')
    .select((eb) => [
      'state',
      'result',
      'outcome',
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>('attempts').as('attempts'),
      eb.fn.sum<number>('duration_seconds').as('duration'),
      eb.fn.count<number>('duration_seconds').as('timed'),
    ])
    .where('campaign_id', '=', campaignId)
    .groupBy(['state', 'result', 'outcome'])
    .execute();
  const counts = zeroCounts();
  const outcomes: Record<string, number> = {};
  for (const r of rows) {
    const n = Number(r.n);
    counts.total += n;
    counts[r.state] += n;
    counts.attempts += Number(r.attempts ?? 0);
    if (r.state !== 'completed') continue;
    const result = r.result ?? 'failed';
    counts[result] += n;
    if (r.outcome) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + n;
    if (result === 'answered') {
      counts.answered_timed += Number(r.timed);
      counts.answered_seconds += Number(r.duration ?? 0);
    }
  }
  return { counts, outcomes };
}
