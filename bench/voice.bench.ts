/**
 * Voice (issue 14's speed goals), `npm run bench -- voice`. Three parts, each in its own process
 * (`node bench/voice.bench.ts <part>` runs one; `BENCH_PARTS=streams,create-sqlite` picks some):
 *
 * - `turn`: Parley's own share of a turn (final transcript → first audio frame out, built-in
 *   agent, sandbox speech) as each call reports it (`latency.parley_p50_ms`) and as the
 *   `parley_call_turn_latency_seconds{part="turn"}` histogram sums it. Goal: p50 < 30 ms.
 *   `BENCH_TURN_CALLS` sandbox calls (default 40) on virtual time, each callee saying three lines;
 *   `BENCH_STORAGE` sqlite|postgres (default sqlite).
 * - `streams`: `BENCH_CALLS` (default 200) concurrent web calls in real time on the built server
 *   (its own process, as `npm start` runs it). Each client joins its call's media WebSocket and
 *   sends 20 ms frames of 16 kHz PCM on a real-time schedule, silence or speech-like audio (a
 *   turn of `BENCH_SPEECH_MS`, default 1,200 ms, begun 400–900 ms after the agent finishes), so
 *   turns happen: VAD, end of turn, a local OpenAI-compatible recogniser (one fixed question per
 *   turn), the built-in agent, and text-to-speech from the same local OpenAI-compatible server (`openai_compatible`, 24 kHz WAV resampled to 16 kHz,
 *   60 ms of audio per character) streamed back paced. The client measures how late each
 *   server→client frame arrives against its real-time schedule; the server's event-loop delay
 *   and CPU come from a probe loaded into it (bench/loop-probe.ts). Goals: outbound frames late
 *   by < 40 ms at p99, event-loop delay p99 < 20 ms. Measured for `BENCH_SECONDS` (default 30)
 *   once every call is joined and has had a first turn (at least `BENCH_WARMUP` seconds, default 5).
 *   `BENCH_PROCESSES=N` runs N server processes (`PARLEY_PROCESSES`) on PostgreSQL and Redis;
 *   `BENCH_STORAGE=postgres` runs one process in that shape (default sqlite for one process). On
 *   PostgreSQL the bench starts a private redis-server (`BENCH_REDIS_URL` names another) and
 *   reports, beside each process's loop delay and CPU and the load generator's own CPU, the
 *   database's commits and rows per call-minute, its backends' CPU, and Redis's commands and CPU.
 * - `create-sqlite`, `create-postgres`: `POST /v1/calls` with 20 phone items (new numbers, each
 *   callee busy), `BENCH_CREATE_REQUESTS` (default 100) requests one after another, on the built
 *   server. Goal: p95 < 150 ms on each storage.
 *
 * Every part stops itself after `BENCH_TIMEOUT` seconds (default 150) and prints what it has.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { openDatabase } from '../src/platform/db/database.ts';
import { createPgDatabase, PG_ADMIN_URL, startTestApp } from '../test/support/harness.ts';
import {
  childPids,
  freePort,
  pgCounters,
  privateRedis,
  processCpuMs,
  redisCounters,
} from './scale-counters.ts';
import { beside, startFlags, startServer } from './support.ts';
import { BenchTts, callerSpeech } from './voice-tts.ts';

const PARTS = ['turn', 'streams', 'create-sqlite', 'create-postgres'] as const;
type Part = (typeof PARTS)[number];
const TIMEOUT_S = Number(process.env.BENCH_TIMEOUT ?? 150);
const part = process.argv[2] as Part | undefined;

if (!part) {
  const wanted = (process.env.BENCH_PARTS ?? PARTS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let failed = 0;
  for (const p of PARTS.filter((x) => wanted.includes(x))) {
    console.log(`\n--- voice: ${p} ---`);
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), p], {
      stdio: 'inherit',
    });
    // The part's own timeout prints partial results; this one is the backstop if it hangs anyway.
    const backstop = setTimeout(() => child.kill('SIGKILL'), (TIMEOUT_S + 30) * 1000);
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    clearTimeout(backstop);
    if (code !== 0) failed++;
  }
  process.exit(failed ? 1 : 0);
}

const r1 = (n: number) => Math.round(n * 10) / 10;
function percentiles(values: ArrayLike<number>) {
  const s = Float64Array.from(values).sort();
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : Number.NaN);
  return {
    n: s.length,
    p50: r1(at(0.5)),
    p95: r1(at(0.95)),
    p99: r1(at(0.99)),
    max: r1(s[s.length - 1] ?? Number.NaN),
  };
}

/** Cleanup run on the way out, whether the part finished or timed out. */
const cleanups: Array<() => unknown> = [];
let partial: (() => void) | null = null;
const overall = setTimeout(async () => {
  console.log(`\n!! ${part}: stopped after BENCH_TIMEOUT=${TIMEOUT_S} s; partial results:`);
  try {
    partial?.();
  } catch (err) {
    console.log(`   (no partial results: ${(err as Error).message})`);
  }
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  process.exit(2);
}, TIMEOUT_S * 1000);
overall.unref();

