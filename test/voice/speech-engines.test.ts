import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  DeepgramSttStream,
  deepgramSpeak,
  SpeechEngineError,
  type SttResult,
} from '../../src/modules/voice/speech/deepgram.ts';
import { elevenLabsSpeak } from '../../src/modules/voice/speech/elevenlabs.ts';
import { speechLikeMulaw } from '../fakes/callee-audio.ts';
import { FakeSpeech } from '../fakes/speech.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

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

forEachStorage('a web call speaks each sentence as it is synthesised', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base: string;
  const fake = new FakeSpeech();
  before(async () => {
    await fake.start();
    t = await startTestApp(storage);
    const address = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    base = address.replace(/^http/, 'ws');
    ws = await t.workspace();
  });
  after(async () => {
    fake.release();
    await t.close();
    await fake.stop();
  });

  it('the first audio frame goes out while the speech engine still holds back the rest of the sentence', async () => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello there, thank you for calling Glow Salon today.',
        voice: { tts: { provider: 'elevenlabs', base_url: fake.url, api_key: fake.elevenLabsKey } },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    fake.mode = 'hold';
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agent.body.id, transport: 'web' }] },
    });
    assert.equal(res.status, 201, res.text);
    const { call, media_session } = res.body.results[0];
    const u = new URL(media_session.url);
    const client = new WebSocket(`${base}${u.pathname}${u.search}`);
    const events: Array<Record<string, any>> = [];
    let samples = 0;
    let heldAtFirstFrame = -1;
    client.on('message', (data, binary) => {
      if (!binary) return void events.push(JSON.parse(data.toString()));
      if (heldAtFirstFrame < 0) heldAtFirstFrame = fake.held;
      samples += (data as Buffer).length / 2;
    });
    // The greeting's first frames play while its synthesis is still held at the engine.
    await eventually(async () => samples > 0, 15_000);
    assert.equal(heldAtFirstFrame, 1, 'the speech engine had not finished the sentence');
    assert.equal(fake.held, 1);
    assert.ok(!events.some((e) => e.type === 'listening'), 'the greeting is still playing');
    fake.release();
    // The rest of the sentence follows; the whole greeting plays (25 ms of audio per character).
    await eventually(async () => events.some((e) => e.type === 'listening'), 20_000);
    const greetingMs = fake.speakRequests.reduce((n, r) => n + Math.max(100, r.body.text.length * 25), 0);
    assert.equal(samples, (greetingMs / 1000) * 16_000);
    client.send(JSON.stringify({ type: 'hangup' }));
    const done = await eventually(async () => {
      const c = (await t.call('GET', `/v1/calls/${call.id}`, { key: ws.test })).body;
      return c.status === 'completed' ? c : null;
    }, 20_000);
    assert.equal(done.transcript[0].text, 'Hello there, thank you for calling Glow Salon today.');
  });

  it('a barge-in while a sentence is still being synthesised stops it at once and cancels the synthesis', async () => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Glow Salon',
        // A sentence no call has said yet: one said before plays from the speech cache, unsynthesised.
        greeting: 'Good morning, thank you for calling Glow Salon today.',
        voice: { tts: { provider: 'elevenlabs', base_url: fake.url, api_key: fake.elevenLabsKey } },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    fake.mode = 'hold';
    const canceledBefore = fake.canceled;
    const res = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agent.body.id, transport: 'web' }] },
    });
    const { call, media_session } = res.body.results[0];
    const u = new URL(media_session.url);
    const client = new WebSocket(`${base}${u.pathname}${u.search}`);
    const events: Array<Record<string, any>> = [];
    let frames = 0;
    client.on('message', (data, binary) => {
      if (binary) frames++;
      else events.push(JSON.parse(data.toString()));
    });
    await eventually(async () => frames > 0, 15_000);
    client.send(JSON.stringify({ type: 'text', text: 'Sorry, can I book a haircut?' }));
    await eventually(async () => events.some((e) => e.type === 'clear'), 15_000);
    // The held synthesis is canceled (its response closed before its end), not played later.
    await eventually(async () => fake.canceled > canceledBefore, 15_000);
    fake.release();
    await eventually(
      async () => events.some((e) => e.type === 'transcript' && e.role === 'customer'),
      15_000,
    );
    client.send(JSON.stringify({ type: 'hangup' }));
    const done = await eventually(async () => {
      const c = (await t.call('GET', `/v1/calls/${call.id}`, { key: ws.test })).body;
      return c.status === 'completed' ? c : null;
    }, 20_000);
    // Only a frame or so of the greeting was heard: it is not in the transcript as said in full.
    const greeting = done.transcript.find(
      (x: Record<string, any>) => x.role === 'agent' && x.text.startsWith('Good morning'),
    );
    assert.ok(!greeting || greeting.interrupted === true, JSON.stringify(done.transcript));
    assert.ok(
      !done.transcript.some(
        (x: Record<string, any>) => x.text === 'Good morning, thank you for calling Glow Salon today.',
      ),
      JSON.stringify(done.transcript),
    );
    assert.equal(
      done.transcript.find((x: Record<string, any>) => x.role === 'customer')?.text,
      'Sorry, can I book a haircut?',
    );
  });
});
