import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import {
  DeepgramSttStream,
  deepgramSpeak,
  SpeechEngineError,
  type SttResult,
} from '../src/modules/voice/speech/deepgram.ts';
import { elevenLabsSpeak } from '../src/modules/voice/speech/elevenlabs.ts';
import { speechLikeMulaw } from './fakes/callee-audio.ts';
import { FakeSpeech } from './fakes/speech.ts';

/**
 * Deepgram streaming recognition and speech, and ElevenLabs streaming speech, against local fakes
 * of their documented protocols (message shapes from Deepgram's listen-streaming reference and
 * ElevenLabs' text-to-speech stream reference).
 */
describe('cloud speech engines against local fakes', () => {
  const fake = new FakeSpeech();
  before(() => fake.start());
  after(() => fake.stop());

  async function collect(it: AsyncIterable<Uint8Array>) {
    const parts: Uint8Array[] = [];
    for await (const c of it) parts.push(c);
    return Buffer.concat(parts);
  }

  it('Deepgram STT: μ-law 8 kHz streamed, interim and final results, end of utterance', async () => {
    fake.transcripts.push('I want to book a haircut tomorrow', 'yes please');
    const stt = new DeepgramSttStream({
      apiKey: fake.deepgramKey,
      baseUrl: fake.url,
      encoding: 'mulaw',
      sampleRate: 8000,
      language: 'en',
    });
    const partials: SttResult[] = [];
    const finals: SttResult[] = [];
    const ends: number[] = [];
    let started = 0;
    stt.on('partial', (r) => partials.push(r));
    stt.on('final', (r) => finals.push(r));
    stt.on('utterance_end', (ms) => ends.push(ms));
    stt.on('speech_started', () => started++);
    await stt.ready();
    const q = fake.listenQueries.at(-1)!;
    assert.equal(q.get('encoding'), 'mulaw');
    assert.equal(q.get('sample_rate'), '8000');
    assert.equal(q.get('interim_results'), 'true');
    assert.equal(q.get('model'), 'nova-3');
    assert.ok(q.get('utterance_end_ms'));
    const audio = speechLikeMulaw(2000);
    for (let i = 0; i < audio.length; i += 160) stt.push(audio.subarray(i, i + 160));
    while (ends.length < 2) await once(stt, 'utterance_end');
    assert.deepEqual(
      finals.map((f) => [f.text, f.isFinal, f.speechFinal]),
      [
        ['I want to book a haircut tomorrow', true, true],
        ['yes please', true, true],
      ],
    );
    assert.equal(partials[0].text, 'I want');
    assert.equal(partials[0].isFinal, false);
    assert.equal(started, 2);
    assert.equal(ends[0], 1000);
    assert.equal(finals[1].startMs, 1000);
    stt.finalize();
    stt.close();
    await once(stt, 'close');
    assert.ok(fake.controlMessages.includes('Finalize'));
  });

  it('Deepgram STT: a wrong key or a service that is down is an error, once, not a hang', async () => {
    const bad = new DeepgramSttStream({
      apiKey: 'wrong',
      baseUrl: fake.url,
      encoding: 'mulaw',
      sampleRate: 8000,
    });
    const errors: Error[] = [];
    bad.on('error', (e) => errors.push(e));
    await assert.rejects(bad.ready(), /401/);
    assert.equal(errors.length, 1);
    const nowhere = new DeepgramSttStream({
      apiKey: 'k',
      baseUrl: 'http://127.0.0.1:1',
      encoding: 'mulaw',
      sampleRate: 8000,
    });
    nowhere.on('error', () => {});
    await assert.rejects(nowhere.ready());
  });

  it('Deepgram speech and ElevenLabs stream μ-law 8 kHz for a Twilio leg', async () => {
    const dg = await collect(
      deepgramSpeak('Hello, this is Glow Salon.', {
        apiKey: fake.deepgramKey,
        baseUrl: fake.url,
        encoding: 'mulaw',
        sampleRate: 8000,
      }),
    );
    assert.ok(dg.length >= 400 && dg.length % 1 === 0);
    const dgReq = fake.speakRequests.at(-1)!;
    assert.deepEqual(Object.fromEntries(dgReq.query), {
      model: 'aura-2-thalia-en',
      encoding: 'mulaw',
      sample_rate: '8000',
      container: 'none',
    });
    assert.deepEqual(dgReq.body, { text: 'Hello, this is Glow Salon.' });

    const el = await collect(
      elevenLabsSpeak('Namaste! Kal teen baje?', {
        apiKey: fake.elevenLabsKey,
        baseUrl: fake.url,
        voiceId: 'voice_1',
        outputFormat: 'ulaw_8000',
        language: 'hi-IN',
      }),
    );
    assert.ok(el.length > 0);
    const elReq = fake.speakRequests.at(-1)!;
    assert.equal(elReq.path, '/v1/text-to-speech/voice_1/stream');
    assert.equal(elReq.query.get('output_format'), 'ulaw_8000');
    assert.deepEqual(elReq.body, {
      text: 'Namaste! Kal teen baje?',
      model_id: 'eleven_flash_v2_5',
      language_code: 'hi',
    });
  });

  it('a speech engine that is down, refuses the key or stalls fails with SpeechEngineError in bounded time', async () => {
    await assert.rejects(
      collect(elevenLabsSpeak('hi', { apiKey: 'wrong', baseUrl: fake.url, outputFormat: 'ulaw_8000' })),
      (e: SpeechEngineError) => e instanceof SpeechEngineError && /401/.test(e.message),
    );
    fake.mode = 'down';
    try {
      await assert.rejects(
        collect(
          deepgramSpeak('hi', {
            apiKey: fake.deepgramKey,
            baseUrl: fake.url,
            encoding: 'mulaw',
            sampleRate: 8000,
          }),
        ),
        /503/,
      );
      const stt = new DeepgramSttStream({
        apiKey: fake.deepgramKey,
        baseUrl: fake.url,
        encoding: 'mulaw',
        sampleRate: 8000,
      });
      stt.on('error', () => {});
      await assert.rejects(stt.ready(), /503/);
      fake.mode = 'slow';
      await assert.rejects(
        collect(
          elevenLabsSpeak('a slow engine', {
            apiKey: fake.elevenLabsKey,
            baseUrl: fake.url,
            outputFormat: 'ulaw_8000',
            timeoutMs: 300,
          }),
        ),
        (e: SpeechEngineError) => e instanceof SpeechEngineError && /stopped sending audio/.test(e.message),
      );
    } finally {
      fake.mode = 'ok';
    }
  });
});
