import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pcm16FromLE, pcm16ViewLE } from '../audio/codec.ts';
import type {
  SttEngine,
  SttListener,
  SttOptions,
  SttStream,
  TtsEngine,
  TtsOptions,
} from '../engine/types.ts';
import { utteranceStream } from './utterances.ts';

/**
 * The offline engines, from the operating system's packages (Debian: `espeak-ng`,
 * `pocketsphinx`, `pocketsphinx-en-us`), each run as a child process:
 *
 * - text-to-speech: `espeak-ng --stdout` (robotic but clear, ~1,000x real time, many languages);
 * - speech-to-text: `pocketsphinx_continuous` on each finished utterance (16 kHz, US English
 *   only; fair with a grammar of expected phrases, poor on open speech, useless on 8 kHz phone audio).
 *
 * They are used only when found on the machine (`findBuiltinEngines`); `/readyz` says which.
 */

export interface BuiltinEngines {
  /** Path of `espeak-ng`, or null when it is not installed. */
  espeak: string | null;
  /** Path of `pocketsphinx_continuous`, or null when it (or its US English model) is not installed. */
  pocketsphinx: string | null;
}

/** The pocketsphinx-en-us model the Debian binary loads by default. */
const POCKETSPHINX_MODEL = '/usr/share/pocketsphinx/model/en-us/en-us';

function onPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return null;
}

export function findBuiltinEngines(path?: string): BuiltinEngines {
  const sphinx = onPath('pocketsphinx_continuous', path);
  return {
    espeak: onPath('espeak-ng', path),
    pocketsphinx: sphinx && existsSync(POCKETSPHINX_MODEL) ? sphinx : null,
  };
}

// ---------------------------------------------------------------- text-to-speech

/** espeak-ng's voice for a BCP 47 tag: `hi-IN` → `hi`, English → `en-us`. */
export function espeakVoice(voice: string | undefined, language: string | undefined): string {
  if (voice) return voice;
  const lang = (language ?? 'en').toLowerCase();
  if (lang.startsWith('en')) return lang === 'en-gb' ? 'en-gb' : 'en-us';
  return lang.split('-')[0];
}

/** Linear-interpolation resampler over a stream of chunks (espeak-ng speaks at 22,050 Hz). */
export class LinearResampler {
  readonly #step: number;
  #pos = 0;
  #last = 0;
  #primed = false;
  constructor(from: number, to: number) {
    this.#step = from / to;
  }
  /** The rates are the same: `push` hands its input back. */
  get same(): boolean {
    return this.#step === 1;
  }
  push(input: Int16Array): Int16Array {
    if (this.#step === 1) return input;
    if (!this.#primed && input.length) {
      this.#primed = true;
      this.#last = input[0];
    }
    // Samples indexed from -1 (the previous chunk's last) so interpolation spans chunk edges.
    // Written straight into a typed array sized for the most this chunk can give (no
    // intermediate array: this runs on every chunk of every call's speech).
    const step = this.#step;
    const end = input.length - 1;
    let pos = this.#pos;
    // (One more than the arithmetic count: the running sum of steps may round either way.)
    const out = new Int16Array(Math.max(0, Math.ceil((end - pos) / step) + 1));
    let k = 0;
    while (pos < end) {
      const i = Math.floor(pos);
      const frac = pos - i;
      const a = i < 0 ? this.#last : input[i];
      out[k++] = Math.round(a * (1 - frac) + input[i + 1] * frac);
      pos += step;
    }
    this.#pos = pos - input.length;
    if (input.length) this.#last = input[input.length - 1];
    return out.subarray(0, k);
  }
}

/** A WAV header's sample rate and where its data starts (espeak-ng streams with a 44-byte header). */
export function wavHeader(buf: Buffer): { rate: number; dataStart: number } | null {
  if (buf.length < 44 || buf.toString('ascii', 0, 4) !== 'RIFF') return null;
  let off = 12;
  let rate = 22_050;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') rate = buf.readUInt32LE(off + 12);
    if (id === 'data') return { rate, dataStart: off + 8 };
    off += 8 + size;
  }
  return null;
}

/**
 * A WAV file as it streams, as PCM at `sampleRate`: the header (however the chunks split it)
 * gives the rate, and a chunk's odd last byte is carried to the next. Throws `notWav` when 4 KiB
 * come without a header. The chunks must be the stream's own (handed out once): they are read in
 * place, not copied.
 */
export async function* wavStreamPcm(
  chunks: AsyncIterable<Uint8Array>,
  sampleRate: number,
  notWav: string,
): AsyncGenerator<Int16Array> {
  let head: Buffer | null = Buffer.alloc(0);
  let resampler: LinearResampler | null = null;
  let carry: number | undefined;
  for await (const chunk of chunks) {
    let buf: Uint8Array = chunk;
    if (head) {
      head = Buffer.concat([head, chunk]);
      const h = wavHeader(head);
      if (!h) {
        if (head.length > 4096) throw new Error(notWav);
        continue;
      }
      resampler = new LinearResampler(h.rate, sampleRate);
      buf = head.subarray(h.dataStart);
      head = null;
    }
    if (carry !== undefined) buf = Buffer.concat([Buffer.from([carry]), buf]);
    carry = buf.length % 2 ? buf[buf.length - 1] : undefined;
    const n = buf.length >> 1;
    if (!n) continue;
    // A resampler at the same rate hands its input back: then it is copied (kept by the call).
    const pcm = resampler!.same ? pcm16FromLE(buf, n) : pcm16ViewLE(buf, n);
    const out = resampler!.push(pcm);
    if (out.length) yield out;
  }
}

