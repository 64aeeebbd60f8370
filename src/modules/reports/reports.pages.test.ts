import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keysetPages } from './reports.pages.ts';

describe('keyset pages', () => {
  const rows = Array.from({ length: 25 }, (_, i) => ({ id: `r${String(i).padStart(3, '0')}` }));
  // A page read the way SQLite reads it: the promise is already settled when it is returned.
  const page = (size: number) => async (afterId: string | null) =>
    rows.filter((r) => afterId === null || r.id > afterId).slice(0, size);

  it('walks every row once, in order, and stops after a short page', async () => {
    const seen: string[] = [];
    let pages = 0;
    for await (const p of keysetPages(page(10), 10)) {
      pages++;
      seen.push(...p.map((r) => r.id));
    }
    assert.deepEqual(
      seen,
      rows.map((r) => r.id),
    );
    assert.equal(pages, 3);
  });

  it('gives the event loop a turn between pages, so a long walk never holds the process', async () => {
    // A task queued before the walk runs only once the walk yields to the event loop: with pages
    // that resolve at once (SQLite), a walk that never yields would read every page first.
    let taskRan = false;
    setImmediate(() => {
      taskRan = true;
    });
    const ranBefore: boolean[] = [];
    for await (const _ of keysetPages(page(5), 5)) ranBefore.push(taskRan);
    assert.deepEqual(ranBefore, [false, true, true, true, true]);
  });
});
