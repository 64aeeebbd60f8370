import type { AppContext } from './context.ts';

/**
 * Retention (docs/privacy.md): each workspace may set, per kind of record, after how many days
 * it is deleted. A module owning such records implements the kind's step on its `Module`
 * (`retain`); the privacy module's daily job calls each step in small batches.
 */
export const retentionKinds = [
  'messages',
  'recordings',
  'transcripts',
  'events',
  'deliveries',
  'audit_log',
] as const;
export type RetentionKind = (typeof retentionKinds)[number];

/** One batch: at most `limit` records of the workspace's mode older than `before`. */
export interface RetentionBatch {
  workspaceId: string;
  livemode: boolean;
  /** ISO time: what is older goes. */
  before: string;
  limit: number;
  /**
   * Where the step's last batch of this run stopped (an ISO time), kept by the step: the next
   * batch starts there instead of walking, from the oldest, past every row the run has deleted
   * (on PostgreSQL their index entries stay until a vacuum, and each batch walked them all).
   */
  after?: string;
}

/**
 * Deletes (or, for what is a column of a row that stays, clears) up to `batch.limit` records and
 * returns how many. A short transaction at most: the caller yields between batches, so traffic is
 * never held behind a long delete. Running it again after a crash only finds what is left.
 */
export type RetentionStep = (ctx: AppContext, batch: RetentionBatch) => Promise<number>;

export interface Retainer {
  module: string;
  kind: RetentionKind;
  purge: RetentionStep;
}
