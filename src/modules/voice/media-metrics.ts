import { Counter, Gauge, type Metric } from 'prom-client';
import type { DropReason, MediaStats } from './engine/media-limits.ts';

/** How often the CPU-per-call gauge samples the calls held, and the window it reports. */
const SAMPLE_MS = 1_000;
const WINDOW_SAMPLES = 10;

/**
 * The media sockets' bounds as metrics (frames dropped, sockets closed, by reason), and this
 * process's CPU per call: the process's CPU time over the last ~10 s divided by the call-seconds
 * held in it (calls sampled each second), in milliseconds of CPU per call-second. It counts the
 * whole process (API requests and jobs too), so it is the cost of a call where calls dominate.
 */
export class MediaMetrics implements MediaStats {
  readonly droppedFrames = new Counter({
    name: 'parley_media_frames_dropped_total',
    help: 'Media socket frames dropped: over_rate (audio faster than real time past the burst), bad_size (odd or over 1 s), slow_reader (agent audio not sent: the client is not reading).',
    labelNames: ['reason'],
    registers: [],
  });
  readonly closedSockets = new Counter({
    name: 'parley_media_sockets_closed_total',
    help: 'Media sockets closed for going over a bound: too_fast (4429), idle (4408), slow_reader (4408).',
    labelNames: ['reason'],
    registers: [],
  });
  #cpuMsPerCallSecond = 0;
  #timer: NodeJS.Timeout | null = null;

  dropped(reason: DropReason, frames = 1) {
    this.droppedFrames.inc({ reason }, frames);
  }

  closed(reason: 'too_fast' | 'idle' | 'slow_reader') {
    this.closedSockets.inc({ reason });
  }

  /** Starts sampling `calls()` (the calls held in this process) each second. */
  start(calls: () => number) {
    if (this.#timer) return;
    let cpu = process.cpuUsage();
    let callMs = 0;
    let samples = 0;
    let last = performance.now();
    this.#timer = setInterval(() => {
      const now = performance.now();
      callMs += calls() * (now - last);
      last = now;
      if (++samples < WINDOW_SAMPLES) return;
      const used = process.cpuUsage(cpu);
      cpu = process.cpuUsage();
      this.#cpuMsPerCallSecond = callMs > 0 ? (used.user + used.system) / 1000 / (callMs / 1000) : 0;
      callMs = 0;
      samples = 0;
    }, SAMPLE_MS);
    this.#timer.unref();
  }

  stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  metrics(): Metric[] {
    const self = this;
    return [
      this.droppedFrames,
      this.closedSockets,
      new Gauge({
        name: 'parley_process_cpu_ms_per_call_second',
        help: 'CPU time of this process (ms) per second of call it held, over the last 10 s (0 with no calls): the cost of a call.',
        registers: [],
        collect() {
          this.set(Math.round(self.#cpuMsPerCallSecond * 1000) / 1000);
        },
      }),
    ];
  }
}
