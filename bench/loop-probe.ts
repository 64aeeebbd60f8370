/**
 * Loaded into a benchmarked server with `--import` (see `startServer`'s `nodeArgs`): measures the
 * server's own event-loop delay (beyond the probe's 10 ms timer) and CPU. Each SIGUSR2 writes what was measured since the previous
 * one (or since start) to `BENCH_LOOP_FILE` as JSON and starts a new window, so the benchmark
 * sends one signal when it starts measuring and one when it stops. Under `PARLEY_PROCESSES=N` every
 * process loads it (node:cluster forks with the primary's flags): a forked process writes
 * `BENCH_LOOP_FILE.<its pid>`, so the benchmark signals each and reads each.
 */
import cluster from 'node:cluster';
import { renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const base = process.env.BENCH_LOOP_FILE;
const file = base && cluster.isWorker ? `${base}.${process.pid}` : base;
if (file) {
  // The histogram holds the time between the probe's timer firings, the resolution included:
  // the delay is what passes beyond it.
  const resolution = 10;
  const delay = monitorEventLoopDelay({ resolution });
  delay.enable();
  let cpu = process.cpuUsage();
  let t0 = performance.now();
  process.on('SIGUSR2', () => {
    const used = process.cpuUsage(cpu);
    const wall = performance.now() - t0;
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - resolution) * 100) / 100);
    const report = {
      seconds: Math.round(wall) / 1000,
      loopP50: ms(delay.percentile(50)),
      loopP99: ms(delay.percentile(99)),
      loopMax: ms(delay.max),
      cpuPct: Math.round(((used.user + used.system) / 1000 / wall) * 1000) / 10,
      rssMb: Math.round(process.memoryUsage.rss() / 1048576),
      // The monotonic clock in µs, as a --cpu-prof profile's timestamps are: the window's end.
      atUs: Number(process.hrtime.bigint() / 1000n),
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
    delay.reset();
    cpu = process.cpuUsage();
    t0 = performance.now();
  });
}
