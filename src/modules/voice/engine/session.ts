import { TurnTakingSession } from './session-turns.ts';
import type { SessionEnd, SessionParts } from './session-types.ts';
import { SpeechGate } from './speech-gate.ts';
import type { TransportSink } from './types.ts';
import { ENGINE_SAMPLE_RATE } from './types.ts';
import { VoiceActivityDetector } from './vad.ts';

export {
  defaultSessionSettings,
  type SessionEnd,
  type SessionParts,
  type SessionRecorder,
  type SessionSettings,
  type TranscriptTurn,
  type TurnTiming,
} from './session-types.ts';

/**
 * One live call: listens (VAD, speech-to-text, end of turn), asks the driver what to say,
 * speaks it sentence by sentence (text-to-speech), lets the caller cut in (barge-in) and keeps
 * the transcript. All timing goes through the scheduler, so a simulated call runs on virtual time.
 *
 * Built by concern: the state and transcript (session-core.ts), speaking (session-speaking.ts),
 * barge-in (session-barge-in.ts), turn-taking (session-turns.ts); here, the call's life (start,
 * end) and its input (the transport's events, the audio through the VAD to the recogniser).
 */
export class CallSession extends TurnTakingSession {
  #vad: VoiceActivityDetector | null = null;
  /** For a recogniser of whole utterances: the audio before speech starts (speech-gate.ts). */
  #gate: SpeechGate | null = null;
  #pendingAudio: Int16Array[] | null = null;
  #ended: Promise<void> | null = null;
  #endedResolve!: () => void;
  readonly done: Promise<void>;

  constructor(parts: SessionParts) {
    super(parts);
    this.done = new Promise((r) => {
      this.#endedResolve = r;
    });
  }

  /** The call is connected: attach the far end and let the driver open. */
  start() {
    const sched = this.p.scheduler;
    this.answeredAt = sched.now();
    this.p.transport.attach(this.#sink());
    this.maxTimer = sched.after(this.s.maxDurationMs, () => {
      void this.end({ reason: 'max_duration', status: 'completed' });
    });
    this.notify({ type: 'status', status: 'in_progress' });
    this.speak(this.p.driver.start(new AbortController().signal), null);
  }

  /** Ends the call (idempotent): hangs up the far end and records how it ended. */
  end(end: SessionEnd): Promise<void> {
    if (this.#ended) return this.#ended;
    // An agent turn under way when the call ends is kept as far as it was heard.
    if (this.turn && !this.turn.finished) this.cutTurn(this.turn);
    this.phase = 'ended';
    for (const t of [this.bargeTimer, this.eotTimer, this.silenceTimer, this.maxTimer]) t?.cancel();
    this.#ended = this.p.scheduler.track(
      (async () => {
        try {
          this.notify({ type: 'ended', status: end.status, ended_reason: end.reason });
          this.stt?.close();
          this.#vad?.close();
          // The end is written before the far end is hung up: the carrier's own "completed"
          // callback for our hangup must not get there first and record it as the caller's.
          await this.p.recorder.ended(end, this.lines).catch((err) => this.p.onError?.(err));
          await this.p.transport.hangup().catch((err) => this.p.onError?.(err));
        } catch (err) {
          this.p.onError?.(err);
        } finally {
          this.p.scheduler.dispose();
          this.#endedResolve();
        }
      })(),
    );
    return this.#ended;
  }

  /** Stops without recording an end (the call was ended elsewhere, e.g. `POST .../hangup`). */
  stop(reason: 'canceled' | 'server_shutdown' = 'canceled') {
    return this.end(reason === 'canceled' ? { reason, status: 'canceled' } : { reason, status: 'failed' });
  }

  // ------------------------------------------------------------------ input

  #sink(): TransportSink {
    return {
      audio: (pcm) => this.#onAudio(pcm),
      speech: (e) => (e.type === 'start' ? this.speechStart(e.text) : this.speechEnd()),
      text: (text) => this.onText(text),
      dtmf: (digit) => this.onDtmf(digit),
      played: (id) => this.onPlayed(id),
      hungUp: () => {
        void this.end({ reason: 'customer_ended_call', status: 'completed' });
      },
    };
  }

  /**
   * A frame of the caller's audio (a view of the socket's bytes: used at once, not kept). A
   * streaming recogniser gets every frame; one of whole utterances gets speech only (and the
   * moment before it, from the gate); the VAD hears every frame.
   */
  #onAudio(pcm: Int16Array) {
    if (this.phase === 'ended') return;
    const vad = this.#vad;
    if (!vad) {
      // Set up on the first audio: transports with recognised speech (sandbox) never need it.
      void this.p.scheduler.track(this.#openAudioInput(pcm));
      return;
    }
    const stt = this.stt;
    if (stt) {
      if (!this.#gate || vad.speaking) stt.push(pcm);
      else this.#gate.keep(pcm);
    }
    vad.push(pcm, this.#onVoice);
  }

  /** The VAD's verdict (one function for the call, not one made per frame). */
  readonly #onVoice = (speaking: boolean) => {
    if (!speaking) return this.speechEnd();
    if (this.#gate && this.stt) this.#gate.flush(this.stt);
    this.speechStart(undefined);
  };

  async #openAudioInput(first: Int16Array) {
    if (this.#pendingAudio) {
      this.#pendingAudio.push(first);
      return;
    }
    this.#pendingAudio = [first];
    try {
      const vad = await VoiceActivityDetector.create();
      this.stt = this.p.stt.open(
        { sampleRate: ENGINE_SAMPLE_RATE, language: this.s.language },
        {
          partial: (text) => this.onPartial(text),
          final: (text) => this.onFinal(text),
          error: (err) => {
            this.p.onError?.(err);
            void this.end({ reason: 'stt_error', status: 'failed', error: err.message });
          },
        },
      );
      if (this.stt.speechOnly) this.#gate = new SpeechGate();
      this.#vad = vad;
      const queued = this.#pendingAudio;
      this.#pendingAudio = null;
      for (const pcm of queued) this.#onAudio(pcm);
    } catch (err) {
      this.p.onError?.(err);
      void this.end({ reason: 'stt_error', status: 'failed', error: (err as Error).message });
    }
  }
}
