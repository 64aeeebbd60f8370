import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { findBuiltinEngines } from '../../src/modules/voice/speech/builtin.ts';
import {
  eventually,
  forEachStorage,
  SANDBOX_VOICE,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

type Msg = Record<string, any>;

/** A client of the media WebSocket that records every JSON event and binary frame. */
class MediaClient {
  readonly ws: WebSocket;
  readonly events: Msg[] = [];
  binaryFrames = 0;
  closed: { code: number; reason: string } | null = null;
  readonly opened: Promise<void>;
  readonly done: Promise<{ code: number; reason: string }>;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data, isBinary) => {
      if (isBinary) this.binaryFrames++;
      else this.events.push(JSON.parse(data.toString()));
    });
    this.done = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        resolve(this.closed);
      }),
    );
  }
  send(msg: Msg) {
    this.ws.send(JSON.stringify(msg));
  }
  waitFor(pred: (m: Msg) => boolean, timeoutMs = 8000) {
    return eventually(async () => this.events.find(pred), timeoutMs, 10);
  }
}

/** 20 ms of a voiced sound (harmonics of 140 Hz) or of silence, 16 kHz PCM. */
function frame(voiced: boolean, t0: number): Buffer {
  const pcm = new Int16Array(320);
  if (voiced)
    for (let i = 0; i < pcm.length; i++) {
      const t = (t0 + i) / 16000;
      let v = 0;
      for (let h = 1; h <= 12; h++) v += Math.sin(2 * Math.PI * 140 * h * t) / h;
      pcm[i] = Math.round(v * 6000);
    }
  return Buffer.from(pcm.buffer);
}

