/**
 * Phone lines: N concurrent Twilio Media Streams in real time (issue 15's goal: at least 200,
 * outbound frames late by less than 40 ms at p99). The fake Twilio (this process) places N
 * calls' streams at the Parley side (its own process, bench/lines-media-server.ts): each stream
 * sends the caller's 20 ms μ-law frames (speech 1.5 s, silence 1 s, repeated), plays what it
 * gets back in real time and echoes marks; the Parley side decodes every inbound frame and keeps
 * agent speech flowing out, paced, through the same TwilioMediaStream and codec a call uses.
 *
 * Knobs: `BENCH_STREAMS` (default 200), `BENCH_SECONDS` measured (default 20),
 * `BENCH_TIMEOUT` (default 120 + 2 × BENCH_SECONDS: past it, what was measured so far is
 * printed and the run fails), `BENCH_PROF=1` (the Parley side writes a V8 CPU profile to
 * bench/profiles/). The whole-call part (real server, speech engines, barge-in, turn share) is
 * bench/lines-calls.bench.ts.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TwilioVoiceClient } from '../src/modules/voice/carriers/twilio/twilio-voice.client.ts';
import { connectStreamTwiml } from '../src/modules/voice/carriers/twilio/twiml.ts';
import { FakeTwilioVoice } from '../test/fakes/twilio-voice.ts';

const N = Number(process.env.BENCH_STREAMS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT ?? 120 + 2 * SECONDS);
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const say = (line: string) => console.log(`[${elapsed()}] ${line}`);

let child: ChildProcess | undefined;
let placed = 0;
let phase = 'starting';
const fake = new FakeTwilioVoice();

/** Past the deadline: say where it stood, stop everything, fail. */
const deadline = setTimeout(() => {
  let opened = 0;
  for (const c of fake.calls.values()) if (c.framesReceived > 0) opened++;
  say(
    `TIMEOUT after ${TIMEOUT_S} s while ${phase}: ${placed}/${N} calls placed, ${opened} streams receiving audio`,
  );
  child?.kill('SIGKILL');
  process.exit(2);
}, TIMEOUT_S * 1000);
deadline.unref();

/** The next message of the child, or an error if it exits first (a crash must not hang the run). */
function nextMessage<T>(what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: T) => {
      child!.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child!.off('message', onMessage);
      reject(new Error(`the Parley side exited (${code ?? signal}) while waiting for ${what}`));
    };
    child!.once('message', onMessage);
    child!.once('exit', onExit);
  });
}

await fake.start();
child = fork(new URL('./lines-media-server.ts', import.meta.url).pathname, [], {
  execArgv: [
    '--disable-warning=ExperimentalWarning',
    ...(process.env.BENCH_PROF === '1'
      ? ['--cpu-prof', `--cpu-prof-dir=${new URL('./profiles/', import.meta.url).pathname}`]
      : []),
  ],
  env: { ...process.env, BENCH_TWILIO_TOKEN: fake.authToken },
});
const ready = await nextMessage<{ url: string; secret: string }>('its start');
const client = new TwilioVoiceClient({ apiUrl: fake.url });
const steps = Array.from({ length: 200 }, () => [{ say: 1500 }, { pause: 1000 }]).flat();

// The load generator's own lag: when it is late, the streams it plays are not in real time.
const fakeDelay = monitorEventLoopDelay({ resolution: 10 });
fakeDelay.enable();

phase = 'placing calls';
say(`placing ${N} calls (16 at a time)`);
let next = 0;
const place = async () => {
  while (next < N) {
    const i = next++;
    const callId = `call_bench_${i}`;
    const token = createHmac('sha256', ready.secret).update(callId).digest('base64url');
    fake.scripts.push({ steps });
    await client.placeCall(
      { account_sid: fake.accountSid, auth_token: fake.authToken },
      {
        to: '+14155550100',
        from: '+14155550199',
        twiml: connectStreamTwiml(`${ready.url}/media`, { call_id: callId, token }),
        // Nothing listens there: the fake's progress callbacks fail at once and it goes on.
        statusCallbackUrl: 'http://127.0.0.1:1/unused',
      },
    );
    placed++;
    if (placed % 50 === 0) say(`${placed}/${N} placed`);
  }
};
await Promise.all(Array.from({ length: Math.min(16, N) }, place));

phase = 'waiting for the streams to open';
child.send({ type: 'count' });
let live = (await nextMessage<{ streams: number }>('a count')).streams;
while (live < N) {
  await new Promise((r) => setTimeout(r, 250));
  child.send({ type: 'count' });
  live = (await nextMessage<{ streams: number }>('a count')).streams;
}
say(`${live} streams open; settling 3 s, then measuring ${SECONDS} s`);
phase = 'settling';
await new Promise((r) => setTimeout(r, 3000));
phase = 'measuring';
fakeDelay.reset();
child.send({ type: 'start-measuring' });
await new Promise((r) => setTimeout(r, SECONDS * 1000));
child.send({ type: 'report' });
const report = await nextMessage<Record<string, number>>('the report');
let played = 0;
for (const c of fake.calls.values()) played += c.playedMs;
const r = (x: number) => Math.round(x * 10) / 10;
const fakeP99 = Math.max(0, fakeDelay.percentile(99) / 1e6 - 10);
console.log(
  [
    `streams live: ${report.streams}/${N} (refused ${report.refused}), ${SECONDS} s measured`,
    `outbound frames: ${report.framesOut} (${r(report.framesOut / SECONDS / Math.max(1, report.streams))}/s per stream, real time is 50)`,
    `outbound frame lateness: p50 ${r(report.lateP50)} ms, p99 ${r(report.lateP99)} ms, max ${r(report.lateMax)} ms (goal p99 < 40 ms)`,
    `inbound frames decoded: ${report.framesIn} (${r(report.framesIn / SECONDS / Math.max(1, report.streams))}/s per stream); marks back: ${report.marksBack}`,
    `Parley side event-loop delay: p99 ${r(report.loopP99)} ms, max ${r(report.loopMax)} ms; CPU ${r(report.cpuPct)}% of one core`,
    `fake Twilio (load generator) event-loop delay: p99 ${r(fakeP99)} ms${fakeP99 > 40 ? ' (behind: the streams were not in real time; a busy machine)' : ''}`,
    `fake callee played ${r(played / 1000 / N)} s of agent audio per stream in all`,
    `load average: ${(await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  ].join('\n'),
);
child.send({ type: 'exit' });
await new Promise((r) => {
  child!.once('exit', r);
  setTimeout(() => child!.kill('SIGKILL'), 5000).unref();
});
await fake.stop();
process.exit(report.lateP99 < 40 && report.streams >= N ? 0 : 1);
