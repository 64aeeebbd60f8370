import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { Tx } from '../../platform/events.ts';
import { CallOwnership } from './calls.ownership.ts';
import type { CallDriver, Carrier } from './engine/types.ts';
import { MediaMetrics } from './media-metrics.ts';
import { type BuiltinEngines, findBuiltinEngines } from './speech/builtin.ts';
import { TtsCache } from './speech/tts-cache.ts';
import type { CallRow } from './voice.tables.ts';

export interface LiveCall {
  /**
   * Ends the call here: the session hangs up, or the pending dial stops; a promise it returns
   * settles once the end is written. `server_shutdown`: the process ends (the drain ran out).
   */
  stop(reason?: 'canceled' | 'server_shutdown'): unknown;
}

/** How long closing the app waits for its live calls to write their end. */
const CLOSE_WAIT_MS = 10_000;

/** Where a client joins a call's media: the room, its token and the server's URL. */
export interface MediaSession {
  provider: 'parley' | 'livekit';
  room: string;
  token: string;
  url: string;
  identity: string;
  expires_at: string;
}

export type MediaSessionFactory = (call: CallRow) => Promise<MediaSession>;

export type VoiceFlowDriverFactory = (
  ctx: AppContext,
  call: CallRow,
  base: { variables: Record<string, string>; defaultCountry: string },
) => Promise<CallDriver>;

const HANGUP_CHANNEL = 'parley:voice:hangup';

/**
 * The voice module's state in one app: carriers and hooks other modules register (Twilio and
 * LiveKit carriers, voice flows, LiveKit media sessions), the calls live in this process, and
 * the turn-latency histogram. One per AppContext, so two apps in a process share nothing.
 */
export class VoiceRuntime {
  readonly carriers = new Map<string, Carrier>();
  readonly mediaSessions = new Map<string, MediaSessionFactory>();
  /** Who this process is as the owner of its calls (calls.owners.ts). */
  readonly ownership = new CallOwnership();
  /** The calls held here; each is claimed for this process the moment it is added. */
  readonly live = new OwnedCalls(this.ownership);
  /** The writer of every call's transcript lines, made on first use (calls.line-writer.ts). */
  lineWriter: ((write: (tx: Tx) => Promise<void>) => Promise<void>) | undefined;
  /** Set when the app starts closing: no new call starts here (see startCall). */
  closing = false;
  /** Set when the process drains before a shutdown: no new call starts here; live ones go on. */
  draining = false;
  readonly metrics = new Registry();
  readonly turnLatency = new Histogram({
    name: 'parley_call_turn_latency_seconds',
    help: 'Voice turn latency by part: eou (end of speech to turn committed), agent (turn to first sentence), tts (sentence to first audio), turn (Parley share: committed turn to first audio out), voice_to_voice (end of speech to first audio out).',
    labelNames: ['part'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5],
    registers: [this.metrics],
  });
  /** Media socket bounds (dropped frames, closed sockets) and the CPU per call. */
  readonly media = new MediaMetrics();

  readonly turnEvents = new Counter({
    name: 'parley_call_turn_events_total',
    help: 'Turn-taking on calls: interruptions (cut with words), false_interruptions (paused, then resumed), backchannels (never stopped the agent), recoveries (answered after an interruption).',
    labelNames: ['event'],
    registers: [this.metrics],
  });
  /** pocketsphinx recognitions running in this process (bounded by PARLEY_BUILTIN_STT_MAX). */
  readonly builtinSttSlots = { running: 0, max: 8 };
  #builtin: BuiltinEngines | null = null;
  #ttsCache: TtsCache | null = null;
  #unsubscribe: (() => void) | null = null;
  #wss: WebSocketServer | null = null;

  /** This process's gauges: the calls it holds, and whether it drains before a shutdown. */
  processGauges(ctx: AppContext): Metric[] {
    const live = this.live;
    const runtime = this;
    return [
      new Gauge({
        name: 'parley_calls_in_process',
        help: 'Calls live in this process (their media or their dial is held here).',
        registers: [],
        collect() {
          this.set(live.size);
        },
      }),
      new Gauge({
        name: 'parley_tts_cache_sentences',
        help: 'Sentences asked of text-to-speech since start, by result: hit (kept audio played), shared (read from a synthesis another call had started), miss (synthesised); and the audio kept (result="kept_bytes").',
        labelNames: ['result'],
        registers: [],
        collect() {
          const stats = runtime.#ttsCache?.stats;
          this.set({ result: 'hit' }, stats?.hits ?? 0);
          this.set({ result: 'shared' }, stats?.shared ?? 0);
          this.set({ result: 'miss' }, stats?.misses ?? 0);
          this.set({ result: 'kept_bytes' }, stats?.bytes ?? 0);
        },
      }),
      new Gauge({
        name: 'parley_draining',
        help: '1 while this process drains before a shutdown (SIGTERM), else 0.',
        registers: [],
        collect() {
          this.set(ctx.draining ? 1 : 0);
        },
      }),
    ];
  }