async function cleanup() {
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  cleanups.length = 0;
}

interface ProbeStats {
  seconds: number;
  loopP50: number;
  loopP99: number;
  loopMax: number;
  cpuPct: number;
  rssMb: number;
  atUs: number;
}

/**
 * The built server in its own process, with the loop probe, limits lifted for the benchmark.
 * `processes` > 1 runs `PARLEY_PROCESSES` server processes (PostgreSQL and Redis: a private
 * redis-server unless `BENCH_REDIS_URL` names one); on PostgreSQL one process gets the same Redis,
 * so the two shapes differ only in the process count.
 */
async function benchServer(storage: 'sqlite' | 'postgres', env: Record<string, string> = {}, processes = 1) {
  if (processes > 1 && storage !== 'postgres')
    throw new Error('BENCH_PROCESSES > 1 needs BENCH_STORAGE=postgres');
  const pg = storage === 'postgres' ? await createPgDatabase() : undefined;
  if (pg) cleanups.push(() => pg.drop());
  let redisUrl = process.env.BENCH_REDIS_URL;
  if (pg && !redisUrl) {
    const redis = await privateRedis();
    cleanups.push(() => redis.stop());
    redisUrl = redis.url;
  }
  const probeFile = join(
    process.env.TMPDIR ?? '/tmp',
    `parley-bench-loop-${process.pid}-${randomBytes(3).toString('hex')}.json`,
  );
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const server = await startServer(
    {
      BENCH_LOOP_FILE: probeFile,
      ...(pg ? { DATABASE_URL: pg.url, PARLEY_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
      ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
      // Several processes share one port: a free one, as node:cluster gives each the same.
      ...(processes > 1 ? { PARLEY_PROCESSES: String(processes), PORT: String(await freePort()) } : {}),
      PARLEY_DRAIN_SECONDS: '5',
      ...env,
    },
    ['--import', fileURLToPath(new URL('./loop-probe.ts', import.meta.url)), ...extra],
  );
  cleanups.push(() => server.stop());
  cleanups.push(() => {
    rmSync(probeFile, { force: true });
    for (const pid of childPids(server.child.pid!)) rmSync(`${probeFile}.${pid}`, { force: true });
  });
  if (processes > 1) {
    const until = performance.now() + 60_000;
    while (!server.output().includes(`Parley runs ${processes} processes`)) {
      if (performance.now() > until) throw new Error(`the server did not start ${processes} processes`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // The benchmark measures the voice path, not the plan: no request or concurrent-call limits
  // (set before the first request: authenticated keys are cached for a while).
  const handle = await openDatabase({ databaseUrl: pg?.url, sqlitePath: join(server.dataDir, 'parley.db') });
  await handle.db
    .updateTable('workspaces')
    .set({
      limits: JSON.stringify({
        requests_per_minute: null,
        requests_per_day: null,
        messages_per_hour: null,
        concurrent_calls: null,
      }),
    })
    .execute();
  await handle.close();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.testKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, text };
  };
  /** The processes that hold calls: the server, or a cluster primary's forked ones. */
  const servers = () => (processes > 1 ? childPids(server.child.pid!) : [server.child.pid!]);
  const fileOf = (pid: number) => (processes > 1 ? `${probeFile}.${pid}` : probeFile);
  let primaryCpu = processCpuMs(server.child.pid);
  /**
   * The server's event-loop delay and CPU since the previous call (the first call starts the
   * window): per process, and summed (CPU, RSS) or the worst (loop delay) over them.
   */
  const probe = async () => {
    const pids = servers();
    for (const pid of pids) {
      rmSync(fileOf(pid), { force: true });
      process.kill(pid, 'SIGUSR2');
    }
    const each: ProbeStats[] = [];
    for (const pid of pids) {
      const until = performance.now() + 10_000;
      while (!existsSync(fileOf(pid))) {
        if (performance.now() > until) throw new Error(`server process ${pid} did not answer the loop probe`);
        await new Promise((r) => setTimeout(r, 20));
      }
      each.push(JSON.parse(readFileSync(fileOf(pid), 'utf8')) as ProbeStats);
    }
    const cpuNow = processCpuMs(server.child.pid);
    const primaryMs = processes > 1 ? cpuNow - primaryCpu : 0;
    primaryCpu = cpuNow;
    return {
      seconds: each[0]!.seconds,
      loopP50: Math.max(...each.map((e) => e.loopP50)),
      loopP99: Math.max(...each.map((e) => e.loopP99)),
      loopMax: Math.max(...each.map((e) => e.loopMax)),
      cpuPct: r1(each.reduce((a, e) => a + e.cpuPct, 0)),
      rssMb: each.reduce((a, e) => a + e.rssMb, 0),
      atUs: each[0]!.atUs,
      each,
      /** The cluster primary's CPU (ms) over the window (it accepts connections and hands them on). */
      primaryMs,
    };
  };
  return { server, api, probe, child: server.child as ChildProcess, pgUrl: pg?.url, redisUrl };
}

// ------------------------------------------------------------------------------------ turn

if (part === 'turn') {
  const CALLS = Number(process.env.BENCH_TURN_CALLS ?? 40);
  const storage = (process.env.BENCH_STORAGE ?? 'sqlite') as 'sqlite' | 'postgres';
  const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];
  const t = await startTestApp(storage, { env: { PARLEY_VOICE_SANDBOX_PACE: 'virtual' } });
  cleanups.push(() => t.close());
  const perCall: number[] = [];
  partial = () => console.log(`  per-call parley_p50_ms so far: ${JSON.stringify(percentiles(perCall))}`);
  const ws = await t.workspace({ default_country: 'US' });
  const agent = await t.call('POST', '/v1/agents', {
    key: ws.test,
    body: { name: 'Glow Salon', greeting: 'Hello, this is Glow Salon. How can I help?' },
  });
  const started = performance.now();
  let placed = 0;
  while (placed < CALLS) {
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: {
        calls: Array.from({ length: Math.min(5, CALLS - placed) }, (_, i) => ({
          agent_id: agent.body.id,
          to: `+1415555${String(1000 + placed + i).slice(-4)}`.replace(/[1-4]$/, '5'),
          sandbox: {
            lines: ['What are your opening hours?', 'How much is a haircut?', 'Thanks, bye'],
            hangup_after_lines: true,
          },
        })),
      },
    });
    if (res.status !== 201) throw new Error(`POST /v1/calls: ${res.status} ${res.text}`);
    const ids: string[] = res.body.results.map((r: { call: { id: string } }) => r.call.id);
    placed += ids.length;
    for (const id of ids) {
      for (;;) {
        const c = (await t.call('GET', `/v1/calls/${id}`, { key: ws.test })).body;
        if (terminal.includes(c.status)) {
          if (c.latency?.parley_p50_ms != null) perCall.push(c.latency.parley_p50_ms);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  const wall = performance.now() - started;
  const p = percentiles(perCall);
  const metrics = (await t.call('GET', '/metrics')).text.split('\n');
  const value = (name: string) =>
    Number(
      metrics
        .find((l) => l.startsWith(`${name}{part="turn"}`))
        ?.split(' ')
        .pop() ?? Number.NaN,
    );
  const sum = value('parley_call_turn_latency_seconds_sum');
  const count = value('parley_call_turn_latency_seconds_count');
  console.log(`voice turn latency (${storage}, ${CALLS} sandbox calls, ${(wall / 1000).toFixed(1)} s wall)`);
  console.log(
    `  per-call parley_p50_ms: p50 ${p.p50} ms, p95 ${p.p95} ms, max ${p.max} ms (goal p50 < 30: ${p.p50 < 30 ? 'met' : 'MISSED'})`,
  );
  console.log(`  histogram part=turn: ${count} turns, mean ${((sum / count) * 1000).toFixed(1)} ms`);
  await cleanup();
  process.exit(0);
}

// ------------------------------------------------------------------------------------ streams

if (part === 'streams') {
  const N = Number(process.env.BENCH_CALLS ?? 200);
  const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
  const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
  const SPEECH_MS = Number(process.env.BENCH_SPEECH_MS ?? 1200);
  // BENCH_SILENT=1: callers never speak (the steady state of the audio path alone: frames in,
  // VAD, the recogniser's buffer, and the agent's greetings and reprompts out; no turns).
  const SILENT = process.env.BENCH_SILENT === '1';
  const FRAME_MS = 20;
  const FRAME_BYTES = 640;

  // BENCH_PROCESSES=N: N server processes (PARLEY_PROCESSES) on PostgreSQL and Redis;
  // BENCH_STORAGE=postgres with one process is the same shape in one process.
  const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 1);
  const storage = (process.env.BENCH_STORAGE ?? (PROCESSES > 1 ? 'postgres' : 'sqlite')) as
    | 'sqlite'
    | 'postgres';

  const tts = await new BenchTts().start();
  cleanups.push(() => tts.stop());
  const { server, api, probe, pgUrl, redisUrl } = await benchServer(storage, {}, PROCESSES);
  const pgStats = pgUrl ? await pgCounters(PG_ADMIN_URL, pgUrl) : null;
  if (pgStats) cleanups.push(() => pgStats.close());
  const redisStats = redisUrl && !process.env.BENCH_REDIS_URL ? await redisCounters(redisUrl) : null;
  if (redisStats) cleanups.push(() => redisStats.close());
  let clientCpu = process.cpuUsage();
  const agent = await api('POST', '/v1/agents', {
    name: 'Glow Salon',
    greeting: 'Hello, this is Glow Salon. How can I help you today?',
    // No handoff: the fake recogniser's one question is not one the agent can answer, and with
    // the handoff tool it would transfer the caller after a few. A web call's audio needs a real
    // recogniser (the sandbox one never makes a turn of audio): the fake server transcribes it.
    tools: ['knowledge'],
    voice: {
      stt: { provider: 'openai_compatible', base_url: tts.url },
      tts: { provider: 'openai_compatible', base_url: tts.url },
      // Silent callers are re-prompted (every 300 s at most), not hung up on during the run.
      ...(SILENT ? { silence_timeout_seconds: 300 } : {}),
    },
  });
  if (agent.status !== 201) throw new Error(`POST /v1/agents: ${agent.status} ${agent.text}`);

  // The caller's audio, made once and shared by every client: speech frames, and a silent frame.
  const speech = callerSpeech(SPEECH_MS);
  const speechFrames: Buffer[] = [];
  for (let off = 0; off + 320 <= speech.length; off += 320)
    speechFrames.push(Buffer.from(speech.buffer, speech.byteOffset + off * 2, FRAME_BYTES));
  const silentFrame = Buffer.alloc(FRAME_BYTES);

  // Measures, reset when the measured window starts.
  let measuring = false;
  let late: number[] = [];
  let sendLag: number[] = [];
  let framesOut = 0;
  let framesIn = 0;
  /** Client frames not sent: the generator was over 200 ms behind their time. */
  let skipped = 0;
  let turns = 0;
  let clears = 0;
  const counts = { joined: 0, refused: 0, endedEarly: 0, errors: 0 };
  const endReasons = new Map<string, number>();
  const clientLoop = monitorEventLoopDelay({ resolution: 10 });
  clientLoop.enable();

  interface Client {
    ws: WebSocket;
    /** When frame `sent` is due (ms, performance.now()). */
    start: number;
    sent: number;
    /** Speech frames still to send in the current caller turn (-1: silent), and when it starts. */
    speechAt: number;
    speechIdx: number;
    /** The agent's audio under way: each frame's arrival minus its place in the stream. */
    spurt: number[];
    spurtMeasured: boolean[];
    open: boolean;
    /** `listening` messages: 1 after the greeting, 2 once the agent answered a first turn. */
    listens: number;
  }
  const clients: Client[] = [];

  /** An agent turn's audio ended (listening, clear, end): how late each frame was against the
   * earliest schedule the frames fit (the stream's start as the server paced it). */
  const flush = (c: Client) => {
    if (!c.spurt.length) return;
    let min = Number.POSITIVE_INFINITY;
    for (const v of c.spurt) if (v < min) min = v;
    for (let i = 0; i < c.spurt.length; i++) if (c.spurtMeasured[i]) late.push(c.spurt[i]! - min);
    c.spurt = [];
    c.spurtMeasured = [];
  };

  const join = (url: string, i: number) =>
    new Promise<void>((resolve) => {
      // A zero mask: the client's frames go out unmasked-in-effect (allowed: the key is the
      // client's choice), so the load generator does not spend its CPU masking 10,000 frames/s.
      const ws = new WebSocket(url, { generateMask: () => {}, perMessageDeflate: false });
      const c: Client = {
        ws,
        start: 0,
        sent: 0,
        speechAt: Number.POSITIVE_INFINITY,
        speechIdx: -1,
        spurt: [],
        spurtMeasured: [],
        open: false,
        listens: 0,
      };
      ws.binaryType = 'nodebuffer';
      ws.on('open', () => {
        counts.joined++;
        c.open = true;
        // Spread the clients' frame clocks over the 20 ms.
        c.start = performance.now() + (i % FRAME_MS);
        clients.push(c);
        resolve();
      });
      ws.on('message', (data: Buffer, isBinary) => {
        const now = performance.now();
        if (isBinary) {
          c.spurt.push(now - c.spurt.length * FRAME_MS);
          c.spurtMeasured.push(measuring);
          if (measuring) framesOut++;
          return;
        }
        const msg = JSON.parse(data.toString('utf8')) as { type: string; ended_reason?: string };
        if (msg.type === 'listening' || msg.type === 'clear' || msg.type === 'ended') flush(c);
        if (msg.type === 'clear' && measuring) clears++;
        if (msg.type === 'listening') {
          // The caller answers 400–900 ms after the agent stops.
          c.speechAt = now + 400 + Math.random() * 500;
          c.listens++;
          if (measuring) turns++;
        }
        if (msg.type === 'ended') {
          if (!stopping && c.open) counts.endedEarly++;
          c.open = false;
          endReasons.set(msg.ended_reason ?? '?', (endReasons.get(msg.ended_reason ?? '?') ?? 0) + 1);
        }
        if (msg.type === 'error') counts.errors++;
      });
      ws.on('close', (code: number) => {
        if (!c.start) {
          counts.refused++;
          resolve();
        } else if (!stopping && c.open) {
          counts.endedEarly++;
          endReasons.set(`closed ${code}`, (endReasons.get(`closed ${code}`) ?? 0) + 1);
        }
        c.open = false;
        flush(c);
      });
      ws.on('error', () => {});
    });

  // One clock for every client: each tick sends every frame that is due, on each call's own
  // real-time schedule (frame k at start + 20k ms), speech while a caller turn is under way.
  let stopping = false;
  const pump = () => {
    if (stopping) return;
    const now = performance.now();
    for (const c of clients) {
      if (!c.open) continue;
      // A generator that stalled (it shares the cores) skips the audio it missed beyond 200 ms,
      // as a caller's microphone would not replay it: a burst of it would be the 10x-real-time
      // caller the server's rate bound closes (4429), not the load being measured.
      const behind = now - (c.start + c.sent * FRAME_MS);
      if (behind > 200) {
        const skip = Math.floor((behind - 200) / FRAME_MS);
        c.sent += skip;
        if (measuring) skipped += skip;
      }
      while (c.start + c.sent * FRAME_MS <= now) {
        const due = c.start + c.sent * FRAME_MS;
        if (measuring) sendLag.push(now - due);
        let frame: Buffer = silentFrame;
        if (!SILENT && c.speechIdx < 0 && due >= c.speechAt) {
          c.speechIdx = 0;
          c.speechAt = Number.POSITIVE_INFINITY;
        }
        if (c.speechIdx >= 0) {
          frame = speechFrames[c.speechIdx++]!;
          if (c.speechIdx >= speechFrames.length) c.speechIdx = -1;
        }
        c.ws.send(frame, { binary: true });
        c.sent++;
        if (measuring) framesIn++;
      }
    }
    setTimeout(pump, 2);
  };

  type Shared = {
    clientCpuPct: number;
    pg: Awaited<ReturnType<NonNullable<typeof pgStats>['delta']>> | null;
    redis: Awaited<ReturnType<NonNullable<typeof redisStats>['delta']>> | null;
    owners: number[];
  };
  const report = (stats: Awaited<ReturnType<typeof probe>> | null, seconds: number, shared?: Shared) => {
    for (const c of clients) flush(c);
    const held = Math.max(1, clients.filter((c) => c.open).length);
    const l = percentiles(late);
    const s = percentiles(sendLag);
    const live = clients.filter((c) => c.open).length;
    const loop = stats
      ? `p50 ${stats.loopP50} ms, p99 ${stats.loopP99} ms, max ${stats.loopMax} ms`
      : 'not measured';
    console.log(
      [
        `web calls: ${counts.joined}/${N} joined (refused ${counts.refused}), ${live} live at the end, ${counts.endedEarly} ended early${endReasons.size ? ` (${[...endReasons].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}; ${r1(seconds)} s measured`,
        `server→client frames: ${framesOut} (${r1(framesOut / seconds / Math.max(1, live))}/s per call; 50/s while the agent talks), ${turns} agent turns finished, ${clears} barge-ins`,
        `server→client frame lateness: p50 ${l.p50} ms, p99 ${l.p99} ms, max ${l.max} ms (goal p99 < 40 ms: ${l.p99 < 40 ? 'met' : 'MISSED'})`,
        `server event-loop delay: ${loop} (goal p99 < 20 ms: ${stats && stats.loopP99 < 20 ? 'met' : 'MISSED'}); server CPU ${stats?.cpuPct ?? '?'}% of one core (${stats ? ((stats.cpuPct * 10) / Math.max(1, live)).toFixed(2) : '?'} ms of CPU per call-second; ${stats ? r1((stats.cpuPct * 10_000 * seconds) / Math.max(1, framesIn + framesOut)) : '?'} µs per frame in or out, the figure a starved server's fewer frames do not bend), RSS ${stats?.rssMb ?? '?'} MB`,
        `client→server frames: ${framesIn} (${r1(framesIn / seconds / Math.max(1, live))}/s per call; ${skipped} skipped, the generator over 200 ms behind); client send lag p99 ${s.p99} ms, client event-loop delay p99 ${r1(Math.max(0, clientLoop.percentile(99) / 1e6 - 10))} ms (large: the client, not the server, fell behind)${shared ? `; the load generator's CPU ${shared.clientCpuPct}% of one core` : ''}`,
        ...(stats && stats.each.length > 1
          ? [
              `server processes (${stats.each.length}, calls held by owner: ${shared?.owners.join(' / ') ?? '?'}): ${stats.each
                .map((e) => `CPU ${e.cpuPct}%, loop p99 ${e.loopP99} ms, RSS ${e.rssMb} MB`)
                .join('; ')}; the primary ${r1(stats.primaryMs / seconds / 10)}% of one core`,
            ]
          : []),
        ...(shared?.pg
          ? [
              `PostgreSQL (this database, per call-minute): ${r1((shared.pg.commits / held / seconds) * 60)} commits, ${r1((shared.pg.inserted / held / seconds) * 60)} rows inserted, ${r1((shared.pg.updated / held / seconds) * 60)} updated, ${r1((shared.pg.read / held / seconds) * 60)} read; ${r1(shared.pg.commits / seconds)} commits/s in all; backends' CPU ${r1(shared.pg.backendCpuMs / seconds / 10)}% of one core (${r1(shared.pg.backendCpuMs / seconds / held)} ms per call-second)`,
            ]
          : []),
        ...(shared?.redis
          ? [
              `Redis (private): ${shared.redis.commands} commands (${shared.redis.publish} PUBLISH) = ${r1((shared.redis.commands / held / seconds) * 60)} per call-minute, ${r1(shared.redis.commands / seconds)}/s; ${r1(shared.redis.bytesIn / 1024 / seconds)} KB/s in, ${r1(shared.redis.bytesOut / 1024 / seconds)} KB/s out; its CPU ${r1(shared.redis.cpuMs / seconds / 10)}% of one core`,
            ]
          : []),
        `text-to-speech: ${tts.requests} requests, ${r1(tts.audioMs / 1000)} s of audio, ${tts.texts.size} distinct texts; most requested: ${[
          ...tts.texts,
        ]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([t, n]) => `${n}× ${JSON.stringify(t.slice(0, 60))}`)
          .join(', ')}`,
      ].join('\n'),
    );
    return l.p99 < 40 && stats !== null && stats.loopP99 < 20 && counts.joined === N;
  };
  let windowStart = 0;
  partial = () => report(null, measuring ? (performance.now() - windowStart) / 1000 : 0);

  // Place the calls in batches of 20 (web calls: no number, joined over the media socket).
  const placedAt = performance.now();
  const urls: string[] = [];
  while (urls.length < N) {
    const res = await api('POST', '/v1/calls', {
      calls: Array.from({ length: Math.min(20, N - urls.length) }, () => ({
        agent_id: agent.body.id,
        transport: 'web',
      })),
    });
    if (res.status !== 201) throw new Error(`POST /v1/calls: ${res.status} ${res.text}`);
    for (const r of res.body.results as Array<{ media_session: { url: string } }>)
      urls.push(r.media_session.url.replace(/^ws:\/\/[^/]+/, server.url.replace('http', 'ws')));
  }
  pump();
  // Join 20 at a time, as a burst of callers would.
  for (let i = 0; i < urls.length; i += 20)
    await Promise.all(urls.slice(i, i + 20).map((u, j) => join(u, i + j)));
  console.log(
    `${counts.joined} calls joined in ${r1((performance.now() - placedAt) / 1000)} s; warming up ${WARMUP} s, then measuring ${SECONDS} s (load average ${(
      await import('node:os')
    )
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})`,
  );
  // Warm up: at least BENCH_WARMUP seconds, and until every call has had one whole turn (the
  // first reply loads the agent's engine; a process does that once, not once per window).
  const warmStart = performance.now();
  while (
    performance.now() - warmStart < WARMUP * 1000 ||
    (!SILENT && clients.some((c) => c.open && c.listens < 2) && performance.now() - warmStart < 30_000)
  )
    await new Promise((r) => setTimeout(r, 100));
  const windowFrom = await probe();
  await pgStats?.start();
  await redisStats?.start();
  clientCpu = process.cpuUsage();
  late = [];
  sendLag = [];
  clientLoop.reset();
  measuring = true;
  windowStart = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const stats = await probe();
  measuring = false;
  const seconds = (performance.now() - windowStart) / 1000;
  const used = process.cpuUsage(clientCpu);
  const shared: Shared = {
    clientCpuPct: r1((used.user + used.system) / 10_000 / seconds),
    pg: (await pgStats?.delta()) ?? null,
    redis: (await redisStats?.delta()) ?? null,
    owners: [],
  };
  if (pgUrl) {
    const h = await openDatabase({ databaseUrl: pgUrl, sqlitePath: '' });
    const rows = await h.db
      .selectFrom('calls')
      .select(['owner', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'in_progress')
      .groupBy('owner')
      .execute();
    shared.owners = rows.map((r) => Number(r.n)).sort((a, b) => b - a);
    await h.close();
  }
  const ok = report(stats, seconds, shared);
  // With BENCH_SERVER_NODE_ARGS="--cpu-prof ...": the measured window in the profile's clock.
  if (process.env.BENCH_SERVER_NODE_ARGS?.includes('--cpu-prof'))
    console.log(`profile window (µs, the server's monotonic clock): ${windowFrom.atUs},${stats.atUs}`);
  stopping = true;
  for (const c of clients) if (c.open) c.ws.close();
  if (process.env.BENCH_FLOOR !== '0' && stats) {
    // The limit beside the figure (BENCH_FLOOR=0: not measured): the same clients' frames over
    // new sockets to a bare server that sends back as many frames as Parley did (voice-floor-server.ts).
    const live = Math.max(1, clients.filter((c) => c.open).length);
    const parleyMs = Math.round(((stats.cpuPct * 10) / live) * 1000) / 1000;
    const floorMs = await voiceFloor(framesOut / Math.max(1, framesIn), live);
    console.log(
      `server CPU per call-second ${beside(parleyMs, floorMs)}: the limit is a bare server receiving and sending the same frames over the same kind of sockets`,
    );
  }
  await cleanup();
  process.exit(ok ? 0 : 1);

  /** The bare server's CPU per call-second (ms) for `calls` callers, frames out per frame in `ratio`. */
  async function voiceFloor(ratio: number, calls: number): Promise<number> {
    const child = spawn(
      process.execPath,
      [...startFlags, fileURLToPath(new URL('./voice-floor-server.ts', import.meta.url))],
      {
        env: { ...process.env, BENCH_FLOOR_RATIO: String(ratio) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          const m = /port (\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        });
        child.once('exit', () => reject(new Error('the floor server exited')));
      });
      clients.length = 0;
      stopping = false;
      measuring = false;
      pump();
      for (let i = 0; i < calls; i += 20)
        await Promise.all(
          Array.from({ length: Math.min(20, calls - i) }, (_, j) => join(`ws://127.0.0.1:${port}/`, i + j)),
        );
      await new Promise((r) => setTimeout(r, 2000));
      const before = processCpuMs(child.pid);
      const from = performance.now();
      await new Promise((r) => setTimeout(r, Math.min(SECONDS, 10) * 1000));
      const cpu = processCpuMs(child.pid) - before;
      const secs = (performance.now() - from) / 1000;
      const joined = clients.filter((c) => c.open).length;
      stopping = true;
      for (const c of clients) c.ws.terminate();
      return Math.round((cpu / secs / Math.max(1, joined)) * 1000) / 1000;
    } finally {
      child.kill();
    }
  }
}

// ------------------------------------------------------------------------------------ create

if (part === 'create-sqlite' || part === 'create-postgres') {
  const storage = part === 'create-sqlite' ? 'sqlite' : 'postgres';
  const REQUESTS = Number(process.env.BENCH_CREATE_REQUESTS ?? 100);
  const ITEMS = 20;
  const { api, probe } = await benchServer(storage);
  const agent = await api('POST', '/v1/agents', { name: 'Glow Salon' });
  if (agent.status !== 201) throw new Error(`POST /v1/agents: ${agent.status} ${agent.text}`);
  let n = 0;
  // New numbers each time (a contact and a conversation are created per call); the sandbox
  // callee is busy, so each call rings and ends in about 1.5 s as a dialer's batch would.
  const web = process.env.BENCH_CREATE_KIND === 'web';
  const body = () => ({
    calls: Array.from({ length: ITEMS }, () =>
      web
        ? { agent_id: agent.body.id, transport: 'web' }
        : {
            agent_id: agent.body.id,
            to: `+1415${String(2_000_000 + n++).padStart(7, '0')}`,
            sandbox: { outcome: 'busy' },
          },
    ),
  });
  for (let i = 0; i < 5; i++) await api('POST', '/v1/calls', body());
  const times: number[] = [];
  let bad = 0;
  partial = () => console.log(`  ${times.length} requests so far: ${JSON.stringify(percentiles(times))}`);
  await probe();
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const payload = body();
    const t0 = performance.now();
    const res = await api('POST', '/v1/calls', payload);
    times.push(performance.now() - t0);
    if (res.status !== 201 || res.body.results.length !== ITEMS) bad++;
  }
  const wall = (performance.now() - started) / 1000;
  const stats = await probe();
  const p = percentiles(times);
  console.log(
    [
      `POST /v1/calls with ${ITEMS} ${web ? 'web' : 'phone'} items, ${storage}: ${times.length} requests one after another in ${r1(wall)} s (${bad} not all placed)`,
      `  latency p50 ${p.p50} ms, p95 ${p.p95} ms, p99 ${p.p99} ms, max ${p.max} ms (goal p95 < 150 ms: ${p.p95 < 150 ? 'met' : 'MISSED'})`,
      `  server event-loop delay p99 ${stats.loopP99} ms, CPU ${stats.cpuPct}% of one core (the calls ringing and ending in the background included)`,
    ].join('\n'),
  );
  await cleanup();
  process.exit(p.p95 < 150 && bad === 0 ? 0 : 1);
}
