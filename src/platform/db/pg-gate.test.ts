import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStorageUnavailable } from './database.ts';
import { CheckoutGate } from './pg-gate.ts';

describe('CheckoutGate (turns for pool connections)', () => {
  it('lets `size` in at once, the rest in arrival order as turns are given back', async () => {
    const gate = new CheckoutGate(2, 10_000);
    await gate.enter();
    await gate.enter();
    const order: number[] = [];
    const waiting = [1, 2, 3].map((n) => gate.enter().then(() => order.push(n)));
    await new Promise((r) => setImmediate(r));
    assert.equal(gate.waiting, 3);
    assert.deepEqual(order, []);
    gate.leave();
    await waiting[0];
    assert.deepEqual(order, [1]);
    gate.leave();
    gate.leave();
    await Promise.all(waiting);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(gate.waiting, 0);
  });

  it('a turn that does not come in time fails as an unavailable database (503), and leaves the line', async () => {
    const gate = new CheckoutGate(1, 30);
    await gate.enter();
    await assert.rejects(gate.enter(), (err) => isStorageUnavailable(err));
    assert.equal(gate.waiting, 0);
    gate.leave();
    await gate.enter();
  });
});
