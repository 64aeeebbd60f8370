/**
 * The Parley side of the media-streams benchmark, in its own process: a WebSocket endpoint that
 * checks each upgrade's X-Twilio-Signature and each stream's call token, then runs what a Twilio
 * leg costs Parley per call: inbound μ-law decoded and resampled to 16 kHz with an energy gate
 * (the VAD's input), and agent speech (16 kHz PCM) resampled, μ-law encoded and paced out in
 * real time with a mark per segment. It reports outbound frame lateness and event-loop delay.
 */
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import { MulawDecoder16k, MulawEncoder16k } from '../src/modules/voice/audio/codec.ts';
import { TwilioMediaStream } from '../src/modules/voice/carriers/twilio/media-stream.ts';
import { verifyTwilioSignature } from '../src/modules/voice/carriers/twilio/twilio-voice.status.ts';

const authToken = process.env.BENCH_TWILIO_TOKEN ?? '';
const secret = 'bench-call-token-secret';
const tokenOf = (callId: string) => createHmac('sha256', secret).update(callId).digest('base64url');

// One second of agent speech at 16 kHz (a voiced tone with a syllable rhythm), made once.
const speech = Int16Array.from({ length: 16_000 }, (_, i) => {
  const t = i / 16_000;
  return Math.round(5000 * Math.sin(2 * Math.PI * 160 * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t)));
});

const late: number[] = [];
let framesIn = 0;
let marksBack = 0;
let refused = 0;
let streams = 0;
const delay = monitorEventLoopDelay({ resolution: 10 });

const wss = new WebSocketServer({ noServer: true });
const server = createServer((_req, res) => res.writeHead(404).end());
let base = '';
server.on('upgrade', (req, socket, head) => {
  if (!verifyTwilioSignature(authToken, req.headers['x-twilio-signature'], `${base}${req.url}`)) {
    refused++;
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const dec = new MulawDecoder16k();
    const enc = new MulawEncoder16k();
    let segment = 0;
    let loud = 0;
    let accepted = false;
    const speak = () => {
      if (stream.ended) return;
      stream.sendAudio(enc.encode(speech));
      stream.mark(`seg-${++segment}`);
    };
    const stream = new TwilioMediaStream(ws, {
      onStart: (s) => {
        const ok = s.customParameters.token === tokenOf(s.customParameters.call_id ?? '');
        if (ok) {
          accepted = true;
          streams++;
          setImmediate(() => {
            speak();
            speak();
          });
        }
        return ok;
      },
      onAudio: (mulaw) => {
        framesIn++;
        const pcm = dec.decode(mulaw);
        let e = 0;
        for (let i = 0; i < pcm.length; i++) e += pcm[i] * pcm[i];
        if (Math.sqrt(e / pcm.length) > 500) loud++;
      },
      // Keep about two seconds queued: a new segment each time one finishes playing.
      onMark: (_name, played) => {
        marksBack++;
        if (played) speak();
      },
      onFrameSent: (ms) => late.push(ms),
      onStop: () => {
        if (accepted) streams--;
        void loud;
      },
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.send?.({ type: 'ready', url: base, secret });
});

process.on('message', (msg: { type: string }) => {
  if (msg.type === 'count') process.send?.({ type: 'count', streams });
  // A clean exit, so that a CPU profile (BENCH_PROF=1) is written.
  if (msg.type === 'exit') process.exit(0);
  if (msg.type === 'start-measuring') {
    late.length = 0;
    framesIn = 0;
    marksBack = 0;
    delay.reset();
    delay.enable();
    process.cpuUsage();
    (globalThis as any).__cpu = process.cpuUsage();
    (globalThis as any).__t0 = performance.now();
  }
  if (msg.type === 'report') {
    delay.disable();
    const cpu = process.cpuUsage((globalThis as any).__cpu);
    const wall = performance.now() - (globalThis as any).__t0;
    const sorted = Float64Array.from(late).sort();
    const pct = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    process.send?.({
      type: 'report',
      streams,
      refused,
      framesOut: sorted.length,
      framesIn,
      marksBack,
      lateP50: pct(50),
      lateP99: pct(99),
      lateMax: sorted[sorted.length - 1] ?? 0,
      // Beyond the histogram's 10 ms timer (as bench/loop-probe.ts reports it).
      loopP99: Math.max(0, delay.percentile(99) / 1e6 - 10),
      loopMax: Math.max(0, delay.max / 1e6 - 10),
      cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    });
  }
});
