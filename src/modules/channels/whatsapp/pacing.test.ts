import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CUSTOMER_BURST, CUSTOMER_INTERVAL_MS, Pacer, SendPacing } from './pacing.ts';

/** Simulates callers that each come back exactly when told, and returns the times they were let through. */
function simulate(reserve: (now: number) => number, callers: number, start = 0): number[] {
  const pending = Array.from({ length: callers }, () => start);
  const granted: number[] = [];
  while (pending.length) {
    pending.sort((a, b) => a - b);
    const now = pending.shift()!;
    const wait = reserve(now);
    if (wait === 0) granted.push(now);
    else pending.push(now + wait);
  }
  return granted.sort((a, b) => a - b);
}

describe('Pacer', () => {
  it('spaces sends at the rate and books every slot once', () => {
    const p = new Pacer(12.5);
    const granted = simulate((now) => p.reserve(now), 800);
    assert.equal(granted.length, 800);
    const span = granted[granted.length - 1] - granted[0];
    assert.ok(Math.abs(span - 799 * 12.5) <= 800, `span ${span}`);
    for (let i = 1; i < granted.length; i++) assert.ok(granted[i] - granted[i - 1] >= 12, `gap at ${i}`);
  });
  it('allows the burst, then the interval', () => {
    const p = new Pacer(6000, 3);
    assert.deepEqual([p.reserve(0), p.reserve(0), p.reserve(0)], [0, 0, 0]);
    assert.equal(p.reserve(0), 6000);
    assert.equal(p.reserve(6000), 0, 'the held slot is honoured when the caller comes back');
  });
  it('forgets stale holds', () => {
    const p = new Pacer(1000, 1, 5000);
    p.reserve(0);
    assert.equal(p.reserve(0), 1000);
    assert.equal(p.idle(100_000), false);
    p.reserve(100_000);
    assert.equal(p.idle(200_000), true);
  });
});

describe('SendPacing', () => {
  it('holds a number to its messages_per_second across recipients', () => {
    const s = new SendPacing();
    let i = 0;
    const granted = simulate((now) => s.reserve('PN', 80, `+1555${i++ % 1000}`, now), 1600);
    const perSecond = new Map<number, number>();
    for (const t of granted)
      perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    for (const n of perSecond.values()) assert.ok(n <= 80, `a second carried ${n} sends`);
    assert.ok(granted[granted.length - 1] >= 19_000, 'took at least 20 s for 1600 at 80/s');
  });
  it('paces one customer: a burst then one every 6 s', () => {
    const s = new SendPacing();
    const granted = simulate((now) => s.reserve('PN', 80, '+15550001', now), CUSTOMER_BURST + 3);
    assert.equal(granted.filter((t) => t < 100).length, CUSTOMER_BURST);
    const tail = granted.slice(CUSTOMER_BURST);
    for (let i = 1; i < tail.length; i++) assert.ok(tail[i] - tail[i - 1] >= CUSTOMER_INTERVAL_MS - 20);
  });
  it('different numbers do not share capacity', () => {
    const s = new SendPacing();
    assert.equal(s.reserve('A', 1, '+1', 0), 0);
    assert.equal(s.reserve('B', 1, '+1', 0), 0);
    assert.ok(s.reserve('A', 1, '+2', 0) > 0);
  });
});