export function espeakTts(bin: string, defaults: { voice?: string; language?: string } = {}): TtsEngine {
  return {
    name: 'builtin',
    async *synthesize(text: string, options: TtsOptions) {
      const voice = espeakVoice(options.voice ?? defaults.voice, options.language ?? defaults.language);
      const child = spawn(bin, ['--stdout', '-v', voice, '--stdin'], { stdio: ['pipe', 'pipe', 'pipe'] });
      const abort = () => child.kill('SIGKILL');
      options.signal?.addEventListener('abort', abort, { once: true });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((resolve, reject) => {
        child.on('error', reject);
        child.on('close', resolve);
      });
      exited.catch(() => {});
      child.stdin.on('error', () => {});
      child.stdin.end(text);
      try {
        yield* wavStreamPcm(
          child.stdout as AsyncIterable<Buffer>,
          options.sampleRate,
          'espeak-ng did not produce WAV audio.',
        );
        const code = await exited;
        if (options.signal?.aborted) return;
        if (code !== 0)
          throw new Error(`espeak-ng failed (exit ${code}): ${stderr.trim().slice(0, 200) || 'no message'}`);
      } finally {
        options.signal?.removeEventListener('abort', abort);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

// ---------------------------------------------------------------- speech-to-text

/** A JSGF grammar accepting exactly the given phrases (words pocketsphinx cannot spell are dropped). */
export function jsgfOf(phrases: string[]): string | null {
  const alts = [
    ...new Set(
      phrases
        .map((p) =>
          p
            .toLowerCase()
            .replace(/[^a-z' ]+/g, ' ')
            .replace(/\s+/g, ' ')
            .trim(),
        )
        .filter(Boolean),
    ),
  ];
  if (!alts.length) return null;
  return `#JSGF V1.0;\ngrammar parley;\npublic <utterance> = ${alts.join(' | ')} ;\n`;
}

export function wavOf(pcm: Int16Array, rate: number): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return Buffer.concat([wavHeaderOf(data.length, rate), data]);
}

/** The 44-byte header of a WAV file of `bytes` bytes of 16-bit mono PCM at `rate`. */
export function wavHeaderOf(bytes: number, rate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + bytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(bytes, 40);
  return h;
}

/** Runs pocketsphinx over one WAV file; its stdout is one line per utterance it found. */
function recognise(bin: string, wav: string, grammar: string | null, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['-infile', wav, '-logfn', '/dev/null', ...(grammar ? ['-jsgf', grammar] : [])];
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pocketsphinx took longer than ${timeoutMs} ms.`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0)
        reject(new Error(`pocketsphinx failed (exit ${code}): ${err.trim().slice(-200) || 'no message'}`));
      else
        resolve(
          out
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .join(' '),
        );
    });
  });
}

export interface PocketsphinxOptions {
  /** Recognitions running at once in this process (shared by every call of the app). */
  slots: { running: number; max: number };
  timeoutMs?: number;
}

/**
 * pocketsphinx per utterance: the audio pushed since the last `finalize()` is written to a
 * temporary WAV and recognised by a fresh process (with a grammar when the caller's likely
 * phrases are known). Utterances are recognised one after another, so finals keep their order.
 */
export function pocketsphinxStt(bin: string, opts: PocketsphinxOptions): SttEngine {
  return {
    name: 'builtin',
    open(options: SttOptions, listener: SttListener): SttStream {
      if (options.sampleRate !== 16_000)
        throw new Error(
          `The builtin speech-to-text engine needs 16 kHz audio, not ${options.sampleRate} Hz.`,
        );
      if (options.language && !options.language.toLowerCase().startsWith('en'))
        throw new Error(
          `The builtin speech-to-text engine (pocketsphinx) knows only US English, not ${options.language}.`,
        );
      let seq = 0;
      const dir = mkdtemp(join(tmpdir(), 'parley-stt-'));
      dir.catch(() => {});
      const grammarText = jsgfOf([...(options.hints?.phrases ?? []), ...(options.hints?.keywords ?? [])]);
      const grammar = grammarText
        ? dir.then(async (d) => {
            const file = join(d, 'grammar.jsgf');
            await writeFile(file, grammarText);
            return file;
          })
        : Promise.resolve(null);
      grammar.catch(() => {});

      const run = async (pcm: Int16Array) => {
        if (opts.slots.running >= opts.slots.max)
          throw new Error(
            `Too many builtin recognitions at once (PARLEY_BUILTIN_STT_MAX=${opts.slots.max}).`,
          );
        opts.slots.running++;
        const file = join(await dir, `utt-${++seq}.wav`);
        try {
          await writeFile(file, wavOf(pcm, options.sampleRate));
          return await recognise(bin, file, await grammar, opts.timeoutMs ?? 15_000);
        } finally {
          opts.slots.running--;
          await rm(file, { force: true });
        }
      };

      return utteranceStream(
        listener,
        run,
        (running) =>
          void running.finally(() =>
            dir.then((d) => rm(d, { recursive: true, force: true })).catch(() => {}),
          ),
      );
    },
  };
}
