import { FRAME_SAMPLES } from './types.ts';

interface FvadModule {
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, ptr: number, length: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAP16: Int16Array;
}

// The WebAssembly module is compiled once per process (it holds no call state; each detector
// has its own instance inside it).
let loading: Promise<FvadModule> | undefined;
function fvadModule(): Promise<FvadModule> {
  loading ??= import('@echogarden/fvad-wasm').then((m) => (m.default as () => Promise<FvadModule>)());
  return loading;
}

export interface VadOptions {
  /** 0 (least aggressive) to 3 (most): how readily noise counts as non-speech. */
  mode?: number;
  /** Voiced 20 ms frames in a row that start speech (default 3: 60 ms). */
  startFrames?: number;
  /** Unvoiced frames in a row that end it (default 4: 80 ms). */
  endFrames?: number;
}

/**
 * Voice activity detection on 16 kHz PCM with WebRTC's VAD (libfvad compiled to WebAssembly: no
 * model to download). Reports when speech starts and stops; the session decides what a pause means.
 */
export class VoiceActivityDetector {
  readonly #m: FvadModule;
  readonly #inst: number;
  readonly #ptr: number;
  readonly #startFrames: number;
  readonly #endFrames: number;
  /** A partial frame carried to the next push (`#pendingCount` samples of it). */
  readonly #pending = new Int16Array(FRAME_SAMPLES);
  #pendingCount = 0;
  #voicedRun = 0;
  #silentRun = 0;
  #speaking = false;
  #closed = false;

  private constructor(m: FvadModule, opts: VadOptions) {
    this.#m = m;
    this.#inst = m._fvad_new();
    if (!this.#inst) throw new Error('fvad: out of memory');
    m._fvad_set_mode(this.#inst, opts.mode ?? 2);
    if (m._fvad_set_sample_rate(this.#inst, 16_000) !== 0) throw new Error('fvad: unsupported sample rate');
    this.#ptr = m._malloc(FRAME_SAMPLES * 2);
    this.#startFrames = opts.startFrames ?? 3;
    this.#endFrames = opts.endFrames ?? 4;
  }

  static async create(opts: VadOptions = {}) {
    return new VoiceActivityDetector(await fvadModule(), opts);
  }

  get speaking() {
    return this.#speaking;
  }

  /**
   * Feeds audio; calls `onChange(true|false)` when speech starts or stops. Nothing is allocated
   * per frame: whole 20 ms frames are copied straight into the detector's memory, and a partial
   * frame's samples wait in a fixed buffer until the next push completes it.
   */
  push(pcm: Int16Array, onChange: (speaking: boolean) => void) {
    if (this.#closed) return;
    const heap = this.#m.HEAP16;
    const at = this.#ptr >> 1;
    let off = 0;
    if (this.#pendingCount > 0) {
      const take = Math.min(FRAME_SAMPLES - this.#pendingCount, pcm.length);
      this.#pending.set(take === pcm.length ? pcm : pcm.subarray(0, take), this.#pendingCount);
      this.#pendingCount += take;
      off = take;
      if (this.#pendingCount < FRAME_SAMPLES) return;
      heap.set(this.#pending, at);
      this.#pendingCount = 0;
      this.#frame(onChange);
    }
    if (off === 0 && pcm.length === FRAME_SAMPLES) {
      heap.set(pcm, at);
      this.#frame(onChange);
      return;
    }
    for (; off + FRAME_SAMPLES <= pcm.length; off += FRAME_SAMPLES) {
      heap.set(pcm.subarray(off, off + FRAME_SAMPLES), at);
      this.#frame(onChange);
    }
    if (off < pcm.length) {
      this.#pending.set(pcm.subarray(off), 0);
      this.#pendingCount = pcm.length - off;
    }
  }

  /** Runs the detector on the frame in its memory. */
  #frame(onChange: (speaking: boolean) => void) {
    const voiced = this.#m._fvad_process(this.#inst, this.#ptr, FRAME_SAMPLES) === 1;
    if (voiced) {
      this.#voicedRun++;
      this.#silentRun = 0;
      if (!this.#speaking && this.#voicedRun >= this.#startFrames) {
        this.#speaking = true;
        onChange(true);
      }
    } else {
      this.#silentRun++;
      this.#voicedRun = 0;
      if (this.#speaking && this.#silentRun >= this.#endFrames) {
        this.#speaking = false;
        onChange(false);
      }
    }
  }

  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#m._free(this.#ptr);
    this.#m._fvad_free(this.#inst);
  }
}
