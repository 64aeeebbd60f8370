/**
 * Rows per multi-row statement or `IN (...)` list: well under the bound-variable limits of
 * SQLite (32,766) and PostgreSQL (65,535) for the widest table.
 */
export const ROWS_PER_STATEMENT = 500;

/** `items` in consecutive slices of at most `size`, for statements that take many rows. */
export function chunked<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
