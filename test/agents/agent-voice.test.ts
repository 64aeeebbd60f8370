import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';

const env = { PARLEY_VOICE_SANDBOX_PACE: 'virtual' };
const terminal = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];

forEachStorage('agent voice settings', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  before(async () => {
    t = await startTestApp(storage, { env });
    ws = await t.workspace({ default_country: 'US' });
    other = await t.workspace();
  });
  after(() => t.close());

  const create = (body: Record<string, unknown>, key = ws.test) =>
    t.call('POST', '/v1/agents', { key, body: { name: 'Voice agent', ...body } });
  const stored = async (id: string) =>
    (await t.ctx.db.selectFrom('agents').select('voice').where('id', '=', id).executeTakeFirstOrThrow())
      .voice;

  describe('create, read, update', () => {
    it('an agent without voice settings shows the defaults and null engines', async () => {
      const res = await create({});
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.voice, {
        stt: null,
        tts: null,
        interruptions: {
          enabled: true,
          min_speech_ms: res.body.voice.interruptions.min_speech_ms,
          ignore_words: res.body.voice.interruptions.ignore_words,
          backchannel_words: res.body.voice.interruptions.backchannel_words,
        },
        end_of_turn_silence_ms: res.body.voice.end_of_turn_silence_ms,
        silence_timeout_seconds: 10,
        max_duration_seconds: 600,
        voicemail: { action: 'hangup', message: null },
        record: false,
        transfer: { to: null, mode: 'cold', summary: true },
        call_screener: { action: 'state_purpose', message: null },
      });
      assert.ok(res.body.voice.interruptions.ignore_words.includes('haan'));
      assert.deepEqual(
        res.body.voice.interruptions.backchannel_words,
        res.body.voice.interruptions.ignore_words,
      );
      assert.equal(await stored(res.body.id), null);
    });

    it('stores the settings, seals engine keys and never returns them', async () => {
      const res = await create({
        voice: {
          stt: {
            provider: 'openai_compatible',
            base_url: 'http://127.0.0.1:9/v1',
            model: 'whisper-1',
            language: 'en',
            api_key: 'sk-stt-secret',
          },
          tts: { provider: 'builtin', voice: 'en-us' },
          interruptions: { min_speech_ms: 400, ignore_words: ['ok', 'ji'] },
          end_of_turn_silence_ms: 700,
          silence_timeout_seconds: 15,
          max_duration_seconds: 300,
          voicemail: { action: 'leave_message', message: 'Hi {{name}}, call us back.' },
          record: true,
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.ok(!res.text.includes('sk-stt-secret'));
      const v = res.body.voice;
      assert.deepEqual(v.stt, {
        provider: 'openai_compatible',
        base_url: 'http://127.0.0.1:9/v1',
        model: 'whisper-1',
        language: 'en',
        api_key_set: true,
      });
      assert.deepEqual(v.tts, { provider: 'builtin', voice: 'en-us', api_key_set: false });
      assert.deepEqual(v.interruptions, {
        enabled: true,
        min_speech_ms: 400,
        ignore_words: ['ok', 'ji'],
        backchannel_words: ['ok', 'ji'],
      });
      assert.equal(v.end_of_turn_silence_ms, 700);
      assert.equal(v.silence_timeout_seconds, 15);
      assert.equal(v.max_duration_seconds, 300);
      assert.deepEqual(v.voicemail, { action: 'leave_message', message: 'Hi {{name}}, call us back.' });
      assert.equal(v.record, true);
      const raw = await stored(res.body.id);
      assert.ok(raw && !raw.includes('sk-stt-secret'), 'the key is sealed at rest');

      const got = await t.call('GET', `/v1/agents/${res.body.id}`, { key: ws.test });
      assert.deepEqual(got.body.voice, JSON.parse(JSON.stringify(v)));
      assert.ok(!got.text.includes('sk-stt-secret'));
    });

    it('PATCH merges: other settings stay, a key stays with its engine, null removes it, a new engine drops it', async () => {
      const a = await create({
        voice: {
          stt: { provider: 'deepgram', api_key: 'dg-secret', language: 'hi' },
          interruptions: { enabled: false },
          silence_timeout_seconds: 20,
        },
      });
      assert.equal(a.status, 201, a.text);
      const patch = (voice: unknown) =>
        t.call('PATCH', `/v1/agents/${a.body.id}`, { key: ws.test, body: { voice } });

      let r = await patch({
        interruptions: { min_speech_ms: 500 },
        stt: { provider: 'deepgram', model: 'nova-3' },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.voice.interruptions.enabled, false, 'kept');
      assert.equal(r.body.voice.interruptions.min_speech_ms, 500);
      assert.equal(r.body.voice.silence_timeout_seconds, 20, 'kept');
      assert.equal(r.body.voice.stt.model, 'nova-3');
      assert.equal(r.body.voice.stt.api_key_set, true, 'same engine keeps its key');

      r = await patch({ stt: { provider: 'deepgram', api_key: null } });
      assert.equal(r.body.voice.stt.api_key_set, false);

      r = await patch({ stt: { provider: 'deepgram', api_key: 'dg-2' } });
      assert.equal(r.body.voice.stt.api_key_set, true);
      r = await patch({ stt: { provider: 'sandbox' } });
      assert.equal(r.body.voice.stt.provider, 'sandbox');
      assert.equal(r.body.voice.stt.api_key_set, false, 'another engine does not inherit the key');
      // Other agent fields are untouched by a voice-only PATCH.
      assert.equal(r.body.name, 'Voice agent');
    });

    it('rejects bad voice input with the field named, and changes nothing', async () => {
      const a = await create({ voice: { silence_timeout_seconds: 30 } });
      const before = await stored(a.body.id);
      const cases: Array<[unknown, string, number]> = [
        [{ stt: { provider: 'elevenlabs' } }, 'voice.stt.provider', 400],
        [{ tts: { provider: 'espeak' } }, 'voice.tts.provider', 400],
        [{ stt: { provider: 'openai_compatible' } }, 'voice.stt.base_url', 400],
        [{ tts: { provider: 'openai_compatible', base_url: 'not a url' } }, 'voice.tts.base_url', 400],
        [{ end_of_turn_silence_ms: 50 }, 'voice.end_of_turn_silence_ms', 400],
        [{ silence_timeout_seconds: 'ten' }, 'voice.silence_timeout_seconds', 400],
        [{ interruptions: { min_speech_ms: -1 } }, 'voice.interruptions.min_speech_ms', 400],
        [{ voicemail: { action: 'leave_message' } }, 'voice.voicemail.message', 400],
        [{ voicemail: { action: 'sing' } }, 'voice.voicemail.action', 400],
        [{ record: 'yes' }, 'voice.record', 400],
        [{ pitch: 3 }, 'voice.pitch', 400],
      ];
      for (const [voice, field, status] of cases) {
        for (const [method, path] of [
          ['POST', '/v1/agents'],
          ['PATCH', `/v1/agents/${a.body.id}`],
        ] as const) {
          const res = await t.call(method, path, { key: ws.test, body: { name: 'x', voice } });
          assert.equal(res.status, status, `${method} ${JSON.stringify(voice)} → ${res.text}`);
          assert.equal(res.body.error.code, 'validation_failed');
          assert.ok(
            res.body.error.errors.some((e: { field: string }) => e.field === field),
            `${JSON.stringify(voice)}: expected ${field} in ${JSON.stringify(res.body.error.errors)}`,
          );
        }
      }
      assert.equal(await stored(a.body.id), before, 'nothing changed');
      const fresh = await t.call('GET', `/v1/agents/${a.body.id}`, { key: ws.test });
      assert.equal(fresh.body.name, 'Voice agent');
    });

    it("another workspace's key cannot change the settings", async () => {
      const a = await create({ voice: { silence_timeout_seconds: 30 } });
      const res = await t.call('PATCH', `/v1/agents/${a.body.id}`, {
        key: other.test,
        body: { voice: { silence_timeout_seconds: 40 } },
      });
      assert.equal(res.status, 404, res.text);
      assert.equal(JSON.parse((await stored(a.body.id)) ?? '{}').silence_timeout_seconds, 30);
    });
  });

  describe('calls use the settings', () => {
    const callOf = async (agentId: string, sandbox: unknown) => {
      const res = await t.call('POST', '/v1/calls', {
        key: ws.test,
        body: { calls: [{ agent_id: agentId, to: '+14155550190', sandbox }] },
      });
      assert.equal(res.status, 201, res.text);
      const id = res.body.results[0].call.id;
      return eventually(async () => {
        const r = await t.call('GET', `/v1/calls/${id}`, { key: ws.test });
        return terminal.includes(r.body.status) ? r.body : null;
      }, 15_000);
    };

    it('an engine the agent chose but cannot use ends the call with stt_error', async () => {
      const a = await create({ voice: { stt: { provider: 'deepgram' } } });
      const saved = t.ctx.config.deepgramApiKey;
      t.ctx.config.deepgramApiKey = undefined;
      try {
        const done = await callOf(a.body.id, { lines: ['Hello?'] });
        assert.equal(done.status, 'failed');
        assert.equal(done.ended_reason, 'stt_error');
      } finally {
        t.ctx.config.deepgramApiKey = saved;
      }
    });

    it('the silence timeout comes from the agent', async () => {
      const a = await create({ greeting: 'Hi there.', voice: { silence_timeout_seconds: 3 } });
      const done = await callOf(a.body.id, { lines: [] });
      assert.equal(done.ended_reason, 'silence_timeout');
      // Greeting, one re-prompt after 3 s, then the end 3 s later (simulated time): well under the 10 s default twice.
      assert.ok(done.duration_seconds < 15, `duration ${done.duration_seconds}`);
    });
  });
});

forEachStorage('active calls gauge', (storage) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(storage, { env });
  });
  after(() => t.close());

  it('/metrics counts live calls (waiting web calls of two workspaces), and they leave it when they end', async () => {
    const ws1 = await t.workspace();
    const ws2 = await t.workspace();
    const calls: Array<{ key: string; id: string }> = [];
    for (const w of [ws1, ws2]) {
      const agent = await t.call('POST', '/v1/agents', { key: w.test, body: { name: 'A' } });
      const res = await t.call('POST', '/v1/calls', {
        key: w.test,
        body: {
          calls: [
            { agent_id: agent.body.id, transport: 'web' },
            { agent_id: agent.body.id, transport: 'web' },
          ],
        },
      });
      assert.equal(res.status, 201, res.text);
      for (const r of res.body.results) calls.push({ key: w.test, id: r.call.id });
    }
    const lines = (await t.call('GET', '/metrics')).text
      .split('\n')
      .filter((l) => l.startsWith('parley_active_calls{'));
    const total = lines.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    assert.equal(total, 4, lines.join('\n'));
    for (const c of calls) {
      const h = await t.call('POST', `/v1/calls/${c.id}/hangup`, { key: c.key });
      assert.equal(h.status, 200, h.text);
    }
    await eventually(async () => {
      const now = (await t.call('GET', '/metrics')).text
        .split('\n')
        .filter((l) => l.startsWith('parley_active_calls{'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
      return now === 0;
    }, 10_000);
  });
});
