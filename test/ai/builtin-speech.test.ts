import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  espeakTts,
  espeakVoice,
  findBuiltinEngines,
  jsgfOf,
  LinearResampler,
  pocketsphinxStt,
} from '../../src/modules/voice/speech/builtin.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const found = findBuiltinEngines();
const noEspeak = found.espeak ? false : 'espeak-ng is not installed (Debian: apt install espeak-ng)';
const noSphinx = found.pocketsphinx
  ? false
  : 'pocketsphinx is not installed (Debian: apt install pocketsphinx pocketsphinx-en-us)';

async function speak(text: string, voice?: string): Promise<Int16Array> {
  const parts: Int16Array[] = [];
  for await (const pcm of espeakTts(found.espeak!).synthesize(text, { sampleRate: 16_000, voice }))
    parts.push(pcm);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

describe('builtin speech engines (units)', () => {
  it('the resampler keeps duration and shape across chunk edges', () => {
    const r = new LinearResampler(22_050, 16_000);
    const ramp = Int16Array.from({ length: 22_050 }, (_, i) => i - 11_025);
    const chunks = [ramp.subarray(0, 1000), ramp.subarray(1000, 1001), ramp.subarray(1001)];
    const out = chunks.flatMap((c) => [...r.push(c)]);
    assert.ok(Math.abs(out.length - 16_000) <= 2, `${out.length} samples`);
    // A ramp stays a ramp: every step about 22050/16000 apart.
    for (let i = 1; i < out.length; i++) assert.ok(Math.abs(out[i] - out[i - 1] - 1.378) < 1.01, `at ${i}`);
  });

  it('the resampler interpolates linearly, the same in one chunk or in many', () => {
    const x = Int16Array.from({ length: 4801 }, (_, i) =>
      Math.round(9000 * Math.sin(i / 7) + 300 * Math.cos(i / 3)),
    );
    const whole = new LinearResampler(24_000, 16_000).push(x);
    // Linear interpolation at positions 0, 1.5, 3, ... of the input (24 kHz → 16 kHz).
    const expected: number[] = [];
    for (let p = 0; p < x.length - 1; p += 1.5) {
      const i = Math.floor(p);
      expected.push(Math.round(x[i] * (1 - (p - i)) + x[i + 1] * (p - i)));
    }
    assert.deepEqual([...whole], expected);
    const r = new LinearResampler(24_000, 16_000);
    const chunked = [7, 1, 640, 2, 1913, 2238].reduce<{ at: number; out: number[] }>(
      (acc, n) => {
        acc.out.push(...r.push(x.subarray(acc.at, acc.at + n)));
        acc.at += n;
        return acc;
      },
      { at: 0, out: [] },
    ).out;
    assert.deepEqual(chunked, expected);
  });

  it('a grammar lists the phrases in words pocketsphinx reads, and none for no phrases', () => {
    assert.equal(
      jsgfOf(['Yes!', 'No, thanks', 'yes']),
      '#JSGF V1.0;\ngrammar parley;\npublic <utterance> = yes | no thanks ;\n',
    );
    assert.equal(jsgfOf(['!!', '']), null);
  });

  it('picks an espeak-ng voice from the language', () => {
    assert.equal(espeakVoice(undefined, 'hi-IN'), 'hi');
    assert.equal(espeakVoice(undefined, 'en-IN'), 'en-us');
    assert.equal(espeakVoice(undefined, undefined), 'en-us');
    assert.equal(espeakVoice('en-gb', 'hi'), 'en-gb');
  });
});

describe('builtin speech engines (the installed programs)', () => {
  it('espeak-ng speaks a sentence as 16 kHz PCM of a plausible length', { skip: noEspeak }, async () => {
    const pcm = await speak('Your appointment is at three PM tomorrow.');
    const seconds = pcm.length / 16_000;
    assert.ok(seconds > 1 && seconds < 6, `${seconds} s`);
    const peak = pcm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    assert.ok(peak > 1000, `audible (peak ${peak})`);
    const hindi = await speak('namaste', 'hi');
    assert.ok(hindi.length > 1600);
  });

  it('espeak-ng stops when the turn is aborted', { skip: noEspeak }, async () => {
    const ac = new AbortController();
    let chunks = 0;
    const long = 'This is a long sentence that goes on. '.repeat(40);
    for await (const _ of espeakTts(found.espeak!).synthesize(long, {
      sampleRate: 16_000,
      signal: ac.signal,
    })) {
      chunks++;
      ac.abort();
    }
    assert.ok(chunks >= 1);
  });

  it('pocketsphinx recognises what espeak-ng said, with a grammar of the expected phrases', {
    skip: noEspeak || noSphinx,
  }, async () => {
    const phrases = ['i want to book an appointment tomorrow', 'what are your opening hours', 'yes', 'no'];
    const engine = pocketsphinxStt(found.pocketsphinx!, { slots: { running: 0, max: 2 } });
    const finals: string[] = [];
    const errors: Error[] = [];
    const stream = engine.open(
      { sampleRate: 16_000, hints: { phrases } },
      { final: (text) => finals.push(text), error: (e) => errors.push(e) },
    );
    for (const text of ['I want to book an appointment tomorrow.', 'What are your opening hours?']) {
      const pcm = await speak(text);
      // Fed in 20 ms frames with silence around it, as the call engine does.
      const padded = new Int16Array(pcm.length + 16_000);
      padded.set(pcm, 8000);
      for (let i = 0; i < padded.length; i += 320) stream.push(padded.subarray(i, i + 320));
      stream.finalize();
    }
    await eventually(async () => finals.length === 2 || errors.length > 0, 60_000);
    stream.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(finals, ['i want to book an appointment tomorrow', 'what are your opening hours']);
  });

  it('pocketsphinx refuses a language it does not have and audio that is not 16 kHz', {
    skip: noSphinx,
  }, () => {
    const engine = pocketsphinxStt(found.pocketsphinx!, { slots: { running: 0, max: 2 } });
    const listener = { final() {}, error() {} };
    assert.throws(() => engine.open({ sampleRate: 16_000, language: 'hi-IN' }, listener), /US English/);
    assert.throws(() => engine.open({ sampleRate: 8000 }, listener), /16 kHz/);
  });

  it('past PARLEY_BUILTIN_STT_MAX a recognition fails instead of queueing', { skip: noSphinx }, async () => {
    const engine = pocketsphinxStt(found.pocketsphinx!, { slots: { running: 0, max: 0 } });
    const errors: Error[] = [];
    const stream = engine.open({ sampleRate: 16_000 }, { final() {}, error: (e) => errors.push(e) });
    stream.push(new Int16Array(3200));
    stream.finalize();
    await eventually(async () => errors.length > 0, 10_000);
    stream.close();
    assert.match(errors[0].message, /PARLEY_BUILTIN_STT_MAX/);
  });
});

forEachStorage('builtin speech engines in the app', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base: string;
  before(async () => {
    t = await startTestApp(storage);
    const address = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    base = address.replace(/^http/, 'ws');
    ws = await t.workspace();
  });
  after(() => t.close());

  it('/readyz lists the speech engines this server can run', async () => {
    const res = await t.call('GET', '/readyz');
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.speech.stt.includes('sandbox'));
    assert.equal(res.body.speech.stt.includes('builtin'), Boolean(found.pocketsphinx));
    assert.equal(res.body.speech.tts.includes('builtin'), Boolean(found.espeak));
  });

  it('a web call with the builtin voice sends the agent speech as audio frames', {
    skip: noEspeak,
  }, async () => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Espeak agent',
        greeting: 'Hello, Glow Salon here.',
        voice: { tts: { provider: 'builtin' } },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agent.body.id, transport: 'web' }] },
    });
    assert.equal(res.status, 201, res.text);
    const { call, media_session } = res.body.results[0];
    const u = new URL(media_session.url);
    const client = new WebSocket(`${base}${u.pathname}${u.search}`);
    let frames = 0;
    const events: Array<Record<string, unknown>> = [];
    client.on('message', (data, binary) => {
      if (binary) frames++;
      else events.push(JSON.parse(data.toString()));
    });
    await eventually(async () => events.some((e) => e.type === 'listening'), 30_000);
    // ~1.5 s of speech in 20 ms frames, paced in real time.
    assert.ok(frames > 30, `${frames} audio frames`);
    client.send(JSON.stringify({ type: 'hangup' }));
    const done = await eventually(async () => {
      const c = (await t.call('GET', `/v1/calls/${call.id}`, { key: ws.test })).body;
      return c.status === 'completed' ? c : null;
    }, 15_000);
    assert.equal(done.transcript[0].text, 'Hello, Glow Salon here.');
  });
});
