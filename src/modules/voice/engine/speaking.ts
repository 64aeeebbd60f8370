import {
  type AgentTurn,
  closeFirm,
  falseInterruptionMaxMs,
  openFirm,
  type PlayedSegment,
  replayFrom,
  synthesizeAll,
} from './agent-turn.ts';
import type { CallLog } from './call-log.ts';
import { currentSegment, heardText, samplesMs } from './heard-text.ts';
import type { SessionHooks, SessionParts, TurnStart } from './session-types.ts';
import { sentences, speakable, speakingMs } from './speech-text.ts';
import type { DriverChunk } from './types.ts';
import { ENGINE_SAMPLE_RATE } from './types.ts';

type SpeakerParts = Pick<
  SessionParts,
  'transport' | 'tts' | 'scheduler' | 'settings' | 'recorder' | 'onError'
>;
type SpeakerHooks = Pick<SessionHooks, 'speaking' | 'finished' | 'end'>;

/**
 * The agent speaking (TTS playout): what the driver yields is spoken sentence by sentence as each
 * is synthesised (streamed to transports that take a segment in pieces), timed for the latency
 * record, and finished (transcript line, then `finished` with the driver's action). It owns the
 * agent's turn: barge-in asks it to pause, resume or cut that turn, and decides nothing itself.
 */
export class Speaker {
  readonly #p: SpeakerParts;
  readonly #log: CallLog;
  readonly #hooks: SpeakerHooks;
  #turn: AgentTurn | null = null;

  constructor(parts: SpeakerParts, log: CallLog, hooks: SpeakerHooks) {
    this.#p = parts;
    this.#log = log;
    this.#hooks = hooks;
  }

  /** The agent's turn under way (thinking or speaking), if any. */
  get turn() {
    return this.#turn;
  }

  /** Speaks what the driver yields, sentence by sentence, as soon as each is ready. */
  speak(source: AsyncIterable<DriverChunk>, after: TurnStart | null) {
    const turn: AgentTurn = {
      abort: after?.abort ?? new AbortController(),
      segments: [],
      generated: false,
      action: null,
      speechEnd: after?.speechEnd ?? null,
      eouMs: after?.eouMs ?? 0,
      committedReal: performance.now(),
      firstSentenceReal: null,
      firstAudioReal: null,
      firstPlay: null,
      finished: false,
      paused: null,
    };
    this.#turn = turn;
    void this.#p.scheduler.track(this.#runTurn(source, turn));
  }

  /** The transport played a segment to its end. */
  played(segmentId: string) {
    const turn = this.#turn;
    if (!turn) return;
    const seg = turn.segments.find((s) => s.id === segmentId);
    if (!seg) return;
    seg.played = true;
    this.#finish(turn);
  }

  /** Holds the agent's speech (a possible false interruption) until `resume` or `cut`. */
  pause(onLimit: () => void) {
    const turn = this.#turn;
    if (!turn) return;
    this.#p.transport.clear();
    const at = this.#p.scheduler.now();
    const limit = this.#p.scheduler.after(falseInterruptionMaxMs, onLimit);
    turn.paused = { at, index: currentSegment(turn.segments, at), timer: null, limit };
  }

  /** After a false interruption: the sentence the agent was in is played again from the start. */
  resume() {
    const turn = this.#turn;
    if (!turn?.paused) return;
    const { index } = turn.paused;
    turn.paused = null;
    replayFrom(turn, index, this.#p.scheduler.now(), this.#p.transport, this.#log.nextSegmentId);
    this.#finish(turn);
  }

  /** Stops the agent's turn and records what the caller heard of it (interrupted); returns that text. */
  cut(): string {
    const turn = this.#turn;
    if (!turn) return '';
    turn.abort.abort();
    turn.finished = true;
    turn.paused?.timer?.cancel();
    turn.paused?.limit.cancel();
    this.#turn = null;
    // Cut where it stopped (a paused turn: when it paused), as far as the transport played it.
    const now = turn.paused?.at ?? this.#p.scheduler.now();
    const { text } = heardText(turn.segments, now, (id) => this.#p.transport.heardMs?.(id));
    if (turn.firstPlay !== null && text) {
      this.#log.record({
        role: 'agent',
        text,
        start_ms: this.#log.rel(turn.firstPlay),
        end_ms: this.#log.rel(now),
        interrupted: true,
      });
    }
    return text;
  }

  async #runTurn(source: AsyncIterable<DriverChunk>, turn: AgentTurn) {
    try {
      for await (const chunk of source) {
        if (turn.abort.signal.aborted) break;
        if (chunk.type === 'say') await this.#say(turn, chunk);
        else turn.action = chunk;
      }
    } catch (err) {
      if (turn.abort.signal.aborted) return;
      this.#p.onError?.(err);
      const reason = (err as { stage?: string }).stage === 'tts' ? 'tts_error' : 'llm_error';
      await this.#hooks.end({ reason, status: 'failed', error: (err as Error).message });
      return;
    }
    if (turn.abort.signal.aborted || this.#turn !== turn) return;
    turn.generated = true;
    this.#finish(turn);
  }

