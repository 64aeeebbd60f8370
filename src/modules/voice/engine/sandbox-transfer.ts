import { speakingMs } from './speech-text.ts';
import type { SandboxLine, SandboxScript, Scheduler, WarmDialRequest, WarmDialResult } from './types.ts';

/**
 * What a sandbox call screener says (`sandbox.outcome: call_screener`): it cuts into the agent's
 * greeting with Google Call Screen's words, and once the agent has said who it is, asks it to hold;
 * then the person says the script's lines (none: nobody ever comes to the phone).
 */
export const sandboxScreenerLines: SandboxLine[] = [
  {
    text: "Hi, the person you're calling is using a screening service from Google, and will get a copy of this conversation. Go ahead and say your name and why you're calling.",
    barge_in: true,
    after_ms: 300,
  },
  'Thanks. Please stay on the line while I see if this person is available.',
];

/** When the simulated person a warm transfer dials does what (ms after the dial). */
export const sandboxTransferTimeline = {
  answerAfterMs: 3_000,
  declineAfterMs: 4_000,
  busyAfterMs: 1_500,
  invalidAfterMs: 200,
};

/**
 * The second leg of a warm transfer in test mode: the person answers, lets it ring out, or
 * declines, as `transfer_answer` says; without it, by the number's last digit as for calls
 * (1 busy, 2 no answer, 3 voicemail, which is no person: no answer, 4 invalid, else answers).
 * An answering person hears the whisper (its speaking time) before the caller is joined.
 */
export function sandboxWarmDial(
  sched: Scheduler,
  request: WarmDialRequest,
  answer: SandboxScript['transfer_answer'],
): Promise<WarmDialResult> {
  const last = request.to.slice(-1);
  const t = sandboxTransferTimeline;
  const plan: [number, WarmDialResult['outcome']] =
    answer === 'answer'
      ? [t.answerAfterMs + speakingMs(request.whisper), 'answered']
      : answer === 'decline'
        ? [t.declineAfterMs, 'declined']
        : answer === 'no_answer' || last === '2' || last === '3'
          ? [request.ringSeconds * 1000, 'no_answer']
          : last === '1'
            ? [t.busyAfterMs, 'busy']
            : last === '4'
              ? [t.invalidAfterMs, 'invalid_number']
              : [t.answerAfterMs + speakingMs(request.whisper), 'answered'];
  return new Promise((resolve) => {
    sched.after(plan[0], () =>
      resolve(
        plan[1] === 'answered' ? { outcome: 'answered', join: async () => true } : { outcome: plan[1] },
      ),
    );
  });
}
