import type { SessionHooks, SessionParts, SessionRecorder } from './session-types.ts';
import type { CallDriver, CallTransport, DriverChunk, Scheduler, WarmDialOutcome } from './types.ts';

/** How long the person a warm transfer dials may ring before it counts as not answered. */
export const WARM_RING_SECONDS = 25;

export interface WarmTransferParts {
  transport: CallTransport;
  recorder: SessionRecorder;
  /** Work is tracked on it (virtual time holds still), the wait for the person is not. */
  scheduler: Scheduler;
  /** A line in the transcript saying what happened. */
  note(text: string): void;
  /** The call ended meanwhile (the caller hung up while on hold). */
  ended(): boolean;
}

type TransferParts = Pick<SessionParts, 'transport' | 'recorder' | 'scheduler' | 'driver'>;
type TransferHooks = Pick<SessionHooks, 'phase' | 'note' | 'speak' | 'listen' | 'end'>;

/**
 * The call's transfer, as the driver asks for one at the end of a turn: while a warm transfer
 * dials, the caller is on hold (`holding`: their words and keys are no turn); then the call ends
 * `transferred`, or the agent says what follows a transfer that did not happen, or listens on.
 */
export class Transfer {
  readonly #p: TransferParts;
  readonly #hooks: TransferHooks;
  #holding = false;

  constructor(parts: TransferParts, hooks: TransferHooks) {
    this.#p = parts;
    this.#hooks = hooks;
  }

  get holding() {
    return this.#holding;
  }

  async run(action: Extract<DriverChunk, { type: 'transfer' }>) {
    this.#holding = action.mode === 'warm';
    const ended = () => this.#hooks.phase() === 'ended';
    const { transport, recorder, scheduler, driver } = this.#p;
    const parts = {
      transport,
      recorder,
      scheduler,
      driver,
      note: (text: string) => this.#hooks.note(text),
      ended,
    };
    const next = await transferCall(parts, action);
    this.#holding = false;
    if (ended()) return;
    if (next === 'transferred') await this.#hooks.end({ reason: 'transferred', status: 'completed' });
    else if (next) this.#hooks.speak(next, null);
    else this.#hooks.listen();
  }
}

/**
 * Transfers the call as the driver asked: warm (see `warmTransfer`) when the action says so and
 * the transport can, else cold (the transport sends the call to the number at once). Returns
 * `transferred` (the session ends so), what to say instead (a transfer that did not happen), or
 * null (listen on).
 */
export async function transferCall(
  parts: WarmTransferParts & { driver: CallDriver },
  action: Extract<DriverChunk, { type: 'transfer' }>,
): Promise<'transferred' | AsyncIterable<DriverChunk> | null> {
  const { transport, recorder, driver } = parts;
  const track = <T>(work: Promise<T>) => parts.scheduler.track(work);
  if (action.mode === 'warm' && action.to && transport.dialWarm) {
    const r = await warmTransfer(parts, { ...action, to: action.to, whisper: action.whisper ?? '' });
    if (r.joined) return 'transferred';
    return parts.ended() ? null : afterWarmFailure(r.outcome, driver);
  }
  await track(Promise.resolve(recorder.transfer?.(action.to, action.human === true, action.reason)));
  if (action.to && transport.transfer) {
    const ok = await track(transport.transfer(action.to).catch(() => false));
    if (!ok) {
      await track(Promise.resolve(recorder.transferFailed?.()));
      if (parts.ended()) return null;
      return driver.transferFailed?.(new AbortController().signal) ?? null;
    }
  }
  return 'transferred';
}

export interface WarmTransferAction {
  to: string;
  whisper: string;
  human?: boolean;
  reason?: string;
}

const said: Record<Exclude<WarmDialOutcome, 'answered'>, string> = {
  no_answer: 'nobody answered',
  busy: 'the line was busy',
  declined: 'the call was declined',
  invalid_number: 'the number could not be reached (invalid)',
  failed: 'the call could not be placed',
};

/**
 * A warm transfer: the caller hears hold audio at once, the person at `to` is dialled as a second
 * leg and told who is calling (`whisper`), and only then is the caller joined to them. Returns
 * whether the caller was joined (the session then ends `transferred`) and, if not, why; the
 * transcript gets a note either way. The recorder's `transfer` is written just before the join
 * (the carrier's callbacks for the joined call must read `transferred`), never while it rings.
 */
export async function warmTransfer(
  parts: WarmTransferParts,
  action: WarmTransferAction,
): Promise<{ joined: boolean; outcome: WarmDialOutcome }> {
  const t = parts.transport;
  t.hold?.(true);
  parts.note(`[on hold: calling ${action.to} for a warm transfer]`);
  let outcome: WarmDialOutcome = 'failed';
  let result: Awaited<ReturnType<NonNullable<CallTransport['dialWarm']>>> | null = null;
  try {
    result = await t.dialWarm!({ to: action.to, whisper: action.whisper, ringSeconds: WARM_RING_SECONDS });
    outcome = result.outcome;
  } catch {
    outcome = 'failed';
  }
  if (parts.ended()) {
    await result?.cancel?.().catch(() => {});
    return { joined: false, outcome };
  }
  const track = <T>(work: Promise<T>) => parts.scheduler.track(work);
  if (outcome === 'answered' && result?.join) {
    await track(Promise.resolve(parts.recorder.transfer?.(action.to, action.human === true, action.reason)));
    const joined = await track(result.join().catch(() => false));
    if (joined) {
      parts.note(`[${action.to} answered and was told who is calling; the caller was joined]`);
      return { joined: true, outcome };
    }
    await track(Promise.resolve(parts.recorder.transferFailed?.()));
    await track(Promise.resolve(result.cancel?.()).catch(() => {}));
    outcome = 'failed';
  }
  t.hold?.(false);
  parts.note(`[warm transfer to ${action.to} not completed: ${said[outcome as keyof typeof said]}]`);
  return { joined: false, outcome };
}

const told: Record<Exclude<WarmDialOutcome, 'answered'>, string> = {
  no_answer: "I'm sorry, nobody picked up just now.",
  busy: "I'm sorry, their line is busy right now.",
  declined: "I'm sorry, they can't take the call right now.",
  invalid_number: "I'm sorry, I couldn't get through to them.",
  failed: "I'm sorry, I couldn't put the call through.",
};

/** What the caller hears when the warm transfer did not happen; then the driver carries on. */
export async function* afterWarmFailure(
  outcome: WarmDialOutcome,
  driver: CallDriver,
): AsyncIterable<DriverChunk> {
  const line = told[outcome as keyof typeof told] ?? told.failed;
  if (driver.transferFailed) {
    yield { type: 'say', text: line };
    yield* driver.transferFailed(new AbortController().signal);
    return;
  }
  yield { type: 'say', text: `${line} I can keep helping you, or take a message for them.` };
}

/**
 * What the person hears before the caller is joined: who is calling and, with `summary`, why and
 * what the caller said last.
 */
export function warmWhisper(opts: {
  agentName: string;
  caller: string | null;
  reason?: string;
  recent: string[];
  summary: boolean;
}): string {
  const who = opts.caller ? `${opts.caller} is` : 'A caller is';
  let text = `Hi, this is the AI assistant of ${opts.agentName}. ${who} on the line for you.`;
  if (opts.summary) {
    if (opts.reason) text += ` Reason: ${opts.reason.replace(/[.!?\s]+$/, '')}.`;
    const recent = opts.recent.filter(Boolean).slice(-2);
    if (recent.length) text += ` They said: "${recent.join(' ').slice(0, 300)}".`;
  }
  return `${text} Connecting you now.`;
}