  /** One `say` of the driver's, sentence by sentence (a firm one cannot be interrupted). */
  async #say(turn: AgentTurn, chunk: Extract<DriverChunk, { type: 'say' }>) {
    if (chunk.interruptible === false) openFirm(turn);
    for (const sentence of sentences(speakable(chunk.text))) {
      if (turn.abort.signal.aborted) break;
      turn.firstSentenceReal ??= performance.now();
      if (this.#streams()) {
        await this.#synthesizeStreaming(turn, sentence);
        if (turn.abort.signal.aborted || this.#turn !== turn) break;
        continue;
      }
      const audio = await synthesizeAll(this.#p.tts, sentence, this.#p.settings, turn.abort.signal);
      if (turn.abort.signal.aborted || this.#turn !== turn) break;
      this.#play(turn, sentence, audio);
    }
    closeFirm(turn);
  }

  /** The transport takes a segment in pieces (`append`/`finish`): speech plays as it is synthesised. */
  #streams() {
    const t = this.#p.transport;
    return typeof t.append === 'function' && typeof t.finish === 'function';
  }

  /**
   * One sentence, played as the speech engine makes it: its first chunk opens the segment (the
   * turn's first audio, for the latency parts), later chunks are appended, and the end of the
   * stream finishes it with its real duration. An engine with no audio plays the sentence as text.
   */
  async #synthesizeStreaming(turn: AgentTurn, text: string) {
    const signal = turn.abort.signal;
    const transport = this.#p.transport;
    let seg: PlayedSegment | null = null;
    try {
      for await (const pcm of this.#p.tts.synthesize(text, {
        sampleRate: ENGINE_SAMPLE_RATE,
        voice: this.#p.settings.voice,
        language: this.#p.settings.language,
        signal,
      })) {
        if (signal.aborted || this.#turn !== turn) return;
        if (!pcm.length) continue;
        if (!seg) {
          seg = this.#play(turn, text, pcm, true);
          continue;
        }
        seg.samples += pcm.length;
        seg.playEnd = seg.playStart + samplesMs(seg.samples);
        seg.more.push(pcm);
        if (!turn.paused) transport.append!(seg.id, pcm);
      }
    } catch (err) {
      if (signal.aborted) return;
      throw Object.assign(err as Error, { stage: 'tts' });
    }
    if (signal.aborted || this.#turn !== turn) return;
    if (!seg) {
      this.#play(turn, text, undefined);
      return;
    }
    seg.open = false;
    seg.durationMs = Math.round(samplesMs(seg.samples));
    seg.playEnd = seg.playStart + seg.durationMs;
    if (!turn.paused) transport.finish!(seg.id, seg.durationMs);
  }

  #play(turn: AgentTurn, text: string, audio: Int16Array | undefined, open = false): PlayedSegment {
    const now = this.#p.scheduler.now();
    // An open segment's length is not known yet: what it has so far, until `finish`.
    const durationMs = audio ? Math.round(samplesMs(audio.length)) : speakingMs(text);
    const last = turn.segments[turn.segments.length - 1];
    const playStart = Math.max(now, last?.playEnd ?? now);
    const seg: PlayedSegment = {
      id: this.#log.nextSegmentId(),
      text,
      audio,
      durationMs,
      playStart,
      playEnd: playStart + durationMs,
      played: false,
      open,
      samples: audio?.length ?? 0,
      more: [],
    };
    turn.segments.push(seg);
    if (turn.firstPlay === null) this.#firstAudio(turn, now);
    this.#log.notify({ type: 'agent_text', text, segment_id: seg.id });
    // Held (a possible false interruption): it plays when the agent resumes.
    if (!turn.paused)
      this.#p.transport.play(
        open
          ? { id: seg.id, text, audio, durationMs: Math.max(durationMs, speakingMs(text)), open: true }
          : { id: seg.id, text, audio, durationMs },
      );
    return seg;
  }

  /** The turn's first audio: the agent is speaking; an answer's latency parts are recorded. */
  #firstAudio(turn: AgentTurn, now: number) {
    turn.firstPlay = now;
    turn.firstAudioReal = performance.now();
    this.#hooks.speaking(turn);
    if (turn.speechEnd !== null && turn.committedReal !== null) {
      const turnMs = turn.firstAudioReal - turn.committedReal;
      const agentMs = (turn.firstSentenceReal ?? turn.firstAudioReal) - turn.committedReal;
      this.#p.recorder.latency({
        eou_ms: Math.round(turn.eouMs),
        agent_ms: round1(agentMs),
        tts_ms: round1(turnMs - agentMs),
        turn_ms: round1(turnMs),
        voice_to_voice_ms: round1(turn.eouMs + turnMs),
      });
    }
  }

  /** Every sentence generated and played: the turn is written down and its action follows. */
  #finish(turn: AgentTurn) {
    if (turn.finished || !turn.generated || !turn.segments.every((s) => s.played)) return;
    turn.finished = true;
    if (this.#turn === turn) this.#turn = null;
    const text = turn.segments.map((s) => s.text).join(' ');
    if (text && turn.firstPlay !== null) {
      this.#log.record({
        role: 'agent',
        text,
        start_ms: this.#log.rel(turn.firstPlay),
        end_ms: this.#log.relNow(),
        interrupted: false,
      });
    }
    this.#hooks.finished(turn.action);
  }
}

const round1 = (n: number) => Math.round(n * 10) / 10;
