/**
 * The media path's own CPU per frame, in one process with no network (`node --conditions=parley-source
 * bench/voice-frames.bench.ts`): `BENCH_CALLS` (default 500) web-call transports on stand-in
 * sockets. Inbound: `BENCH_FRAMES` (default 100) 20 ms frames per call go through the transport,
 * the VAD and an utterance recogniser's buffer behind the speech gate (what a listening call does
 * per frame; `BENCH_SILENCE=1`: silent frames, the steady state between turns). Outbound:
 * every call plays 2 s of agent audio paced in real time (the pacer and the framing into one
 * buffer per frame; the socket's write is a no-op). Reports CPU µs per frame each way and the allocation it left
 * (heap growth), from process.cpuUsage: figures that do not depend much on the machine's load.
 *
 * `BENCH_WS=1`: each call is a real `ws` server socket over an in-memory stream (no system calls),
 * so the inbound figure includes `ws`'s frame parsing (or what skips it) and the stream's `data`
 * event, one masked client frame per read as a real-time caller's audio arrives; the outbound one
 * includes the stream write under each socket write.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
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
const WS = process.env.BENCH_WS === '1';
/** Frames that reached the session's side (a check that the path delivered them all). */
let heard = 0;

/** A served `ws` socket over an in-memory stream: `feed` is a read of the TCP socket. */
function wsOverStream() {
  let sent = 0;
  const stream = new Duplex({
    read() {},
    write(_chunk, _enc, cb) {
      sent++;
      cb();
    },
  });
  const ws = new WebSocket(null as unknown as string, undefined, { autoPong: true } as never);
  (ws as unknown as { setSocket: (s: Duplex, h: Buffer, o: object) => void }).setSocket(
    stream,
    Buffer.alloc(0),
    {
      maxPayload: 256 * 1024,
      allowSynchronousEvents: true,
    },
  );
  return {
    ws,
    sock: {
      get sent() {
        return sent;
      },
      emit: (_e: string, data: Buffer) => stream.push(data),
    },
  };
}

const calls = await Promise.all(
  Array.from({ length: CALLS }, async () => {
    const made = WS ? wsOverStream() : null;
    const sock = made ? made.sock : new StandIn();
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
    const t = new WebSocketTransport(made ? made.ws : (sock as unknown as WebSocket), undefined, {
      // No rate bound here: the frames come faster than real time on purpose.
      limits: { burstSeconds: 1e9, idleMs: 0 },
    } as never);
    t.attach({
      audio: (pcm) => {
        heard++;
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
const pcmFrames = Array.from({ length: 50 }, (_, k) =>
  process.env.BENCH_SILENCE === '1' ? Buffer.alloc(640) : Buffer.from(speech.buffer, k * 640, 640),
);
/** With BENCH_WS: each frame as a client sends it (a 4-byte header, a mask, the masked samples). */
const masked = (pcm: Buffer) => {
  const mask = randomBytes(4);
  const body = Buffer.from(pcm);
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([Buffer.from([0x82, 0x80 | 126, pcm.length >> 8, pcm.length & 0xff]), mask, body]);
};
const frames = WS ? pcmFrames.map(masked) : pcmFrames;
// The streams flow from the next tick on (ws resumes them).
await new Promise((r) => setImmediate(r));
globalThis.gc?.();
let heap0 = process.memoryUsage().heapUsed;
let cpu0 = process.cpuUsage();
for (let f = 0; f < FRAMES; f++) {
  // A fresh buffer per read, as a socket's: a frame is unmasked in place.
  for (const c of calls) c.sock.emit('message', Buffer.from(frames[f % 50]!), true);
}
if (WS) await new Promise((r) => setImmediate(r));
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
  `${CALLS} calls${WS ? ' (ws over a stream)' : ''}: inbound ${CALLS * FRAMES} frames (${heard} delivered), ${inUs.toFixed(2)} µs CPU/frame, heap +${inHeap.toFixed(0)} B/frame; ` +
    `outbound ${out} frames in ${(wall / 1000).toFixed(1)} s, ${outUs.toFixed(2)} µs CPU/frame (pacing, no socket), heap +${outHeap.toFixed(0)} B/frame`,
);
for (const c of calls) c.vad.close();
process.exit(0);
