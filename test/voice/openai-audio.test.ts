import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { wavOf } from '../../src/modules/voice/speech/builtin.ts';
import { openAiStt, openAiTts, transcriptionForm } from '../../src/modules/voice/speech/openai-audio.ts';
import { FakeOpenAiAudio } from '../fakes/openai-audio.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

/** 20 ms of a voiced sound (harmonics of 140 Hz) or of silence, 16 kHz PCM. */
function frame(voiced: boolean, t0: number): Int16Array {
  const pcm = new Int16Array(320);
  if (voiced)
    for (let i = 0; i < pcm.length; i++) {
      const t = (t0 + i) / 16000;
      let v = 0;
      for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * 140 * h * t) / h;
      pcm[i] = Math.round(v * 6000);
    }
  return pcm;
}

it("the transcription's multipart body reads back as the FormData it stands for", async () => {
  const pcm = frame(true, 0);
  const form = transcriptionForm(pcm, 16_000, [
    ['model', 'whisper-1'],
    ['prompt', 'opening hours,\nGlow "Salon"\r\nnails'],
  ]);
  const parsed = await new Request('http://x/', {
    method: 'POST',
    headers: { 'content-type': form.type },
    body: form.body,
  }).formData();
  assert.deepEqual([...parsed.keys()], ['file', 'model', 'prompt']);
  const file = parsed.get('file') as File;
  assert.equal(file.name, 'turn.wav');
  assert.equal(file.type, 'audio/wav');
  assert.ok(Buffer.from(await file.arrayBuffer()).equals(wavOf(pcm, 16_000)));
  assert.equal(parsed.get('model'), 'whisper-1');
  // As FormData sends a value: its line breaks as CRLF (the parser reads them back as they came).
  assert.equal(parsed.get('prompt'), 'opening hours,\r\nGlow "Salon"\r\nnails');
});

describe('openai_compatible speech engines against a local fake of the audio endpoints', () => {
  let fake: FakeOpenAiAudio;
  before(async () => {
    fake = await new FakeOpenAiAudio().start();
  });
  after(() => fake.close());

  it('transcribes each utterance as a WAV with model, language and the hints as prompt', async () => {
    fake.transcripts.push('What are your opening hours?', 'Book me for tomorrow');
    const stt = openAiStt({
      name: 'openai_compatible',
      baseUrl: fake.url,
      apiKey: fake.key,
      model: 'Systran/faster-whisper-small',
    });
    const finals: string[] = [];
    const errors: Error[] = [];
    const s = stt.open(
      { sampleRate: 16_000, language: 'en-IN', hints: { phrases: ['opening hours'] } },
      { final: (x) => finals.push(x), error: (e) => errors.push(e) },
    );
    for (let i = 0; i < 50; i++) s.push(frame(true, i * 320));
    s.finalize();
    for (let i = 0; i < 25; i++) s.push(frame(true, i * 320));
    s.finalize();
    await eventually(async () => finals.length === 2 || errors.length > 0, 10_000);
    s.close();
    assert.deepEqual(errors, []);
    assert.deepEqual(finals, ['What are your opening hours?', 'Book me for tomorrow']);
    const [first, second] = fake.transcriptions.slice(-2);
    assert.equal(first.model, 'Systran/faster-whisper-small');
    assert.equal(first.language, 'en');
    assert.equal(first.prompt, 'opening hours');
    assert.equal(first.rate, 16_000);
    assert.equal(first.wavBytes, 44 + 50 * 640);
    assert.equal(second.wavBytes, 44 + 25 * 640);
  });

  it('speaks a sentence: the streamed 24 kHz WAV comes out as 16 kHz PCM', async () => {
    const tts = openAiTts({
      name: 'openai_compatible',
      baseUrl: fake.url,
      apiKey: fake.key,
      voice: 'af_heart',
    });
    let samples = 0;
    for await (const pcm of tts.synthesize('Hello there', { sampleRate: 16_000 })) samples += pcm.length;
    // 11 characters × 60 ms = 0.66 s.
    assert.ok(Math.abs(samples - 0.66 * 16_000) < 5, `${samples} samples`);
    const req = fake.speeches.at(-1)!;
    assert.deepEqual(req, {
      model: 'tts-1',
      input: 'Hello there',
      voice: 'af_heart',
      response_format: 'wav',
    });
  });

  it('a refused key or a server down is an error naming the status', async () => {
    const stt = openAiStt({ name: 'openai_compatible', baseUrl: fake.url, apiKey: 'sk-wrong' });
    const errors: Error[] = [];
    const s = stt.open({ sampleRate: 16_000 }, { final() {}, error: (e) => errors.push(e) });
    s.push(frame(true, 0));
    s.finalize();
    await eventually(async () => errors.length > 0, 10_000);
    s.close();
    assert.match(errors[0].message, /401/);
    fake.mode = 'down';
    try {
      const tts = openAiTts({ name: 'openai_compatible', baseUrl: fake.url, apiKey: fake.key });
      await assert.rejects(async () => {
        for await (const _ of tts.synthesize('Hi', { sampleRate: 16_000 })) {
        }
      }, /503/);
    } finally {
      fake.mode = 'ok';
    }
  });
});