  /** The server side of this app's media WebSockets (made on first use). */
  wss(): WebSocketServer {
    // No compression on the media socket: PCM does not compress, and the transport writes whole frames itself.
    this.#wss ??= new WebSocketServer({ noServer: true, maxPayload: 256 * 1024, perMessageDeflate: false });
    return this.#wss;
  }

  /** Synthesised sentences kept for the calls of this app (PARLEY_VOICE_TTS_CACHE_MB; made on first use). */
  ttsCache(maxMb: number): TtsCache {
    this.#ttsCache ??= new TtsCache(Math.round(maxMb * 1024 * 1024));
    return this.#ttsCache;
  }

  /** The offline engines installed on this machine (looked up once). */
  builtinEngines(): BuiltinEngines {
    this.#builtin ??= findBuiltinEngines();
    return this.#builtin;
  }

  registerCarrier(carrier: Carrier) {
    this.carriers.set(carrier.provider, carrier);
  }

  /** Listens for hang-ups asked of any process (the API may run apart from the worker holding the call). */
  listen(ctx: AppContext) {
    this.#unsubscribe ??= ctx.bus.subscribe(HANGUP_CHANNEL, (callId) => {
      this.live.get(callId)?.stop();
    });
  }

  async requestHangup(ctx: AppContext, callId: string) {
    const local = this.live.get(callId);
    if (local) {
      local.stop();
      return;
    }
    await ctx.bus.publish(HANGUP_CHANNEL, callId);
  }

  /**
   * Stops every call of this process and waits (up to CLOSE_WAIT_MS) until each has written its
   * end, so the app closes its database only after. Calls that start meanwhile are stopped too.
   */
  async stopAll() {
    this.closing = true;
    const deadline = Date.now() + CLOSE_WAIT_MS;
    // After a drain, the calls still live ran out of time: they end as the server's doing.
    const reason = this.draining ? 'server_shutdown' : undefined;
    while (this.live.size > 0 && Date.now() < deadline) {
      const stops = [...this.live.values()].map((call) => Promise.resolve().then(() => call.stop(reason)));
      this.live.clear();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(stops),
        new Promise((r) => {
          timer = setTimeout(r, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.ownership.stop();
    this.media.stop();
    for (const client of this.#wss?.clients ?? []) client.terminate();
    this.#wss?.close();
    this.#wss = null;
  }
}

/** How often a drain looks whether the live calls have ended. */
const DRAIN_CHECK_MS = 200;

/**
 * A drain before a shutdown: no new call starts in this process (its start jobs go to another
 * process, or to this one started again), and the calls live here go on until they end or
 * `deadline` (ms since the epoch) passes. Closing the app then ends the rest (`server_shutdown`).
 */
export async function drainCalls(rt: VoiceRuntime, deadline: number): Promise<void> {
  rt.draining = true;
  while (rt.live.size > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(DRAIN_CHECK_MS, Math.max(0, deadline - Date.now()))));
  }
}

/** The live calls of a process: adding one writes this process as its owner at once. */
class OwnedCalls extends Map<string, LiveCall> {
  readonly #ownership: CallOwnership;
  constructor(ownership: CallOwnership) {
    super();
    this.#ownership = ownership;
  }
  override set(id: string, call: LiveCall) {
    const fresh = !this.has(id);
    super.set(id, call);
    if (fresh) this.#ownership?.claim([id]);
    return this;
  }
}

declare module '../../platform/context.ts' {
  interface AppModules {
    voice: VoiceRuntime;
  }
}

/** The app's voice runtime: the voice module's instance, made by its setup. */
export function voiceRuntime(ctx: AppContext): VoiceRuntime {
  const rt = ctx.modules.voice;
  if (!rt) throw new Error('The voice module is not set up in this app');
  return rt;
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /** Whether this flow exists in this workspace and mode (provided by the voice flows module). */
    voiceFlowExists: (
      db: Db | Trx,
      scope: { workspaceId: string; livemode: boolean },
      id: string,
    ) => Promise<boolean>;
    /** The driver that runs a flow on a call (provided by the voice flows module). */
    voiceFlowDriver: VoiceFlowDriverFactory;
  }
}
