/**
 * Call screening, as a unit: the screener (a driver around the agent's driver, screener.ts) on
 * the virtual clock; then once through the whole session: a screening assistant answers, the
 * agent states its purpose and waits, and nobody comes within the wait.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualScheduler } from './scheduler.ts';
import { type ScreenerPolicy, screeningDriver } from './screener.ts';
import { at, drain, FakeTransport, partsOf, scriptedDriver } from './session.testing.ts';
import { CallSession } from './session.ts';

const google =
  "Hi, the person you're calling is using a screening service from Google, and will get a copy of this conversation. Go ahead and say your name and why you're calling.";
const purpose =
  "Hi, this is the AI assistant of Glow Salon, calling about your appointment. I'll hold while you let them know.";

function screened(opts: Partial<Pick<ScreenerPolicy, 'action' | 'waitMs'>> = {}) {
  const sched = new VirtualScheduler();
  const inner = scriptedDriver({
    greeting: 'Hello, this is Glow Salon.',
    answer: (t) => [{ type: 'say', text: `You said ${t}.` }],
  });
  const notes: string[] = [];
  let detected = 0;
  const driver = screeningDriver(inner.driver, {
    action: opts.action ?? 'state_purpose',
    message: purpose,
    waitMs: opts.waitMs,
    now: () => sched.now(),
    detected: async () => {
      detected++;
    },
    note: (text) => notes.push(text),
  });
  const signal = new AbortController().signal;
  const reply = (text: string, dtmf?: string) =>
    drain(driver.reply(dtmf ? { text, dtmf } : { text }, signal));
  return { sched, driver, inner, notes, detected: () => detected, reply, signal };
}

describe('screener', () => {
  it('a screening assistant answering: the agent states who is calling and why, then waits for the person', async () => {
    const s = screened();
    assert.deepEqual(await s.reply(google), [{ type: 'say', text: purpose }]);
    assert.equal(s.detected(), 1);
    assert.deepEqual(s.notes, [
      '[a call screening assistant answered: the agent stated who is calling and why]',
    ]);
    // While it fetches the person: holding phrases get silence, asking again gets the purpose again.
    assert.deepEqual(
      await s.reply("Thanks, I'll see if this person is available. Please stay on the line."),
      [],
    );
    assert.deepEqual(await s.reply('Please state your name and the reason for your call.'), [
      { type: 'say', text: purpose },
    ]);
    assert.deepEqual(s.inner.turns, [], 'the agent itself heard none of it');
  });

  it('the person picking up hears the greeting, and the call goes on with the agent', async () => {
    const s = screened();
    await s.reply(google);
    await at(s.sched, 20_000);
    assert.deepEqual(await s.reply('Hello? This is Priya.'), [
      { type: 'say', text: 'Hello, this is Glow Salon.' },
    ]);
    assert.equal(s.notes.at(-1), '[the person picked up after the call screener]');
    assert.deepEqual(await s.reply('Yes, Tuesday works'), [
      { type: 'say', text: 'You said Yes, Tuesday works.' },
    ]);
    assert.equal(s.driver.handlesSilence?.() ?? null, null, "the agent's own silence rules again");
  });

  it('silence while screening is expected: the wait is what is left of the minute', async () => {
    const s = screened();
    await s.reply(google);
    await at(s.sched, 15_000);
    assert.deepEqual(s.driver.handlesSilence?.(), { timeoutMs: 45_000 });
    assert.deepEqual(await drain(s.driver.reprompt(s.signal)), [], 'no re-prompt to a screener');
  });

  it('nobody within the wait: the call ends call_screener, with a note', async () => {
    const s = screened({ waitMs: 30_000 });
    await s.reply(google);
    await at(s.sched, 30_000);
    assert.deepEqual(await drain(s.driver.reprompt(s.signal)), [
      { type: 'end_call', reason: 'call_screener' },
    ]);
    assert.equal(
      s.notes.at(-1),
      '[the call screener did not hand over to the person within 30 s: call ended]',
    );
  });

  it('with action hangup the agent hangs up on the screener at once', async () => {
    const s = screened({ action: 'hangup' });
    assert.deepEqual(await s.reply(google), [{ type: 'end_call', reason: 'call_screener' }]);
    assert.equal(s.detected(), 1);
  });

  it("a person's first words are never a screener, keys neither: the agent answers as usual", async () => {
    const s = screened();
    assert.deepEqual(await s.reply("Hello? Who's calling?"), [
      { type: 'say', text: "You said Hello? Who's calling?." },
    ]);
    assert.equal(s.detected(), 0);
    const k = screened();
    await k.reply('', '1');
    assert.deepEqual(await k.reply(google), [{ type: 'say', text: `You said ${google}.` }]);
    assert.equal(k.detected(), 0);
  });
});

describe('screener, in the session', () => {
  it('the screener asks, the agent states its purpose, nobody comes: the call ends call_screener a minute on', async () => {
    const sched = new VirtualScheduler();
    const transport = new FakeTransport(sched);
    const inner = scriptedDriver({ greeting: 'Hello, this is Glow Salon.' });
    const { parts, memory } = partsOf(sched, transport, inner.driver);
    let detected = 0;
    // The session puts the screener around the driver, on its own clock and transcript.
    parts.screener = {
      action: 'state_purpose',
      message: purpose,
      detected: async () => {
        detected++;
      },
    };
    const session = new CallSession(parts);
    session.start();
    let spokeAt = 0;
    sched.after(100, () => transport.sink!.speech({ type: 'start', text: google }));
    sched.after(6_000, () => {
      spokeAt = sched.now();
      transport.sink!.speech({ type: 'end' });
    });
    await session.done;
    assert.deepEqual(memory.end(), { reason: 'call_screener', status: 'completed' });
    const lines = memory.transcript.map((t) => t.text);
    assert.ok(lines.includes(purpose), lines.join(' | '));
    assert.equal(lines.at(-1), '[the call screener did not hand over to the person within 60 s: call ended]');
    // Detected when the screener's turn ended (6 s + the 500 ms end of turn), then a minute.
    assert.equal(memory.transcript.at(-1)?.start_ms, spokeAt + 500 + 60_000);
    assert.deepEqual(inner.turns, []);
    assert.equal(detected, 1);
  });
});
