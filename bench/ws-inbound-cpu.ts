/**
 * Server CPU per inbound audio frame on the media WebSocket, three ways: `ws`'s own parser with
 * `bufferutil` (the optional native unmasking `ws` loads when it is installed), `ws`'s parser
 * without it (WS_NO_BUFFER_UTIL=1), and the hand-written frame path (fast-inbound.ts, which
 * unmasks in JavaScript and skips `ws`'s parser). CPU time of the server process (user +
 * system), not wall time, so a loaded machine changes the figure little.
 *
 *   node bench/ws-inbound-cpu.ts            runs the three, each in its own server process
 *
 * `bufferutil` is not a dependency (the hand-written path was kept: BENCHMARKS.md, issue 52);
 * `npm install --no-save bufferutil` first to include the first mode, else it is skipped.
 *   BENCH_CLIENTS=200 BENCH_FRAMES=250      clients and 20 ms frames (640 bytes) per client, paced in real time
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { readBinaryFramesDirectly } from '../src/modules/voice/engine/fast-inbound.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 200);
const FRAMES = Number(process.env.BENCH_FRAMES ?? 250);

async function server(mode: string) {
  const wss = new WebSocketServer({ port: 0, perMessageDeflate: false });
  await new Promise((r) => wss.once('listening', r));
  let frames = 0;
  let bytes = 0;
  /** Frames that came through `ws`'s 'message' event (on the hand-written path: the reads it left to `ws`). */
  let viaWs = 0;
  let start: NodeJS.CpuUsage | null = null;
  const total = CLIENTS * FRAMES;
  wss.on('connection', (ws) => {
    const onBinary = (data: Buffer) => {
      // What the transport does first with a frame: read its samples.
      if (frames === 0) start = process.cpuUsage();
      frames++;
      bytes += data.length;
      if (frames === total) {
        const used = process.cpuUsage(start ?? undefined);
        process.send?.({ mode, frames, bytes, viaWs, cpuMicros: used.user + used.system });
      }
    };
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      viaWs++;
      onBinary(data as Buffer);
    });
    if (mode === 'hand-written') readBinaryFramesDirectly(ws, onBinary);
  });
  const port = (wss.address() as { port: number }).port;
  process.send?.({ port });
}

async function clients(port: number) {
  const frame = Buffer.alloc(640, 7);
  const sockets = await Promise.all(
    Array.from(
      { length: CLIENTS },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  // One frame per socket every 20 ms, as a caller's audio arrives (each its own read on the
  // server; frames sent faster than the server reads would share reads, which the hand-written
  // path leaves to `ws`).
  const started = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    for (const ws of sockets) ws.send(frame, { binary: true });
    const next = started + (i + 1) * 20;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const ws of sockets) ws.terminate();
}

async function run(mode: string): Promise<{ frames: number; viaWs: number; cpuMicros: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_ROLE: 'server', BENCH_MODE: mode };
  if (mode !== 'ws + bufferutil') env.WS_NO_BUFFER_UTIL = '1';
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((r) => child.once('message', (m: { port: number }) => r(m.port)));
  const result = new Promise<{ frames: number; viaWs: number; cpuMicros: number }>((r) =>
    child.once('message', (m: { frames: number; viaWs: number; cpuMicros: number }) => r(m)),
  );
  await clients(port);
  const got = await Promise.race([result, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
  child.kill();
  if (!got) throw new Error(`${mode}: the server did not receive every frame`);
  return got;
}

if (process.env.BENCH_ROLE === 'server') await server(process.env.BENCH_MODE!);
else {
  console.log(`${CLIENTS} clients × ${FRAMES} frames of 640 bytes; server CPU (user + system) per frame`);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const modes = ['ws + bufferutil', 'ws without bufferutil', 'hand-written'];
  const hasBufferutil = await import('bufferutil' as string).then(
    () => true,
    () => false,
  );
  if (!hasBufferutil) console.log('(bufferutil is not installed: its mode is skipped)');
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      if (mode === 'ws + bufferutil' && !hasBufferutil) continue;
      const r = await run(mode);
      console.log(
        `${mode.padEnd(24)} ${(r.cpuMicros / r.frames).toFixed(2)} µs/frame (${r.frames} frames, ${r.viaWs} through ws's parser)`,
      );
    }
  }
}