forEachStorage('a web call on openai_compatible engines', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base: string;
  let fake: FakeOpenAiAudio;
  before(async () => {
    fake = await new FakeOpenAiAudio().start();
    t = await startTestApp(storage);
    const address = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    base = address.replace(/^http/, 'ws');
    ws = await t.workspace();
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  const join = async (voice: unknown) => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Glow Salon', greeting: 'Hi! Glow Salon here.', voice },
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
    const events: Array<Record<string, any>> = [];
    let frames = 0;
    client.on('message', (data, binary) => {
      if (binary) frames++;
      else events.push(JSON.parse(data.toString()));
    });
    return { call, client, events, frames: () => frames };
  };
  const ended = (id: string) =>
    eventually(async () => {
      const c = (await t.call('GET', `/v1/calls/${id}`, { key: ws.test })).body;
      return ['completed', 'failed'].includes(c.status) ? c : null;
    }, 20_000);

  it('hears the caller through the transcription endpoint and speaks through the speech endpoint', async () => {
    const engine = { provider: 'openai_compatible', base_url: fake.url, api_key: fake.key };
    const { call, client, events, frames } = await join({ stt: engine, tts: { ...engine, voice: 'nova' } });
    await eventually(async () => events.some((e) => e.type === 'listening'), 20_000);
    assert.ok(frames() > 10, `${frames()} audio frames of the greeting`);
    fake.transcripts.push('What are your opening hours?');
    // 600 ms of voice then silence, in real time, as a microphone would.
    const start = performance.now();
    for (let i = 0; i < 75; i++) {
      client.send(Buffer.from(frame(i < 30, i * 320).buffer), { binary: true });
      await new Promise((r) => setTimeout(r, Math.max(0, start + (i + 1) * 20 - performance.now())));
    }
    const heard = await eventually(
      async () => events.find((e) => e.type === 'transcript' && e.role === 'customer' && e.final !== false),
      20_000,
    );
    assert.equal(heard.text, 'What are your opening hours?');
    client.send(JSON.stringify({ type: 'hangup' }));
    const done = await ended(call.id);
    assert.equal(done.transcript[1].text, 'What are your opening hours?');
    assert.ok(fake.speeches.some((s) => s.input === 'Glow Salon here.' && s.voice === 'nova'));
  });

  it('a speech server that refuses the key ends the call with tts_error', async () => {
    const { call } = await join({
      tts: { provider: 'openai_compatible', base_url: fake.url, api_key: 'sk-wrong' },
    });
    const done = await ended(call.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.ended_reason, 'tts_error');
    assert.match(done.error?.message ?? '', /401/);
  });
});
