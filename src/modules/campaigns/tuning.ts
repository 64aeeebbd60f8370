import './campaigns.tables.ts';

/** A scheduling pass plans this many seconds of dials at the campaign's pace. */
export const PASS_SECONDS = 2;
/** Due recipients a pass looks at, at most (those outside their window are moved to its opening). */
export const SCAN_LIMIT = 1000;
/** Due recipients read at a time, at least (twice the free slots when more). */
export const PAGE_MIN = 50;
/** The longest a running campaign goes without a pass. */
export const MAX_IDLE_MS = 5_000;
/** Audience contacts read and recipients written at a time. */
export const EXPAND_BATCH = 500;
/** Recipients an expansion run writes (its first run fewer, so that dialing starts at once). */
export const EXPAND_PER_RUN = 5000;
export const EXPAND_FIRST = 100;
/** Recipients whose zones are resolved between two turns of the event loop. */
export const ZONE_SLICE = 20;
/**
 * Recipients inserted per transaction. Small on SQLite, where a pass waits for the one
 * connection while an insert holds it (100 rows keep that wait to a few milliseconds); larger on
 * PostgreSQL, where each transaction costs round trips and a pass waits only for the campaign's lock.
 */
export const EXPAND_INSERT_ROWS = { sqlite: 100, postgres: 250 } as const;
/** How soon the next pass looks while recipients are still being written. */
export const EXPANDING_POLL_MS = 200;
export const DEFAULT_RETRY_ON = ['no_answer', 'busy', 'voicemail', 'failed'];
