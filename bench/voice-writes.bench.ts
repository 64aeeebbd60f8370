/**
 * What a speaking call's outbound audio costs in socket writes: `BENCH_SOCKETS` (default 200)
 * loopback TCP connections to a reader in another process, each sent 20 ms frames of 16 kHz PCM
 * (644 bytes with the WebSocket header) for `BENCH_SECONDS` (default 10) of audio, one frame per
 * write (every 20 ms) or two per write (every 40 ms). Prints this process's CPU (user + system,
 * the kernel's loopback path included) per second of audio per socket, for each way alternately.
 * `node bench/voice-writes.bench.ts`.
 */
import { fork } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';

if (process.argv[2] === 'reader') {
  const server = createServer((s) => s.on('data', () => {}));
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port));
} else {
  const N = Number(process.env.BENCH_SOCKETS ?? 200);
  const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
  const reader = fork(new URL(import.meta.url).pathname, ['reader']);
  const port = await new Promise<number>((r) => reader.once('message', (p) => r(p as number)));
  const sockets: Socket[] = await Promise.all(
    Array.from(
      { length: N },
      () =>
        new Promise<Socket>((r) => {
          const s = connect(port, '127.0.0.1', () => r(s));
          s.setNoDelay(true);
        }),
    ),
  );
  const run = async (perWrite: number) => {
    const buf = Buffer.alloc(644 * perWrite, 1);
    const every = 20 * perWrite;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    let writes = 0;
    await new Promise<void>((done) => {
      const tick = () => {
        if (performance.now() - t0 >= SECONDS * 1000) return done();
        for (const s of sockets) s.write(buf);
        writes += sockets.length;
        setTimeout(tick, every);
      };
      tick();
    });
    const used = process.cpuUsage(cpu);
    const wall = (performance.now() - t0) / 1000;
    const ms = (used.user + used.system) / 1000;
    return { perWrite, writes, msPerSocketSecond: ms / (N * wall), usPerWrite: (ms * 1000) / writes };
  };
  const { loadavg } = await import('node:os');
  for (let round = 0; round < 2; round++)
    for (const k of [1, 2]) {
      const r = await run(k);
      console.log(
        `${k} frame(s) per write: ${r.writes} writes, ${r.msPerSocketSecond.toFixed(3)} ms of CPU per socket-second of audio, ${r.usPerWrite.toFixed(1)} µs per write (load average ${loadavg()[0].toFixed(1)})`,
      );
    }
  for (const s of sockets) s.destroy();
  reader.kill();
}
