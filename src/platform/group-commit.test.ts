import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunked } from './chunked.ts';
import { GroupCommit, type GroupResult } from './group-commit.ts';

describe('GroupCommit', () => {
  it('writes items submitted together in one group, and those that arrive during a write in the next', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const gc = new GroupCommit<number, string>(
      async (items) => {
        groups.push(items);
        if (groups.length === 1) await gate;
        return items.map((n): GroupResult<string> => ({ ok: true, value: `v${n}` }));
      },
      { maxItems: 10, concurrency: 1 },
    );
    const first = [1, 2, 3].map((n) => gc.submit(n));
    await new Promise((r) => setImmediate(r));
    const second = [4, 5].map((n) => gc.submit(n));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(groups, [[1, 2, 3]], 'the second group waits for the first');
    release();
    assert.deepEqual(await Promise.all([...first, ...second]), ['v1', 'v2', 'v3', 'v4', 'v5']);
    assert.deepEqual(groups, [
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('with gatherMs, items submitted within that time after the first share its group', async () => {
    const groups: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        groups.push(items);
        return items.map((n) => ({ ok: true, value: n }));
      },
      { maxItems: 10, concurrency: 1, gatherMs: 40 },
    );
    const first = gc.submit(1);
    await new Promise((r) => setTimeout(r, 5));
    const second = gc.submit(2);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(groups, [], 'nothing is written before the gather time');
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    assert.deepEqual(groups, [[1, 2]]);
  });

  it('with gatherMs, a whole group waiting is written at once', async () => {
    const groups: number[][] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        groups.push(items);
        return items.map((n) => ({ ok: true, value: n }));
      },
      { maxItems: 2, concurrency: 1, gatherMs: 10_000 },
    );
    const all = Promise.all([1, 2].map((n) => gc.submit(n)));
    assert.deepEqual(await all, [1, 2]);
    assert.deepEqual(groups, [[1, 2]]);
  });

  it('caps a group at maxItems', async () => {
    const sizes: number[] = [];
    const gc = new GroupCommit<number, number>(
      async (items) => {
        sizes.push(items.length);
        return items.map((n) => ({ ok: true, value: n }));
      },
      { maxItems: 4, concurrency: 1 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => gc.submit(i)));
    assert.deepEqual(sizes, [4, 4, 2]);
  });

  it("gives each item its own outcome, and every item the writer's error when it throws", async () => {
    let fail = false;
    const gc = new GroupCommit<number, number>(
      async (items) => {
        if (fail) throw new Error('storage down');
        return items.map((n) =>
          n % 2 ? { ok: false, error: new Error(`odd ${n}`) } : { ok: true, value: n },
        );
      },
      { maxItems: 10, concurrency: 1 },
    );
    const outcomes = await Promise.allSettled([1, 2].map((n) => gc.submit(n)));
    assert.equal(outcomes[0]!.status, 'rejected');
    assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /odd 1/);
    assert.deepEqual(outcomes[1], { status: 'fulfilled', value: 2 });
    fail = true;
    const broken = await Promise.allSettled([3, 4].map((n) => gc.submit(n)));
    for (const b of broken) assert.match(String((b as PromiseRejectedResult).reason), /storage down/);
  });

  it('rejects every item when the writer answers for the wrong number of items', async () => {
    const gc = new GroupCommit<number, number>(async () => [{ ok: true, value: 1 }], {
      maxItems: 10,
      concurrency: 1,
    });
    const outcomes = await Promise.allSettled([1, 2].map((n) => gc.submit(n)));
    for (const o of outcomes) assert.match(String((o as PromiseRejectedResult).reason), /2 items/);
  });
});

it('chunked slices in order, the last slice short, nothing for nothing', () => {
  assert.deepEqual(chunked([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(chunked([], 2), []);
  assert.equal(chunked(Array.from({ length: 1001 }, (_, i) => i)).length, 3);
});
