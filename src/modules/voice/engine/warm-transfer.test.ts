/**
 * Warm transfer, as a unit: the transfer object on the virtual clock with the session's hooks
 * faked and a transport that dials a second leg; then once through the whole session (the caller
 * on hold while it rings, joined when the person answers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualScheduler } from './scheduler.ts';
import { at, drain, FakeTransport, fakeHooks, partsOf, scriptedDriver } from './session.testing.ts';
import { CallSession } from './session.ts';
import { Transfer, WARM_RING_SECONDS } from './transfer.ts';
import type { DriverChunk, WarmDialOutcome, WarmDialRequest } from './types.ts';

const warm: Extract<DriverChunk, { type: 'transfer' }> = {
  type: 'transfer',
  mode: 'warm',
  to: '+15550100',
  whisper: 'Priya is on the line about a booking.',
  human: true,
  reason: 'asked for a person',
};

/** A transport whose second leg rings for `ringMs` and then ends `outcome` (join as told). */
function dialling(outcome: WarmDialOutcome, opts: { ringMs?: number; joins?: boolean; cold?: boolean } = {}) {
  const sched = new VirtualScheduler();
  const transport = new FakeTransport(sched);
  const log: string[] = [];
  const dialled: WarmDialRequest[] = [];
  Object.assign(transport, {
    dialWarm: (request: WarmDialRequest) => {
      dialled.push(request);
      return new Promise((resolve) =>
        sched.after(opts.ringMs ?? 5_000, () =>
          resolve({
            outcome,
            join: async () => {
              log.push('join');
              return opts.joins ?? true;
            },
            cancel: async () => {
              log.push('cancel');
            },
          }),
        ),
      );
    },
    ...(opts.cold !== undefined ? { transfer: async () => opts.cold } : {}),
  });
  const { parts } = partsOf(sched, transport, scriptedDriver().driver);
  parts.recorder.transfer = async (to, human, reason) => {
    log.push(`transfer ${to} ${human} ${reason}`);
  };
  parts.recorder.transferFailed = async () => {
    log.push('transferFailed');
  };
  const h = fakeHooks('thinking');
  const transfer = new Transfer(parts, h.hooks);
  return { sched, transport, log, dialled, h, transfer };
}

describe('warm transfer', () => {
  it('the caller holds while the person is dialled and told who is calling, then is joined: transferred', async () => {
    const t = dialling('answered');
    const done = t.transfer.run(warm);
    assert.equal(t.transfer.holding, true, "the caller's words are no turn while on hold");
    assert.deepEqual(t.transport.holds, [true]);
    assert.deepEqual(t.dialled, [
      { to: '+15550100', whisper: 'Priya is on the line about a booking.', ringSeconds: WARM_RING_SECONDS },
    ]);
    await at(t.sched, 4_999);
    assert.deepEqual(t.log, [], 'nothing is recorded while it rings');
    await done;
    assert.equal(t.sched.now(), 5_000);
    assert.deepEqual(t.log, ['transfer +15550100 true asked for a person', 'join']);
    assert.deepEqual(t.h.named('note'), [
      ['[on hold: calling +15550100 for a warm transfer]'],
      ['[+15550100 answered and was told who is calling; the caller was joined]'],
    ]);
    assert.deepEqual(t.h.named('end'), [[{ reason: 'transferred', status: 'completed' }]]);
    assert.equal(t.transfer.holding, false);
  });

  it('nobody answers: hold ends, the caller is told, and the agent carries on', async () => {
    const t = dialling('no_answer', { ringMs: WARM_RING_SECONDS * 1000 });
    await t.transfer.run(warm);
    assert.deepEqual(t.transport.holds, [true, false]);
    assert.equal(
      t.h.named('note').at(-1)?.[0],
      '[warm transfer to +15550100 not completed: nobody answered]',
    );
    const [[said]] = t.h.named('speak') as [[AsyncIterable<DriverChunk>]];
    assert.deepEqual(await drain(said), [
      {
        type: 'say',
        text: "I'm sorry, nobody picked up just now. I can keep helping you, or take a message for them.",
      },
    ]);
    assert.deepEqual(t.log, [], 'no transfer recorded');
    assert.deepEqual(t.h.named('end'), []);
  });

  it('the person answers but the join fails: recorded as failed, the second leg dropped, the caller told', async () => {
    const t = dialling('answered', { joins: false });
    await t.transfer.run(warm);
    assert.deepEqual(t.log, [
      'transfer +15550100 true asked for a person',
      'join',
      'transferFailed',
      'cancel',
    ]);
    const [[said]] = t.h.named('speak') as [[AsyncIterable<DriverChunk>]];
    assert.match(JSON.stringify(await drain(said)), /couldn't put the call through/);
  });

  it('the caller hangs up while it rings: the second leg is dropped and nothing else happens', async () => {
    const t = dialling('answered');
    const done = t.transfer.run(warm);
    await at(t.sched, 2_000);
    t.h.state.phase = 'ended';
    await done;
    assert.deepEqual(t.log, ['cancel']);
    assert.deepEqual(t.h.named('end'), []);
    assert.deepEqual(t.h.named('speak'), []);
  });

  it('cold: the carrier takes the call at once, or refuses it and the agent listens on', async () => {
    const ok = dialling('answered', { cold: true });
    await ok.transfer.run({ ...warm, mode: 'cold' });
    assert.equal(ok.transfer.holding, false);
    assert.deepEqual(ok.log, ['transfer +15550100 true asked for a person']);
    assert.deepEqual(ok.h.named('end'), [[{ reason: 'transferred', status: 'completed' }]]);
    const refused = dialling('answered', { cold: false });
    await refused.transfer.run({ ...warm, mode: 'cold' });
    assert.deepEqual(refused.log, ['transfer +15550100 true asked for a person', 'transferFailed']);
    assert.equal(refused.h.named('listen').length, 1);
    assert.deepEqual(refused.h.named('end'), []);
  });
});

describe('warm transfer, in the session', () => {
  it("on hold the caller's words and keys are no turn; the person answers and the call ends transferred", async () => {
    const t = dialling('answered', { ringMs: 8_000 });
    const script = scriptedDriver({
      greeting: 'Hi.',
      answer: [{ type: 'say', text: 'Putting you through.' }, warm],
    });
    const { parts, memory } = partsOf(t.sched, t.transport, script.driver);
    parts.recorder.transfer = async () => {};
    const session = new CallSession(parts);
    session.start();
    await t.transport.next('listening');
    t.transport.sink!.text('a person please');
    await at(t.sched, 3_000);
    t.transport.sink!.text('hello? are you there?');
    t.transport.sink!.dtmf('0');
    await session.done;
    assert.deepEqual(memory.end(), { reason: 'transferred', status: 'completed' });
    assert.deepEqual(script.turns, [{ text: 'a person please' }]);
    assert.deepEqual(
      memory.transcript.map((l) => l.text),
      [
        'Hi.',
        'a person please',
        'Putting you through.',
        '[on hold: calling +15550100 for a warm transfer]',
        '[+15550100 answered and was told who is calling; the caller was joined]',
      ],
    );
    assert.deepEqual(t.transport.holds, [true]);
  });
});
