/**
 * Silence while the agent listens, as a unit: the silence object on the virtual clock with the
 * session's hooks faked; then once through the whole session (re-prompt, then the call ends).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualScheduler } from './scheduler.ts';
import {
  at,
  drain,
  FakeTransport,
  fakeHooks,
  newCaller,
  partsOf,
  scriptedDriver,
} from './session.testing.ts';
import { CallSession } from './session.ts';
import { Silence } from './silence.ts';
import type { CallDriver } from './types.ts';

/** The agent listens; the silence timeout is 10 s (the agents' default). */
function quietLine(driver: CallDriver = scriptedDriver().driver) {
  const sched = new VirtualScheduler();
  const { parts } = partsOf(sched, new FakeTransport(sched), driver, { silenceTimeoutMs: 10_000 });
  const caller = newCaller();
  const h = fakeHooks('listening');
  const silence = new Silence(parts, caller, h.hooks);
  return { sched, caller, h, silence };
}

describe('silence', () => {
  it('no word for the timeout: one re-prompt; a second silence ends the call silence_timeout', async () => {
    const s = quietLine();
    s.silence.arm();
    await at(s.sched, 9_999);
    assert.deepEqual(s.h.named('speak'), []);
    await at(s.sched, 10_000);
    const [[reprompt]] = s.h.named('speak') as [[AsyncIterable<never>]];
    assert.deepEqual(await drain(reprompt), [{ type: 'say', text: 'Are you still there?' }]);
    s.h.state.phase = 'listening'; // the re-prompt was said
    s.silence.arm();
    await at(s.sched, 20_000);
    assert.deepEqual(s.h.named('end'), [[{ reason: 'silence_timeout', status: 'completed' }]]);
    assert.equal(s.h.named('speak').length, 1);
  });

  it('the caller speaking when the time is up, or the agent having the floor, is no silence', async () => {
    const s = quietLine();
    s.silence.arm();
    s.caller.speaking = true;
    await at(s.sched, 10_000);
    s.caller.speaking = false;
    s.h.state.phase = 'thinking';
    s.silence.arm();
    await at(s.sched, 20_000);
    assert.deepEqual(s.h.calls, []);
  });

  it('called off when the caller speaks (the session cancels it), and owed afresh after a real turn', async () => {
    const s = quietLine();
    s.silence.arm();
    await at(s.sched, 5_000);
    s.silence.cancel();
    await at(s.sched, 12_000);
    assert.deepEqual(s.h.calls, []);
    s.silence.arm();
    await at(s.sched, 22_000);
    assert.equal(s.h.named('speak').length, 1, 're-prompted');
    s.h.state.phase = 'listening';
    assert.equal(s.silence.fillerTurn('Tuesday, please'), false, 'a real turn');
    s.silence.arm();
    await at(s.sched, 32_000);
    assert.equal(s.h.named('speak').length, 2, 're-prompted again, not ended');
    assert.deepEqual(s.h.named('end'), []);
  });

  it('fillers only, three turns in a row, count as silence', async () => {
    const s = quietLine();
    assert.equal(s.silence.fillerTurn('hmm'), false);
    assert.equal(s.silence.fillerTurn('mhm'), false);
    assert.equal(s.silence.fillerTurn('uh-huh'), true);
    assert.equal(s.h.named('speak').length, 1, 'the re-prompt');
    s.h.state.phase = 'listening';
    assert.equal(s.silence.fillerTurn('mm'), true);
    assert.deepEqual(s.h.named('end'), [[{ reason: 'silence_timeout', status: 'completed' }]]);
  });

  it('a driver with its own silence rules sets the wait and is asked every time (it ends the call itself)', async () => {
    const base = scriptedDriver().driver;
    const s = quietLine({ ...base, handlesSilence: () => ({ timeoutMs: 4_000 }) });
    for (let i = 1; i <= 3; i++) {
      s.h.state.phase = 'listening';
      s.silence.arm();
      await at(s.sched, i * 4_000);
      assert.equal(s.h.named('speak').length, i);
    }
    assert.deepEqual(s.h.named('end'), []);
  });
});

describe('silence, in the session', () => {
  it('a caller who says nothing hears one re-prompt, then the call ends silence_timeout', async () => {
    const sched = new VirtualScheduler();
    const transport = new FakeTransport(sched);
    const script = scriptedDriver({ greeting: 'Hi.' });
    const { parts, memory } = partsOf(sched, transport, script.driver, { silenceTimeoutMs: 10_000 });
    const session = new CallSession(parts);
    session.start();
    await session.done;
    assert.deepEqual(memory.end(), { reason: 'silence_timeout', status: 'completed' });
    assert.deepEqual(
      memory.transcript.map((t) => [t.text, t.start_ms]),
      [
        ['Hi.', 0],
        ['Are you still there?', 400 + 10_000],
      ],
    );
    assert.equal(sched.now(), 400 + 10_000 + 1_440 + 10_000);
  });
});
