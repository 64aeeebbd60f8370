/**
 * The media path's own CPU per frame, in one process with no network (`node --conditions=parley-source
 * bench/voice-frames.bench.ts`): `BENCH_CALLS` (default 500) web-call transports on stand-in
 * sockets. Inbound: `BENCH_FRAMES` (default 100) 20 ms frames per call go through the transport,
 * the VAD and an utterance recogniser's buffer behind the speech gate (what a listening call does
 * per frame; `BENCH_SILENCE=1`: silent frames, the steady state between turns). Outbound:
 * every call plays 2 s of agent audio paced in real time (the pacer and the framing into one
 * buffer per frame; the socket's write is a no-op). Reports CPU µs per frame each way and the allocation it left
 * (heap growth), from process.cpuUsage: figures that do not depend much on the machine's load.
 */
import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { SpeechGate } from '../src/modules/voice/engine/speech-gate.ts';
import { VoiceActivityDetector } from '../src/modules/voice/engine/vad.ts';
import { WebSocketTransport } from '../src/modules/voice/engine/web-transport.ts';
import { utteranceStream } from '../src/modules/voice/speech/utterances.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 500);
const FRAMES = Number(process.env.BENCH_FRAMES ?? 100);

class StandIn extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent = 0;
  /** The TCP socket under it: the transport writes agent frames here, whole (a no-op write). */
  readonly _socket = {
    destroyed: false,
    writable: true,
    writableLength: 0,
    write: () => {
      this.sent++;
      return true;
    },
  };
  send() {
    this.sent++;
  }
  close() {}
  terminate() {}
}

const speech = Int16Array.from({ length: 320 * 50 }, (_, i) =>
  Math.round(6000 * Math.sin(i / 5) * Math.sin(i / 900)),
);
const calls = await Promise.all(
  Array.from({ length: CALLS }, async () => {
    const sock = new StandIn();
    const vad = await VoiceActivityDetector.create();
    const stt = utteranceStream(
      { final: () => {}, error: () => {} },
      async () => '',
      () => {},
    );
    // As the session does: a recogniser of whole utterances gets speech (and the pre-roll kept
    // by the gate), not the silence between turns.
    const gate = new SpeechGate();
    const onVoice = (speaking: boolean) => {
      if (speaking) gate.flush(stt);
      else stt.finalize();
    };
    let played = 0;
    const t = new WebSocketTransport(sock as unknown as WebSocket, undefined, {
      // No rate bound here: the frames come faster than real time on purpose.
      limits: { burstSeconds: 1e9, idleMs: 0 },
    } as never);
    t.attach({
      audio: (pcm) => {
        if (vad.speaking) stt.push(pcm);
        else gate.keep(pcm);
        vad.push(pcm, onVoice);
      },
      speech: () => {},
      text: () => {},
      dtmf: () => {},
      played: () => played++,
      hungUp: () => {},
    });
    return { sock, t, vad, played: () => played };
  }),
);

// Inbound: each call's frames as `ws` hands them over (a fresh Buffer per message).
const frames = Array.from({ length: 50 }, (_, k) =>
  process.env.BENCH_SILENCE === '1' ? Buffer.alloc(640) : Buffer.from(speech.buffer, k * 640, 640),
);
globalThis.gc?.();
let heap0 = process.memoryUsage().heapUsed;
let cpu0 = process.cpuUsage();
for (let f = 0; f < FRAMES; f++) {
  for (const c of calls) c.sock.emit('message', Buffer.from(frames[f % 50]!), true);
}
let cpu = process.cpuUsage(cpu0);
const inUs = (cpu.user + cpu.system) / (CALLS * FRAMES);
const inHeap = (process.memoryUsage().heapUsed - heap0) / (CALLS * FRAMES);

// Outbound: 2 s of audio each, paced in real time.
globalThis.gc?.();
heap0 = process.memoryUsage().heapUsed;
cpu0 = process.cpuUsage();
const started = performance.now();
for (const c of calls)
  c.t.play({ id: 'seg', text: 'x', audio: speech.slice(0, 320 * 100), durationMs: 2000 });
while (calls.some((c) => c.played() === 0)) await new Promise((r) => setTimeout(r, 50));
cpu = process.cpuUsage(cpu0);
const out = calls.reduce((n, c) => n + c.sock.sent, 0);
const outUs = (cpu.user + cpu.system) / out;
const wall = performance.now() - started;
const outHeap = (process.memoryUsage().heapUsed - heap0) / out;
console.log(
  `${CALLS} calls: inbound ${CALLS * FRAMES} frames, ${inUs.toFixed(2)} µs CPU/frame, heap +${inHeap.toFixed(0)} B/frame; ` +
    `outbound ${out} frames in ${(wall / 1000).toFixed(1)} s, ${outUs.toFixed(2)} µs CPU/frame (pacing, no socket), heap +${outHeap.toFixed(0)} B/frame`,
);
for (const c of calls) c.vad.close();
process.exit(0);
