import assert from 'node:assert/strict';
import { it } from 'node:test';
import { burstClosesAt } from './ai.service.ts';

it('a burst closes 2 s after its latest message, never later than 8 s after its first', () => {
  const opts = { replyDebounceMs: 2000 };
  assert.equal(burstClosesAt(0, 0, opts), 2000);
  // Four messages over 2.3 s: the pause restarts with each one.
  assert.equal(burstClosesAt(0, 2300, opts), 4300);
  // A customer who keeps typing is answered 8 s after their first message.
  assert.equal(burstClosesAt(0, 7000, opts), 8000);
  assert.equal(burstClosesAt(0, 7000, { replyDebounceMs: 2000, replyBurstCapMs: 5000 }), 5000);
  // A cap below the pause is the pause.
  assert.equal(burstClosesAt(0, 0, { replyDebounceMs: 2000, replyBurstCapMs: 500 }), 2000);
});
