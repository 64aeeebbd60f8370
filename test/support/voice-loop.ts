import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MulawDecoder16k, MulawEncoder16k } from '../../src/modules/voice/audio/codec.ts';
import { espeakTts, findBuiltinEngines, wavOf } from '../../src/modules/voice/speech/builtin.ts';

/**
 * The whole voice loop for the evaluation (issue 30): a customer's message is spoken by the
 * built-in text-to-speech (espeak-ng, 16 kHz), squeezed into the phone band (8 kHz mu-law, the
 * codec of every carrier leg, with a little white noise added first) and recognised back to text
 * by the built-in speech-to-text (pocketsphinx). pocketsphinx is given a grammar the way a call
 * gives it hints: any sequence of the words of the evaluation messages, digits, letters and the
 * words of spoken emails (a free word loop, not the sentences: it can and does mishear).
 */
const DICT = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';

export interface VoiceLoop {
  hear(text: string, seed: number): Promise<string>;
  close(): Promise<void>;
}

/** Null when espeak-ng or pocketsphinx (with its US English model) is not installed. */
export async function openVoiceLoop(
  messages: string[],
  opts: { noise?: number } = {},
): Promise<VoiceLoop | null> {
  const engines = findBuiltinEngines();
  if (!engines.espeak || !engines.pocketsphinx) return null;
  const known = new Set(
    readFileSync(DICT, 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((w) => w && !w.includes('(')),
  );
  const extra = 'zero oh one two three four five six seven eight nine double triple at the rate dot com in';
  const vocab = new Set<string>();
  for (const m of [...messages.map(sayAsCaller), extra])
    for (const w of m.toLowerCase().split(/[^a-z']+/)) if (w && known.has(w)) vocab.add(w);
  const dir = await mkdtemp(join(tmpdir(), 'parley-voice-eval-'));
  const grammar = join(dir, 'words.jsgf');
  await writeFile(
    grammar,
    `#JSGF V1.0;\ngrammar words;\npublic <utterance> = ( ${[...vocab].sort().join(' | ')} )* ;\n`,
  );
  const tts = espeakTts(engines.espeak);
  const amplitude = opts.noise ?? 300;
  let n = 0;
  return {
    async hear(text, seed) {
      const chunks: Int16Array[] = [];
      for await (const c of tts.synthesize(sayAsCaller(text), { sampleRate: 16_000, language: 'en' }))
        chunks.push(c);
      const pcm = concat(chunks);
      // White noise at about -40 dB under full scale, the same for a given seed.
      let x = (seed * 2_654_435_761 + 1) >>> 0;
      for (let i = 0; i < pcm.length; i++) {
        x = (x * 1_664_525 + 1_013_904_223) >>> 0;
        pcm[i] = Math.max(
          -32_768,
          Math.min(32_767, pcm[i] + Math.round(((x / 2 ** 32) * 2 - 1) * amplitude)),
        );
      }
      const phone = new MulawDecoder16k().decode(new MulawEncoder16k().encode(pcm));
      const wav = join(dir, `u${++n}.wav`);
      await writeFile(wav, wavOf(phone, 16_000));
      try {
        return await recognise(engines.pocketsphinx as string, wav, grammar);
      } finally {
        await rm(wav, { force: true });
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

const DIGIT_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/**
 * A typed message as a person says it on the phone: an email as "meera dot p at gmail dot com",
 * a phone number (five or more digits) digit by digit. Everything else as written.
 */
export function sayAsCaller(text: string): string {
  return text
    .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, (e) =>
      e
        .replace(/@/, ' at ')
        .replace(/\./g, ' dot ')
        .replace(/_/g, ' underscore ')
        .replace(/\d/g, (d) => ` ${DIGIT_WORDS[Number(d)]} `),
    )
    .replace(/\+?\d[\d -]{3,}\d/g, (n) =>
      n.replace(/\D/g, '').length >= 5
        ? ` ${n
            .replace(/\D/g, '')
            .split('')
            .map((d) => DIGIT_WORDS[Number(d)])
            .join(' ')} `
        : n,
    )
    .replace(/\s{2,}/g, ' ')
    .trim();
}

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((a, c) => a + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function recognise(bin: string, wav: string, grammar: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-infile', wav, '-jsgf', grammar, '-logfn', '/dev/null'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', () =>
      resolve(
        out
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
          .join(' '),
      ),
    );
  });
}
