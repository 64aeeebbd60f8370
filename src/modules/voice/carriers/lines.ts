import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Histogram } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { AppContext } from '../../../platform/context.ts';
import { loadSecretKey } from '../../../platform/context.ts';
import { CallPacer } from './carrier-error.ts';

/**
 * What the phone lines (Twilio, LiveKit) keep per app: the dial pace per channel, the calls whose
 * carrier leg (a Twilio media stream) is held by this process, and the bus channel through which
 * a callback that landed on another process reaches that leg.
 */
export interface LineLeg {
  /** An answering-machine verdict for the call (Twilio's async AMD). */
  machine(greetingEnded: boolean): void;
  /** The carrier says the call is over (a status callback): drop the leg without calling the carrier. */
  ended(): void;
  /** A warm transfer's second leg changed (a `leg=transfer` callback: joined, busy, ...). */
  transferLeg?(callSid: string, event: string): void;
}

type BusMessage =
  | { callId: string; kind: 'machine'; greetingEnded: boolean }
  | { callId: string; kind: 'ended' }
  | { callId: string; kind: 'transfer_leg'; callSid: string; event: string };

const BUS_CHANNEL = 'parley:lines:leg';

export class LinesRuntime {
  readonly pacer = new CallPacer();
  readonly legs = new Map<string, LineLeg>();
  /**
   * How late each outbound media frame of a Twilio stream went out against its pace (0 when on
   * time; past ~80 ms the caller heard a gap). Served on /metrics; the phone-lines benchmark
   * reads its p99 from here.
   */
  readonly frameLateness = new Histogram({
    name: 'parley_media_frame_lateness_seconds',
    help: 'How late each outbound Twilio media frame was written against its real-time pace (0 when on time).',
    buckets: [0.001, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 1],
    registers: [],
  });
  #unsubscribe: (() => void) | null = null;
  #wss: WebSocketServer | null = null;

  /** The server side of this app's Twilio media streams (made on first use). */
  wss(): WebSocketServer {
    this.#wss ??= new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    return this.#wss;
  }

  listen(ctx: AppContext) {
    this.#unsubscribe ??= ctx.bus.subscribe(BUS_CHANNEL, (raw) => {
      try {
        this.#deliver(JSON.parse(raw) as BusMessage);
      } catch {
        // a malformed message from another process: nothing to do
      }
    });
  }

  #deliver(msg: BusMessage) {
    const leg = this.legs.get(msg.callId);
    if (!leg) return;
    if (msg.kind === 'machine') leg.machine(msg.greetingEnded);
    else if (msg.kind === 'transfer_leg') leg.transferLeg?.(msg.callSid, msg.event);
    else leg.ended();
  }

  /** Reaches the call's leg here, or in whichever process holds it. */
  async tell(ctx: AppContext, msg: BusMessage) {
    if (this.legs.has(msg.callId)) return this.#deliver(msg);
    await ctx.bus.publish(BUS_CHANNEL, JSON.stringify(msg));
  }

  /** Closing: no more bus deliveries; streams still open are cut (their calls were ended first). */
  stop() {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const client of this.#wss?.clients ?? []) client.terminate();
    this.#wss?.close();
    this.#wss = null;
  }
}

declare module '../../../platform/context.ts' {
  interface AppModules {
    lines: LinesRuntime;
  }
}

/** The lines module's instance of this app. */
export function linesRuntime(ctx: AppContext): LinesRuntime {
  const rt = ctx.modules.lines;
  if (!rt) throw new Error('The lines module is not set up in this app');
  return rt;
}

/** The call's own token for its media stream (a custom parameter of `<Stream>`): an HMAC of its id. */
export function streamToken(ctx: AppContext, callId: string): string {
  return createHmac('sha256', loadSecretKey(ctx.config))
    .update(`parley:twilio-stream:v1:${callId}`)
    .digest('base64url');
}

export function streamTokenValid(ctx: AppContext, callId: string, token: string | undefined): boolean {
  if (!token) return false;
  const want = Buffer.from(streamToken(ctx, callId));
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Parley's public base URL: PARLEY_PUBLIC_URL, else what the request says, else localhost. */
export function publicBase(
  ctx: AppContext,
  req?: Pick<IncomingMessage, 'headers'> & { protocol?: string },
): string {
  if (ctx.config.publicUrl) return ctx.config.publicUrl.replace(/\/$/, '');
  const host = req?.headers['x-forwarded-host'] ?? req?.headers.host;
  if (host) {
    const proto = String(req?.headers['x-forwarded-proto'] ?? req?.protocol ?? 'http').split(',')[0];
    return `${proto}://${host}`;
  }
  return `http://localhost:${ctx.config.port}`;
}

/** The same base as a WebSocket URL (`wss://` for `https://`). */
export function publicWsBase(
  ctx: AppContext,
  req?: Pick<IncomingMessage, 'headers'> & { protocol?: string },
) {
  return publicBase(ctx, req).replace(/^http/, 'ws');
}
