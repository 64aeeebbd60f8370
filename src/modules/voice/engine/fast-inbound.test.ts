import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { after, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { readBinaryFramesDirectly } from './fast-inbound.ts';

/** A served socket with the fast path on: what came through it and what came as `ws` messages. */
async function served() {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 256 * 1024 });
  const direct: Buffer[] = [];
  const messages: Array<{ data: Buffer; binary: boolean }> = [];
  const closed: number[] = [];
  const errors: string[] = [];
  let installed: boolean | null = null;
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer, binary) => messages.push({ data: Buffer.from(data), binary }));
    ws.on('close', (code) => closed.push(code));
    ws.on('error', (err) => errors.push(err.message));
    installed = readBinaryFramesDirectly(ws, (p) => direct.push(Buffer.from(p)));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise((r) => client.once('open', r));
  while (installed === null) await new Promise((r) => setImmediate(r));
  after(() => {
    client.terminate();
    wss.close();
    http.close();
  });
  const received = () => direct.length + messages.length;
  const until = async (what: () => boolean) => {
    const end = performance.now() + 3_000;
    while (!what()) {
      if (performance.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return { client, direct, messages, closed, errors, installed: installed as boolean, received, until };
}

/** A client's masked frame, as the wire carries it. */
function maskedFrame(payload: Buffer, opcode = 0x2, fin = true): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
      : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([head, mask, body]);
}

test('whole binary frames at the start of a read skip ws; text, split and fragmented frames, and what follows them in the read, go through ws unchanged', async () => {
  const s = await served();
  assert.equal(s.installed, true);

  // Audio frames of every length form and odd tails: each is its own read, unmasked intact.
  const sent: Buffer[] = [];
  for (const bytes of [640, 2, 125, 126, 641, 4000]) {
    const payload = randomBytes(bytes);
    sent.push(payload);
    const before = s.received();
    s.client.send(payload, { binary: true });
    await s.until(() => s.received() === before + 1);
  }
  const got = [...s.direct, ...s.messages.filter((m) => m.binary).map((m) => m.data)];
  assert.equal(got.length, sent.length);
  // Each one-frame read went the fast way (a loopback write of one small frame is one read).
  assert.ok(s.direct.length >= 1, 'no frame took the direct path');
  for (const p of sent)
    assert.ok(
      got.some((g) => g.equals(p)),
      `a ${p.length}-byte frame was not received intact`,
    );

  // A frame split over two reads, two frames in one read, and a fragmented message: ws's parser.
  const raw = (s.client as unknown as { _socket: Socket })._socket;
  const a = randomBytes(640);
  const b = randomBytes(300);
  const c = randomBytes(200);
  const split = maskedFrame(a);
  let before = s.messages.length;
  raw.write(split.subarray(0, 100));
  await new Promise((r) => setTimeout(r, 30));
  raw.write(split.subarray(100));
  await s.until(() => s.messages.length === before + 1);
  assert.ok(s.messages.at(-1)!.data.equals(a));
  // Two whole frames in one read: both the direct way, in order.
  let directBefore = s.direct.length;
  raw.write(Buffer.concat([maskedFrame(b), maskedFrame(c)]));
  await s.until(() => s.direct.length === directBefore + 2);
  assert.ok(s.direct.at(-2)!.equals(b));
  assert.ok(s.direct.at(-1)!.equals(c));
  // A whole frame, then a text frame and the start of another binary one in the same read: the
  // first the direct way, the rest (and the next read, the binary frame's end) through ws, in order.
  const e = randomBytes(640);
  const f = randomBytes(640);
  const g = randomBytes(640);
  const tail = maskedFrame(g);
  directBefore = s.direct.length;
  before = s.messages.length;
  raw.write(
    Buffer.concat([
      maskedFrame(e),
      maskedFrame(Buffer.from('{"type":"x"}'), 0x1),
      maskedFrame(f),
      tail.subarray(0, 50),
    ]),
  );
  await new Promise((r) => setTimeout(r, 30));
  raw.write(tail.subarray(50));
  await s.until(() => s.messages.length === before + 3);
  assert.equal(s.direct.length, directBefore + 1);
  assert.ok(s.direct.at(-1)!.equals(e));
  assert.deepEqual(
    s.messages.slice(-3).map((m) => m.binary),
    [false, true, true],
  );
  assert.equal(s.messages.at(-3)!.data.toString(), '{"type":"x"}');
  assert.ok(s.messages.at(-2)!.data.equals(f));
  assert.ok(s.messages.at(-1)!.data.equals(g));
  // A first fragment alone in its read is not final: ws holds it until the last one.
  const d = randomBytes(400);
  before = s.messages.length;
  raw.write(maskedFrame(d.subarray(0, 150), 0x2, false));
  await new Promise((r) => setTimeout(r, 30));
  raw.write(maskedFrame(d.subarray(150), 0x0, true));
  await s.until(() => s.messages.length === before + 1);
  assert.ok(s.messages.at(-1)!.data.equals(d));

  // Text goes to ws as ever; a close frame too.
  before = s.messages.length;
  s.client.send(JSON.stringify({ type: 'hangup' }));
  await s.until(() => s.messages.length === before + 1);
  assert.deepEqual(JSON.parse(s.messages.at(-1)!.data.toString()), { type: 'hangup' });
  s.client.close(1000, 'bye');
  await s.until(() => s.closed.length === 1);
  assert.equal(s.closed[0], 1000);
});

test("an unmasked client frame still meets ws's refusal (an error, the socket closed)", async () => {
  const s = await served();
  const raw = (s.client as unknown as { _socket: Socket })._socket;
  const clientClosed = new Promise<number>((r) => s.client.once('close', (code) => r(code)));
  raw.write(Buffer.concat([Buffer.from([0x82, 4]), Buffer.from([1, 2, 3, 4])]));
  await s.until(() => s.closed.length === 1);
  assert.match(s.errors.join(), /MASK must be set/);
  assert.equal(s.direct.length, 0);
  assert.ok([1002, 1006].includes(await clientClosed));
});
