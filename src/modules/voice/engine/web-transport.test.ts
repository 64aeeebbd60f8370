import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import { utteranceStream } from '../speech/utterances.ts';
import type { DropReason } from './media-limits.ts';
import type { TransportSink } from './types.ts';
import { VoiceActivityDetector } from './vad.ts';
import { WebSocketTransport } from './web-transport.ts';

/** A stand-in for a served `ws` socket: records what is sent, and lets a test set its send buffer. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  binary: Buffer[] = [];
  text: Array<Record<string, unknown>> = [];
  closedWith: { code: number; reason: string } | null = null;
  terminated = false;
  send(data: Buffer | string) {
    if (typeof data === 'string') this.text.push(JSON.parse(data));
    else this.binary.push(Buffer.from(data));
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
  }
}

function setup(limits: Record<string, number> = {}) {
  const sock = new FakeSocket();
  const dropped: DropReason[] = [];
  const closed: string[] = [];
  const audio: Int16Array[] = [];
  const played: string[] = [];
  const t = new WebSocketTransport(sock as unknown as WebSocket, undefined, {
    limits: { idleMs: 0, ...limits },
    stats: { dropped: (r) => dropped.push(r), closed: (r) => closed.push(r) },
  });
  const sink: TransportSink = {
    audio: (pcm) => audio.push(pcm.slice()),
    speech: () => {},
    text: () => {},
    dtmf: () => {},
    played: (id) => played.push(id),
    hungUp: () => {},
  };
  t.attach(sink);
  const frame = (bytes = 640, fill = 1) => sock.emit('message', Buffer.alloc(bytes, fill), true);
  return { sock, t, dropped, closed, audio, played, frame };
}

const until = async (what: () => boolean, ms = 3_000) => {
  const end = performance.now() + ms;
  while (!what()) {
    if (performance.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('audio at 10x real time: the burst is taken, the rest dropped and counted, then the socket closes 4429', () => {
  const { sock, dropped, closed, audio, frame } = setup({ burstSeconds: 1, overrunCloseSeconds: 2 });
  // 20 ms frames sent back to back (far faster than 50 a second): 1 s of burst is 50 frames.
  for (let i = 0; i < 200 && !sock.closedWith; i++) frame();
  assert.ok(audio.length >= 50 && audio.length <= 52, `took ${audio.length} frames`);
  assert.ok(dropped.length >= 100, `dropped ${dropped.length}`);
  assert.ok(dropped.every((r) => r === 'over_rate'));
  assert.deepEqual(sock.closedWith?.code, 4429);
  assert.match(sock.closedWith?.reason ?? '', /too fast/);
  assert.deepEqual(closed, ['too_fast']);
  assert.equal(sock.text.at(-1)?.code, 4429);
});

test('frames of the wrong size are dropped and counted, the client told once; whole frames still pass', () => {
  const { sock, dropped, audio, frame } = setup();
  frame(641);
  frame(1);
  frame(40_000);
  assert.deepEqual(dropped, ['bad_size', 'bad_size', 'bad_size']);
  assert.equal(audio.length, 0);
  assert.equal(sock.text.filter((m) => m.type === 'error').length, 1);
  assert.match(String(sock.text[0]?.message), /even number of bytes/);
  frame(640, 3);
  frame(320, 3); // 10 ms is a fine size too
  assert.deepEqual(
    audio.map((a) => a.length),
    [320, 160],
  );
  assert.equal(audio[0]?.[0], 0x0303);
  assert.equal(sock.closedWith, null);
});

test('an odd-offset frame is copied, an aligned one is viewed: both read the same samples', () => {
  const { sock, audio } = setup();
  const backing = Buffer.alloc(1 + 640);
  backing.writeInt16LE(1234, 1);
  sock.emit('message', backing.subarray(1), true);
  assert.equal(audio[0]?.[0], 1234);
});

test('a slow reader: agent frames are dropped past the send buffer, then the socket closes 4408', async () => {
  const { sock, t, dropped, closed, played } = setup({ sendBufferBytes: 1000, slowReaderCloseMs: 200 });
  t.play({ id: 's1', text: 'hi', audio: new Int16Array(320 * 5), durationMs: 100 });
  await until(() => played.includes('s1'));
  assert.equal(sock.binary.length, 5);
  sock.bufferedAmount = 5000; // the client stopped reading
  t.play({ id: 's2', text: 'long', audio: new Int16Array(320 * 50), durationMs: 1000 });
  await until(() => sock.closedWith !== null);
  assert.equal(sock.binary.length, 5, 'nothing more was queued for the client');
  assert.ok(dropped.length >= 10 && dropped.every((r) => r === 'slow_reader'), `${dropped.length}`);
  assert.equal(sock.closedWith?.code, 4408);
  assert.match(sock.closedWith?.reason ?? '', /slow reader/);
  assert.deepEqual(closed, ['slow_reader']);
});

test('an idle socket (nothing received) is closed 4408 after the idle time; one that sends is not', async () => {
  const quiet = setup({ idleMs: 150 });
  const busy = setup({ idleMs: 150 });
  const feed = setInterval(() => busy.frame(), 20);
  try {
    await until(() => quiet.sock.closedWith !== null);
    assert.equal(quiet.sock.closedWith?.code, 4408);
    assert.match(quiet.sock.closedWith?.reason ?? '', /idle/);
    assert.deepEqual(quiet.closed, ['idle']);
    assert.equal(busy.sock.closedWith, null);
  } finally {
    clearInterval(feed);
  }
});

test('agent audio is paced: frames go out 20 ms apart, in order, and `played` once the last has gone', async () => {
  const { sock, t, played } = setup();
  const pcm = Int16Array.from({ length: 320 * 10 }, (_, i) => Math.floor(i / 320));
  const started = performance.now();
  t.play({ id: 'a', text: 'x', audio: pcm, durationMs: 200 });
  await until(() => played.includes('a'));
  const took = performance.now() - started;
  assert.equal(sock.binary.length, 10);
  assert.deepEqual(
    sock.binary.map((b) => b.readInt16LE(0)),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.ok(took >= 170, `10 frames in ${took} ms`);
});

test('the VAD takes frames in any split without losing or repeating samples', async () => {
  const tone = Int16Array.from({ length: 320 * 30 }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
  const whole: boolean[] = [];
  const split: boolean[] = [];
  const a = await VoiceActivityDetector.create();
  const b = await VoiceActivityDetector.create();
  for (let off = 0; off < tone.length; off += 320)
    a.push(tone.subarray(off, off + 320), (s) => whole.push(s));
  for (let off = 0; off < tone.length; off += 100)
    b.push(tone.subarray(off, off + 100), (s) => split.push(s));
  a.close();
  b.close();
  assert.deepEqual(split, whole);
  assert.equal(whole[0], true);
});

test('an utterance keeps at most its limit (the newest half once over it), copied (the pushed arrays are not kept)', async () => {
  const heard: Int16Array[] = [];
  const s = utteranceStream(
    { final: () => {}, error: () => {} },
    async (pcm) => {
      heard.push(pcm);
      return '';
    },
    () => {},
    1000,
  );
  const frame = new Int16Array(320);
  for (let i = 0; i < 10; i++) {
    frame.fill(i);
    s.push(frame); // the same array every time: the stream must copy it
  }
  s.finalize();
  await until(() => heard.length === 1);
  // 3,200 samples pushed in frames of 320 with a limit of 1,000: each time the next frame would
  // go over, the buffer keeps its newest 180 (half the limit less the frame): frame 8's last 180
  // samples and frame 9 at the end.
  assert.equal(heard[0]!.length, 500);
  assert.deepEqual([heard[0]![0], heard[0]![179], heard[0]![180], heard[0]![499]], [8, 8, 9, 9]);
});
