/**
 * Phone lines: N concurrent Twilio Media Streams in real time (issue 15's goal: at least 200,
 * outbound frames late by less than 40 ms at p99). The fake Twilio (this process) places N
 * calls' streams at the Parley side (its own process, bench/lines-media-server.ts): each stream
 * sends the caller's 20 ms μ-law frames (speech 1.5 s, silence 1 s, repeated), plays what it
 * gets back in real time and echoes marks; the Parley side decodes every inbound frame and keeps
 * agent speech flowing out, paced. `BENCH_STREAMS` (default 200), `BENCH_SECONDS` (default 20).
 */
import { fork } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { TwilioVoiceClient } from '../src/modules/voice/carriers/twilio/twilio-voice.client.ts';
import { connectStreamTwiml } from '../src/modules/voice/carriers/twilio/twiml.ts';
import { FakeTwilioVoice } from '../test/fakes/twilio-voice.ts';

const N = Number(process.env.BENCH_STREAMS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);

const fake = new FakeTwilioVoice();
await fake.start();
const child = fork(new URL('./lines-media-server.ts', import.meta.url).pathname, [], {
  execArgv: ['--disable-warning=ExperimentalWarning'],
  env: { ...process.env, BENCH_TWILIO_TOKEN: fake.authToken },
});
const [ready] = (await once(child, 'message')) as [{ url: string; secret: string }];
const client = new TwilioVoiceClient({ apiUrl: fake.url });
const steps = Array.from({ length: 200 }, () => [{ say: 1500 }, { pause: 1000 }]).flat();
for (let i = 0; i < N; i++) {
  const callId = `call_bench_${i}`;
  const token = createHmac('sha256', ready.secret).update(callId).digest('base64url');
  fake.scripts.push({ steps });
  await client.placeCall(
    { account_sid: fake.accountSid, auth_token: fake.authToken },
    {
      to: '+14155550100',
      from: '+14155550199',
      twiml: connectStreamTwiml(`${ready.url}/media`, { call_id: callId, token }),
      statusCallbackUrl: 'http://127.0.0.1:1/unused',
    },
  );
}
// Let every stream open and settle, then measure.
await new Promise((r) => setTimeout(r, 3000));
child.send({ type: 'start-measuring' });
await new Promise((r) => setTimeout(r, SECONDS * 1000));
child.send({ type: 'report' });
const [report] = (await once(child, 'message')) as [Record<string, number>];
let played = 0;
for (const c of fake.calls.values()) played += c.playedMs;
const r = (x: number) => Math.round(x * 10) / 10;
console.log(
  [
    `streams live: ${report.streams}/${N} (refused ${report.refused}), ${SECONDS} s measured`,
    `outbound frames: ${report.framesOut} (${r(report.framesOut / SECONDS / Math.max(1, report.streams))}/s per stream, real time is 50)`,
    `outbound frame lateness: p50 ${r(report.lateP50)} ms, p99 ${r(report.lateP99)} ms, max ${r(report.lateMax)} ms (goal p99 < 40 ms)`,
    `inbound frames decoded: ${report.framesIn}; marks back: ${report.marksBack}`,
    `Parley side event-loop delay: p99 ${r(report.loopP99)} ms, max ${r(report.loopMax)} ms; CPU ${r(report.cpuPct)}% of one core`,
    `fake callee played ${r(played / 1000 / N)} s of agent audio per stream in all`,
  ].join('\n'),
);
child.kill();
await fake.stop();
process.exit(report.lateP99 < 40 && report.streams >= N ? 0 : 1);
