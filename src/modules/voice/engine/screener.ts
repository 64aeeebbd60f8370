import type { CallDriver, CallerTurn, DriverChunk } from './types.ts';

/**
 * Call screening assistants: an outbound call answered by the phone's own assistant (Google Call
 * Screen, iOS Call Screening, Samsung Bixby text call, carrier and app screeners) rather than the
 * person. Recognised from what the far end says first; the agent then states who it is and why
 * (or hangs up, per `call_screener.action`) and waits for the person.
 *
 * Phrasings the patterns cover (English), as these assistants say them:
 * - Google: "Hi, the person you're calling is using a screening service from Google, and will get a
 *   copy of this conversation. Go ahead and say your name and why you're calling."
 * - iOS: "Hi, if you record your name and reason for calling, I'll see if this person is available."
 * - Samsung: "Hello, the person you are calling is using Bixby text call. ..."
 * - Carriers and apps: "This call is being screened. Please state your name and the reason for your
 *   call.", "The person you are trying to reach uses call screening. Please say your name after the
 *   tone.", "You've reached an automated call screening service ..."
 * A person's "Hello? Who's calling?" is never one: every pattern needs a screening cue.
 */
const screenerPatterns: RegExp[] = [
  /\b(call[- ]?)?screening (service|assistant)\b/,
  /\bcall screen(ing)?\b/,
  /\b(this|your) call is being screened\b/,
  /\b(say|state|record|tell (me|us))\b[^.?!]{0,40}\byour name\b[^.?!]{0,60}\b(why|reason|purpose)\b/,
  /\bthe person you('re| are) (calling|trying to reach)\b[^.?!]{0,80}\b(using|uses|assistant|screen|available|record)/,
  /\b(bixby|google) (text call|assistant)\b/,
  /\b(virtual|digital|automated) (assistant|receptionist)\b[^.?!]{0,80}\b(person|call|calling|screen)/,
];

/** What a screener says while it fetches the person (not the person picking up). */
const screenerHoldPatterns: RegExp[] = [
  /\bsee if (this|the) person is (available|around|free)\b/,
  /\b(stay|remain|hold) on the line\b/,
  /\bplease (hold|wait)\b/,
  /\bi('ll| will) (see if|let (them|him|her) know|check|pass (that|this) on|ask)\b/,
  /\b(one|just a) (moment|second)\b/,
  /\b(they|he|she)('ll| will) be (right )?with you\b/,
  /\bthanks?( you)?[,.!]? (for (that|waiting)|i('ll| will))\b/,
  /\bscreening service\b|\bcall screen/,
];

const norm = (text: string) => text.toLowerCase().replace(/[’‘]/g, "'").replace(/\s+/g, ' ').trim();

/** Whether an utterance is a call-screening assistant asking who is calling. */
export function isCallScreener(text: string): boolean {
  const t = norm(text);
  return screenerPatterns.some((re) => re.test(t));
}

/** Whether an utterance is the screener again (asking, or asking the caller to hold). */
export function isScreenerHold(text: string): boolean {
  const t = norm(text);
  return isCallScreener(t) || screenerHoldPatterns.some((re) => re.test(t));
}

/** How long the agent waits for the person once a screener answered (then `call_screener`). */
export const SCREENER_WAIT_MS = 60_000;

/** How an outbound call deals with a screener: what the calls module decides for the call. */
export interface ScreenerSettings {
  action: 'state_purpose' | 'hangup';
  /** What the agent tells the screener (already filled in). */
  message: string;
  waitMs?: number;
  /** The far end is a screener: record `answered_by: call_screener`. */
  detected(): Promise<void>;
}

/** The settings with what the session gives the screener: its clock and its transcript. */
export interface ScreenerPolicy extends ScreenerSettings {
  /** The time of the call (the session's scheduler). */
  now(): number;
  /** A line in the transcript saying what happened. */
  note(text: string): void;
}

/**
 * Wraps the call's driver with screener handling. Nothing waits for detection: the greeting is
 * the driver's own and starts as soon as the call connects; the caller's first utterance decides.
 * - first utterance a screener: `detected()`, then the purpose is stated (or the call ends
 *   `call_screener` at once, with `action: hangup`);
 * - while screening: the screener's further prompts get the purpose again (when it asks again)
 *   or silence (while it holds); the first utterance that is neither is the person, who hears
 *   the driver's greeting, and the call goes on as usual;
 * - nobody within `waitMs` of the detection: the call ends `call_screener`, with a transcript note.
 */
export function screeningDriver(inner: CallDriver, policy: ScreenerPolicy): CallDriver {
  let state: 'unknown' | 'screening' | 'person' = 'unknown';
  let since = 0;
  const waitMs = policy.waitMs ?? SCREENER_WAIT_MS;
  const left = () => Math.max(0, since + waitMs - policy.now());

  async function* giveUp(): AsyncIterable<DriverChunk> {
    policy.note(
      `[the call screener did not hand over to the person within ${Math.round(waitMs / 1000)} s: call ended]`,
    );
    yield { type: 'end_call', reason: 'call_screener' };
  }

  return {
    start: (signal) => inner.start(signal),
    interrupted: (heard) => inner.interrupted?.(heard),
    voicemail: () => inner.voicemail?.() ?? null,
    ...(inner.transferFailed ? { transferFailed: (signal) => inner.transferFailed!(signal) } : {}),
    async *reply(turn: CallerTurn, signal: AbortSignal) {
      if (state === 'unknown' && !turn.dtmf) {
        if (!isCallScreener(turn.text)) state = 'person';
        else {
          state = 'screening';
          since = policy.now();
          await policy.detected();
          if (policy.action === 'hangup') {
            policy.note('[a call screening assistant answered: hung up (call_screener.action: hangup)]');
            yield { type: 'end_call', reason: 'call_screener' };
            return;
          }
          policy.note('[a call screening assistant answered: the agent stated who is calling and why]');
          yield { type: 'say', text: policy.message };
          return;
        }
      } else if (state === 'unknown') state = 'person';
      if (state === 'screening') {
        if (left() === 0) {
          yield* giveUp();
          return;
        }
        if (isCallScreener(turn.text)) {
          yield { type: 'say', text: policy.message };
          return;
        }
        if (!turn.dtmf && isScreenerHold(turn.text)) return;
        // Someone else speaks: the person picked up. They get the greeting, then the call goes on.
        state = 'person';
        policy.note('[the person picked up after the call screener]');
        yield* inner.start(signal);
        return;
      }
      yield* inner.reply(turn, signal);
    },
    async *reprompt(signal: AbortSignal) {
      if (state !== 'screening') {
        yield* inner.reprompt(signal);
        return;
      }
      // Waiting for the person: silence is expected, until the time limit.
      if (left() === 0) yield* giveUp();
    },
    handlesSilence() {
      if (state === 'screening') return { timeoutMs: Math.max(1, left()) };
      return inner.handlesSilence?.() ?? null;
    },
  };
}

/** The default message to a screener: who is calling, for whom and why. */
export function defaultScreenerMessage(agentName: string | null, variables: Record<string, string>): string {
  const purpose = variables.purpose || variables.call_purpose || variables.reason || '';
  const who = variables.name ? ` for ${variables.name}` : '';
  const why = purpose ? ` about ${purpose.replace(/[.!?\s]+$/, '')}` : '';
  const me = agentName ? `the AI assistant of ${agentName}` : 'an automated assistant';
  return `Hi, this is ${me}, calling${who}${why}. I'll hold while you let them know.`;
}