/** Streams segments of voice and silence in real time (20 ms frames), as a microphone would. */
async function stream(ws: WebSocket, segments: Array<[voiced: boolean, ms: number]>) {
  let sample = 0;
  const start = performance.now();
  let sent = 0;
  for (const [voiced, ms] of segments) {
    for (let i = 0; i < ms / 20; i++) {
      ws.send(frame(voiced, sample), { binary: true });
      sample += 320;
      sent++;
      const due = start + sent * 20;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
  }
}

forEachStorage('calls over the media WebSocket', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let agentId: string;
  let base: string;

  before(async () => {
    t = await startTestApp(storage);
    const address = await t.parley.app.listen({ port: 0, host: '127.0.0.1' });
    base = address.replace(/^http/, 'ws');
    ws = await t.workspace();
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Glow Salon', greeting: 'Hi {{name}}! Glow Salon here.' },
    });
    agentId = agent.body.id;
  });
  after(() => t.close());

  const webCall = async (key = ws.test, extra: Msg = {}) => {
    const res = await t.call('POST', '/v1/calls', {
      key,
      body: { calls: [{ agent_id: extra.agent_id ?? agentId, transport: 'web', ...extra }] },
    });
    assert.equal(res.status, 201, res.text);
    const { call, media_session } = res.body.results[0];
    const path = new URL(media_session.url).pathname + new URL(media_session.url).search;
    return { call, media_session, url: `${base}${path}` };
  };
  const getCall = async (id: string, key = ws.test) => (await t.call('GET', `/v1/calls/${id}`, { key })).body;

  it('talks by text: the greeting, a turn, the answer, then the caller hangs up', async () => {
    const { call, url } = await webCall(ws.test, { dynamic_variables: { name: 'Asha' } });
    const client = new MediaClient(url);
    await client.opened;
    await client.waitFor((m) => m.type === 'status' && m.status === 'in_progress');
    const greeting = await client.waitFor((m) => m.type === 'agent_text');
    assert.equal(greeting.text, 'Hi Asha!');
    await client.waitFor((m) => m.type === 'listening');
    // Malformed messages are answered with an error that says what is wrong, and change nothing.
    client.send({ type: 'dtmf', digit: 'x' });
    const badDigit = await client.waitFor((m) => m.type === 'error');
    assert.match(badDigit.message, /"digit": one key of 0-9, \* or #/);
    client.send({ type: 'shout' });
    await client.waitFor((m) => m.type === 'error' && /Unknown message/.test(m.message));
    // A turn with a short answer ("You're welcome! Anything else I can help with?"): it is spoken
    // at a person's pace, in real time.
    client.send({ type: 'text', text: 'Thank you' });
    const heard = await client.waitFor((m) => m.type === 'transcript' && m.role === 'customer');
    await client.waitFor(
      (m) => m.type === 'agent_text' && client.events.indexOf(m) > client.events.indexOf(heard),
    );
    // The caller hangs up once the answer has been said.
    await client.waitFor(
      (m) => m.type === 'listening' && client.events.indexOf(m) > client.events.indexOf(heard),
      30_000,
    );
    client.send({ type: 'hangup' });
    const closed = await client.done;
    assert.equal(closed.code, 1000);
    const ended = client.events.find((m) => m.type === 'ended');
    assert.equal(ended?.ended_reason, 'customer_ended_call');
    const done = await eventually(async () => {
      const c = await getCall(call.id);
      return c.status === 'completed' ? c : null;
    });
    assert.equal(done.ended_reason, 'customer_ended_call');
    assert.deepEqual(
      done.transcript.map((x: Msg) => x.role),
      ['agent', 'customer', 'agent'],
      JSON.stringify({ transcript: done.transcript, events: client.events }),
    );
    assert.equal(done.transcript[1].text, 'Thank you');
  });

  it('says at creation what a web call can do with the engines on this server, and refuses one that cannot speak', async () => {
    const found = findBuiltinEngines();
    const { media_session, ...rest } = await webCall();
    assert.ok(media_session.token);
    const placed = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agentId, transport: 'web' }] },
    });
    const speech = placed.body.results[0].speech;
    assert.equal(speech.hears_audio, Boolean(found.pocketsphinx), JSON.stringify(speech));
    assert.equal(speech.speaks_audio, Boolean(found.espeak), JSON.stringify(speech));
    assert.equal(speech.stt, found.pocketsphinx ? 'builtin' : 'sandbox');
    assert.equal(speech.tts, found.espeak ? 'builtin' : 'sandbox');
    assert.equal(speech.warnings.length, (found.pocketsphinx ? 0 : 1) + (found.espeak ? 0 : 1));
    // The sandbox engines: said plainly, with what to do.
    const deaf = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Mute', voice: { stt: { provider: 'sandbox' }, tts: { provider: 'sandbox' } } },
    });
    const muted = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: deaf.body.id, transport: 'web' }] },
    });
    assert.equal(muted.status, 201, muted.text);
    const warned = muted.body.results[0].speech;
    assert.deepEqual([warned.hears_audio, warned.speaks_audio], [false, false]);
    assert.match(warned.warnings.join(' '), /audio is not understood.*\{"type": "text"/);
    assert.match(warned.warnings.join(' '), /no audio; install espeak-ng/);
    // A phone call's callee is simulated: no speech field.
    const phone = await t.call('POST', '/v1/calls', {
      key: ws.test,
      body: { calls: [{ agent_id: agentId, to: '+14155550177', sandbox: { outcome: 'busy' } }] },
    });
    assert.equal(phone.status, 201, phone.text);
    assert.equal(phone.body.results[0].speech, undefined);
    // An engine the agent chose that this server cannot run: the web call is refused, not started.
    const cloud = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: { name: 'Cloud ears', voice: { stt: { provider: 'deepgram' } } },
    });
    const saved = t.ctx.config.deepgramApiKey;
    t.ctx.config.deepgramApiKey = undefined;
    try {
      const refused = await t.call('POST', '/v1/calls', {
        key: ws.test,
        body: { calls: [{ agent_id: cloud.body.id, transport: 'web' }] },
      });
      // No call placed: a 4xx with each item's error (SPEC: 201 only when one was created).
      assert.equal(refused.status, 422, refused.text);
      assert.equal(refused.body.error.code, 'unprocessable');
      const items = refused.body.error.items ?? [];
      assert.equal(items[0]?.code, 'unprocessable', refused.text);
      assert.match(items[0].message, /could not speak or listen: The deepgram engine needs an api_key/);
    } finally {
      t.ctx.config.deepgramApiKey = saved;
    }
    for (const c of [rest.call, placed.body.results[0].call, muted.body.results[0].call])
      await t.call('POST', `/v1/calls/${c.id}/hangup`, { key: ws.test });
  });

  it('audio it cannot transcribe is never answered as a turn: the client is told, and typed turns work', async () => {
    // The sandbox engines, named on the agent: nothing on this server understands the audio.
    const deaf = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Sandbox ears',
        greeting: 'Hello, Glow Salon here.',
        voice: { stt: { provider: 'sandbox' }, tts: { provider: 'sandbox' } },
      },
    });
    assert.equal(deaf.status, 201, deaf.text);
    const { call, url } = await webCall(ws.test, { agent_id: deaf.body.id });
    const client = new MediaClient(url);
    await client.opened;
    const notice = await client.waitFor((m) => m.type === 'notice');
    assert.equal(notice.code, 'audio_not_transcribed');
    assert.match(notice.message, /not understood/);
    await client.waitFor((m) => m.type === 'listening');
    // 600 ms of speech, a pause, 400 ms more, then silence: a whole utterance, with no words.
    await stream(client.ws, [
      [true, 600],
      [false, 240],
      [true, 400],
      [false, 900],
    ]);
    // The next turn the agent hears is the typed one, not a placeholder for the audio.
    client.send({ type: 'text', text: 'Do you open on Sunday?' });
    const turn = await client.waitFor((m) => m.type === 'transcript' && m.role === 'customer');
    assert.equal(turn.text, 'Do you open on Sunday?', JSON.stringify(client.events));
    await client.waitFor(
      (m) => m.type === 'agent_text' && client.events.indexOf(m) > client.events.indexOf(turn),
    );
    client.ws.close();
    await client.done;
    const done = await eventually(async () => {
      const c = await getCall(call.id);
      return c.status === 'completed' ? c : null;
    });
    const customerTurns = done.transcript.filter((x: Msg) => x.role === 'customer');
    assert.deepEqual(
      customerTurns.map((x: Msg) => x.text),
      ['Do you open on Sunday?'],
      JSON.stringify(done.transcript),
    );
  });

  it('noise over the agent pauses it and it resumes; a typed turn and a hang-up keep the agent turns as far as they were heard', async () => {
    // The web-call page's fake microphone makes sounds with no words while the agent talks: the
    // greeting was cut to nothing and went missing from the stored transcript (issue #30 item 6).
    const long = await t.call('POST', '/v1/agents', {
      key: ws.test,
      body: {
        name: 'Long greeter',
        greeting: 'Hello, Glow Salon here. We are open every day from ten until seven.',
        voice: { stt: { provider: 'sandbox' }, tts: { provider: 'sandbox' } },
      },
    });
    assert.equal(long.status, 201, long.text);
    const { call, url } = await webCall(ws.test, { agent_id: long.body.id });
    const client = new MediaClient(url);
    await client.opened;
    await client.waitFor((m) => m.type === 'agent_text');
    // 500 ms of sound with no words, then quiet: the agent pauses (clear) and resumes.
    await stream(client.ws, [
      [true, 500],
      [false, 300],
    ]);
    await client.waitFor((m) => m.type === 'clear');
    await client.waitFor((m) => m.type === 'listening', 20_000);
    client.send({ type: 'text', text: 'What are your opening hours?' });
    const heard = await client.waitFor((m) => m.type === 'transcript' && m.role === 'customer');
    await client.waitFor(
      (m) => m.type === 'agent_text' && client.events.indexOf(m) > client.events.indexOf(heard),
    );
    // Hang up 600 ms into the answer.
    await new Promise((r) => setTimeout(r, 600));
    client.send({ type: 'hangup' });
    await client.done;
    const done = await eventually(async () => {
      const c = await getCall(call.id);
      return c.status === 'completed' ? c : null;
    });
    const turns = done.transcript as Msg[];
    assert.deepEqual(
      turns.map((x) => `${x.role}${x.interrupted ? ' (cut)' : ''}`),
      ['agent', 'customer', 'agent (cut)'],
      JSON.stringify(turns),
    );
    assert.match(turns[0].text, /^Hello, Glow Salon here\. We are open every day/);
    assert.equal(done.latency.false_interruptions, 1);
    assert.ok(turns[2].text.length > 0);
  });

  /** The HTTP status of a refused upgrade (the socket never opens). */
  const refused = (url: string) =>
    new Promise<number>((resolve, reject) => {
      const c = new WebSocket(url);
      c.on('error', () => {});
      c.once('open', () => reject(new Error('the upgrade was accepted')));
      c.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        c.terminate();
      });
    });

  it('refuses the upgrade for a missing, wrong, expired or other-mode token (401) and for an ended call (409)', async () => {
    const a = await webCall();
    const b = await webCall();
    const path = new URL(a.url).pathname;
    assert.equal(await refused(`${base}${path}`), 401);
    assert.equal(await refused(`${base}${path}?token=${new URL(b.url).searchParams.get('token')}`), 401);

    // A live-mode call cannot be joined with a test-mode call's token.
    // The sandbox engines: a live web call otherwise needs espeak-ng and pocketsphinx installed.
    const liveAgent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: { name: 'Live', voice: SANDBOX_VOICE },
    });
    const live = await webCall(ws.live, { agent_id: liveAgent.body.id });
    assert.equal(
      await refused(`${base}${new URL(live.url).pathname}?token=${new URL(a.url).searchParams.get('token')}`),
      401,
    );

    const realClock = t.ctx.clock;
    t.ctx.clock = { now: () => new Date(Date.now() + 16 * 60_000) };
    try {
      assert.equal(await refused(a.url), 401);
    } finally {
      t.ctx.clock = realClock;
    }
    // None of these joined the call.
    assert.equal((await getCall(a.call.id)).status, 'queued');

    await t.call('POST', `/v1/calls/${b.call.id}/hangup`, { key: ws.test });
    assert.equal(await refused(b.url), 409);
    for (const c of [a, live])
      await t.call('POST', `/v1/calls/${c.call.id}/hangup`, { key: c === live ? ws.live : ws.test });
  });

  it('hangs up the socket when the call is hung up through the API', async () => {
    const { call, url } = await webCall();
    const client = new MediaClient(url);
    await client.opened;
    await client.waitFor((m) => m.type === 'status');
    const res = await t.call('POST', `/v1/calls/${call.id}/hangup`, { key: ws.test });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'completed');
    assert.equal(res.body.ended_reason, 'canceled');
    assert.equal((await client.done).code, 1000);
  });
});

describe('metrics', () => {
  it('exposes the turn latency histogram', async () => {
    const t = await startTestApp('sqlite');
    try {
      const res = await t.call('GET', '/metrics');
      assert.match(res.text, /parley_call_turn_latency_seconds/);
    } finally {
      await t.close();
    }
  });
});
