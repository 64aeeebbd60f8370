import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Keyset pages of rows by id: each page starts after the last id of the previous one, and a
 * short page is the last. Reports and exports walk their rows this way, never by offset.
 *
 * Between pages the event loop gets a turn: on SQLite a statement runs synchronously, so a walk
 * over a million rows whose reader keeps up (a CSV download over a fast link) would otherwise
 * run from start to end without the process answering anything else (measured: /healthz waited
 * 13 s behind a 14 s export).
 */
export async function* keysetPages<T extends { id: string }>(
  page: (afterId: string | null) => Promise<T[]>,
  pageSize: number,
): AsyncGenerator<T[]> {
  let afterId: string | null = null;
  for (;;) {
    const rows: T[] = await page(afterId);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < pageSize) return;
    await nextTurn();
    afterId = rows[rows.length - 1]!.id;
  }
}
