/** The session's clocks as units: virtual time (simulated calls) and real time on node's mocked timers. */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { RealScheduler, VirtualScheduler } from './scheduler.ts';

const settle = () => new Promise((r) => setImmediate(r));

describe('virtual scheduler', () => {
  it('runs timers in time order (ties in the order set), jumping the clock to each', async () => {
    const s = new VirtualScheduler();
    const ran: string[] = [];
    s.after(300, () => ran.push(`c@${s.now()}`));
    s.after(100, () => ran.push(`a@${s.now()}`));
    s.after(100, () => ran.push(`b@${s.now()}`));
    const cancelled = s.after(200, () => ran.push('cancelled'));
    cancelled.cancel();
    for (let i = 0; i < 10 && ran.length < 3; i++) await settle();
    assert.deepEqual(ran, ['a@100', 'b@100', 'c@300']);
  });

  it('holds the clock still while tracked work is under way (a reply being computed)', async () => {
    const s = new VirtualScheduler();
    const ran: number[] = [];
    let finish!: () => void;
    const work = s.track(new Promise<void>((r) => (finish = r)));
    s.after(50, () => ran.push(s.now()));
    for (let i = 0; i < 5; i++) await settle();
    assert.deepEqual(ran, [], 'no time passes while the work runs');
    finish();
    await work;
    for (let i = 0; i < 5 && !ran.length; i++) await settle();
    assert.deepEqual(ran, [50]);
  });

  it('runs nothing once disposed', async () => {
    const s = new VirtualScheduler();
    let ran = false;
    s.after(10, () => {
      ran = true;
    });
    s.dispose();
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(ran, false);
  });
});

describe('real scheduler (mocked timers)', () => {
  it('fires after the time, not before; cancel and dispose stop timers', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const s = new RealScheduler();
    const ran: string[] = [];
    s.after(100, () => ran.push('a'));
    const b = s.after(100, () => ran.push('b'));
    s.after(500, () => ran.push('c'));
    b.cancel();
    t.mock.timers.tick(99);
    assert.deepEqual(ran, []);
    t.mock.timers.tick(1);
    assert.deepEqual(ran, ['a']);
    s.dispose();
    t.mock.timers.tick(1000);
    assert.deepEqual(ran, ['a']);
    mock.timers.reset();
  });
});
