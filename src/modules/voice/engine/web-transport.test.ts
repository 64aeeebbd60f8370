import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type { WebSocket } from 'ws';
import { utteranceStream } from '../speech/utterances.ts';
import type { DropReason } from './media-limits.ts';
import { pacer } from './pacer.ts';
import type { TransportSink } from './types.ts';
import { VoiceActivityDetector } from './vad.ts';
import { WebSocketTransport } from './web-transport.ts';

/**
 * A stand-in for a served `ws` socket: records what is sent, and lets a test set its send buffer.
 * Like `ws`, it emits `close` once closed or terminated (the client answers the close frame at
 * once), so the transport stops pacing its audio: the pacer is one per process, and a transport
 * left pacing would outlive this file when test files share a process (scripts/test-shards.ts).
 */
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
    setImmediate(() => this.#end(code, reason));
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
    setImmediate(() => this.#end(1006, ''));
  }
  #ended = false;
  #end(code: number, reason: string) {
    this.readyState = 3;
    if (this.#ended) return;
    this.#ended = true;
    this.emit('close', code, Buffer.from(reason));
  }
}

/** Every transport a test made, hung up by the last test of this file. */
const made: WebSocketTransport[] = [];

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
  made.push(t);
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
  const started = performance.now();
  for (let i = 0; i < 200 && !sock.closedWith; i++) frame();
  // The budget refills in real time (one frame per 20 ms): a loop slowed by a busy machine may
  // earn a frame or two more than the burst, never more than its time allows.
  const earned = Math.ceil((performance.now() - started) / 20);
  assert.ok(
    audio.length >= 50 && audio.length <= 52 + earned,
    `took ${audio.length} frames (${earned} earned)`,
  );
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

test('agent audio is paced: frames go out two at a time 40 ms apart, in order, and `played` once the last has gone', async () => {
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
  // Pairs at 0, 40, 80, 120 and 160 ms.
  assert.ok(took >= 150, `10 frames in ${took} ms`);
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

/** The TCP socket under a served ws socket: what the transport writes to it, write by write. */
class RawSocket {
  destroyed = false;
  writable = true;
  writableLength = 0;
  writes: Buffer[] = [];
  /** The bytes as they were when written (a reused buffer must not change them after). */
  copies: Buffer[] = [];
  write(b: Buffer) {
    this.writes.push(b);
    this.copies.push(Buffer.from(b));
    return true;
  }
}

test('agent frames are written whole (header and samples), two to a write, from a reused buffer', async () => {
  const { sock, t, played } = setup();
  const raw = new RawSocket();
  (sock as unknown as { _socket: RawSocket })._socket = raw;
  // 3 whole frames and a last one of 100 samples (200 bytes), then one of 20 samples (40 bytes).
  const pcm = Int16Array.from({ length: 320 * 3 + 100 }, (_, i) => i);
  t.play({ id: 'a', text: 'x', audio: pcm, durationMs: 66 });
  t.play({ id: 'b', text: 'y', audio: Int16Array.from({ length: 20 }, () => -2), durationMs: 2 });
  await until(() => played.includes('b'));
  assert.equal(sock.binary.length, 0, 'nothing went through ws.send');
  // Frames 0 and 1; 2 and the short 3 (a's last: written before a counts as played); then b's.
  assert.deepEqual(
    raw.copies.map((b) => b.length),
    [644 * 2, 644 + 204, 42],
  );
  const frames = [
    raw.copies[0]!.subarray(0, 644),
    raw.copies[0]!.subarray(644),
    raw.copies[1]!.subarray(0, 644),
  ];
  for (const [k, b] of frames.entries()) {
    assert.deepEqual([...b.subarray(0, 4)], [0x82, 126, 0x02, 0x80], 'FIN, binary, 16-bit length 640');
    assert.equal(b.readInt16LE(4), k * 320);
    assert.equal(b.readInt16LE(642), k * 320 + 319);
  }
  const short = raw.copies[1]!.subarray(644);
  assert.deepEqual([...short.subarray(0, 4)], [0x82, 126, 0, 200]);
  assert.equal(short.readInt16LE(4), 960);
  assert.equal(short.readInt16LE(202), 1059);
  assert.deepEqual([...raw.copies[2]!.subarray(0, 2)], [0x82, 40], 'under 126 bytes: a 7-bit length');
  assert.equal(raw.copies[2]!.readInt16LE(2), -2);
  assert.equal(raw.writes[0]!.buffer, raw.writes[1]!.buffer, 'the same buffer for every write');
});

test("a segment's last frames are written before it counts as played, a short one alone", async () => {
  const { t, sock, played } = setup();
  const raw = new RawSocket();
  (sock as unknown as { _socket: RawSocket })._socket = raw;
  const order: string[] = [];
  const write = raw.write.bind(raw);
  raw.write = (b: Buffer) => {
    order.push(`write ${b.length}, played so far: ${played.join(',')}`);
    return write(b);
  };
  // One frame of 30 samples (60 bytes: a 2-byte header), then a whole frame of the next segment.
  t.play({ id: 'a', text: 'x', audio: Int16Array.from({ length: 30 }, () => 7), durationMs: 2 });
  t.play({ id: 'b', text: 'y', audio: Int16Array.from({ length: 320 }, () => 9), durationMs: 20 });
  await until(() => played.includes('b'));
  assert.deepEqual(order, ['write 62, played so far: ', 'write 644, played so far: a']);
  const [w1, w2] = raw.copies;
  assert.deepEqual([...w1!.subarray(0, 2)], [0x82, 60]);
  assert.equal(w1!.readInt16LE(2), 7);
  assert.deepEqual([...w2!.subarray(0, 4)], [0x82, 126, 0x02, 0x80]);
  assert.equal(w2!.readInt16LE(4), 9);
});

test('a write that had to wait keeps its buffer: the next write is built in a new one', async () => {
  const { sock, t, played } = setup();
  const raw = new RawSocket();
  (sock as unknown as { _socket: RawSocket })._socket = raw;
  const pcm = Int16Array.from({ length: 320 * 4 }, (_, i) => (i < 640 ? 1 : 2));
  const write = raw.write.bind(raw);
  raw.write = (b: Buffer) => {
    raw.writableLength += b.length; // the kernel took none of it: it waits in the socket
    return write(b);
  };
  t.play({ id: 'a', text: 'x', audio: pcm, durationMs: 80 });
  await until(() => played.includes('a'));
  assert.equal(raw.writes.length, 2);
  assert.ok(
    raw.writes[0]!.byteOffset !== raw.writes[1]!.byteOffset ||
      raw.writes[0]!.buffer !== raw.writes[1]!.buffer,
  );
  assert.deepEqual(raw.writes[0], raw.copies[0], 'the waiting write was not overwritten');
  assert.equal(raw.writes[0]!.readInt16LE(4), 1);
  assert.equal(raw.writes[0]!.readInt16LE(644 + 4), 1);
  assert.equal(raw.writes[1]!.readInt16LE(4), 2);
});

test('leaves no transport pacing audio in the process-wide pacer once its calls are hung up', async () => {
  for (const t of made) await t.hangup();
  assert.equal(pacer.size, 0);
});
