/**
 * Phone calls in the scaled shape: two `PARLEY_ROLE=api` processes and a worker on one
 * PostgreSQL database and one Redis, behind a load balancer (test/support/balancer.ts) that is
 * Parley's public URL. A Twilio voice channel points at the Twilio fake, and the agent hears
 * through the Deepgram fake and speaks through the ElevenLabs fake. The media WebSocket lands on
 * whichever api process the balancer picks and the call runs there; status callbacks, the
 * answering-machine verdict, the API's hangup and the inbound voice webhook land on the other
 * one and still reach the call (Redis pub/sub).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeSpeech } from '../fakes/speech.ts';
import { type FakeCallRecord, FakeTwilioVoice } from '../fakes/twilio-voice.ts';
import { type Balancer, startBalancer } from '../support/balancer.ts';
import { createPgDatabase, eventually } from '../support/harness.ts';
import { httpCall, REDIS_URL, scaledSkip } from '../support/scaled.ts';
import { freePort, killAll, type ServerProcess, spawnParley } from '../support/server-process.ts';

const skip = await scaledSkip();

const call = (base: string, method: string, path: string, key?: string, body?: unknown) =>
  httpCall(base, method, path, { timeoutMs: 20_000, key, body });

/** The fake's wait, bounded: a failure says what never happened instead of hanging the suite. */
function within<T>(p: Promise<T>, what: string | (() => string), ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no ${typeof what === 'string' ? what : what()} within ${ms} ms`)),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

const TERMINAL = ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'];

describe('scaled shape: phone calls across two api processes and a worker (PostgreSQL, Redis)', {
  skip,
}, () => {
  const adminToken = `scaled-admin-${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-scaled-voice-'));
  const twilio = new FakeTwilioVoice();
  const speech = new FakeSpeech();
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  let lb: Balancer;
  let a: ServerProcess;
  let b: ServerProcess;
  let worker: ServerProcess;
  let key = '';
  let agentId = '';
  let channelId = '';

  before(async () => {
    // The agent's speech plays in real time on the line: 10 ms of audio a character, not a real
    // voice's 25 (what is said, and where, is the point here, not how long).
    speech.msPerChar = 10;
    await Promise.all([twilio.start(), speech.start()]);
    db = await createPgDatabase();
    // Until the processes are up the balancer has nowhere to send anything; routes are set per test.
    lb = await startBalancer({ http: () => a.url, upgrade: () => b.url });
    const shared = {
      HOST: '127.0.0.1',
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      REDIS_URL,
      PARLEY_SECRET_KEY: randomBytes(32).toString('base64'),
      PARLEY_ADMIN_TOKEN: adminToken,
      PARLEY_JOB_POLL_MS: '50',
      PARLEY_PUBLIC_URL: lb.url,
      PARLEY_TWILIO_API_URL: twilio.url,
      PARLEY_VOICE_STT: 'deepgram',
      PARLEY_VOICE_TTS: 'elevenlabs',
      PARLEY_DEEPGRAM_URL: speech.url,
      PARLEY_DEEPGRAM_API_KEY: speech.deepgramKey,
      PARLEY_ELEVENLABS_URL: speech.url,
      PARLEY_ELEVENLABS_API_KEY: speech.elevenLabsKey,
    };
    // One after the other: the first creates the schema and the default workspace.
    a = spawnParley({ ...shared, PARLEY_ROLE: 'api', PORT: String(await freePort()) });
    await a.waitFor(/^API docs: /m);
    [b, worker] = [
      spawnParley({ ...shared, PARLEY_ROLE: 'api', PORT: String(await freePort()) }),
      spawnParley({ ...shared, PARLEY_ROLE: 'worker', PORT: String(await freePort()) }),
    ];
    await Promise.all([b.waitFor(/^API docs: /m), worker.waitFor(/^Parley worker started/m)]);

    const created = await call(a.url, 'POST', '/v1/admin/workspaces', adminToken, {
      name: 'Scaled voice',
      // Its polls (every call's state, across processes) are many a minute: no request limit in the way.
      plan: 'enterprise',
      default_country: 'US',
    });
    assert.equal(created.status, 201, created.text);
    // Live mode: test-mode calls go to the sandbox callee, not the carrier.
    key = (created.body.api_keys as Array<{ mode: string; key: string }>).find((k) => k.mode === 'live')!.key;
    const agent = await call(b.url, 'POST', '/v1/agents', key, {
      name: 'Glow Salon',
      greeting: 'Hello, this is Glow Salon. How can I help?',
      // The callees stay on the line, quiet, until the test hangs up (on a loaded machine that can
      // take a while): no re-prompt and silence_timeout end meanwhile.
      voice: { silence_timeout_seconds: 300 },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    const ch = await call(a.url, 'POST', '/v1/channels', key, {
      type: 'voice',
      provider: 'twilio',
      address: '+14155550199',
      agent_id: agentId,
      credentials: { account_sid: twilio.accountSid, auth_token: twilio.authToken },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
    assert.equal(ch.body.inbound_url, `${lb.url}/hooks/twilio/${channelId}/voice`);
  });

  after(async () => {
    await killAll();
    await lb?.close();
    await Promise.all([twilio.stop(), speech.stop()]);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const getCall = async (base: string, id: string) => {
    const r = await call(base, 'GET', `/v1/calls/${id}`, key);
    assert.equal(r.status, 200, r.text);
    return r.body;
  };
  const events = async (id: string) => {
    const r = await call(a.url, 'GET', `/v1/events?object_id=${id}&per_page=100`, key);
    assert.equal(r.status, 200, r.text);
    return (r.body.data as Array<{ event: string }>).map((e) => e.event).reverse();
  };
  const streamsTo = (path: string) => lb.log.filter((l) => l.kind === 'upgrade' && l.path.startsWith(path));
  const callbacksOf = (fake: FakeCallRecord) =>
    fake.callbacks.filter((c) => c.form.CallStatus).map((c) => `${c.form.CallStatus}:${c.status}`);

  it('outbound: created through A, dialled by the worker, its stream on B; callbacks and the hangup through A reach it', async () => {
    lb.route = { http: () => a.url, upgrade: () => b.url };
    // The Deepgram fake hears the n-th scripted transcript in the n-th utterance of each stream.
    speech.transcripts.splice(0, Infinity, 'What are your opening hours?');
    // The callee hears the greeting (two sentences, two marks), asks, hears the answer and stays on.
    // Every progress callback is posted twice (Twilio retries): the status still only moves forward.
    twilio.scripts.push({
      answeredBy: 'human',
      callbackOrder: 'duplicated',
      steps: [{ waitForMarks: 2 }, { say: 1200 }, { waitForMarks: 3 }, { pause: 120_000 }],
    });
    const created = await call(a.url, 'POST', '/v1/calls', key, {
      calls: [{ agent_id: agentId, to: '+14155550100' }],
    });
    assert.equal(created.status, 201, created.text);
    const callId = created.body.results[0].call.id as string;
    const fake = await within(
      twilio.waitFor((c) => c.parameters.call_id === callId),
      'the call at Twilio',
    );
    assert.equal(
      fake.form.StatusCallback,
      `${lb.url}/hooks/twilio/${channelId}/voice-status?call_id=${callId}`,
    );

    // The agent greeted, heard the question through the Deepgram fake and answered: on B.
    const talked = await eventually(async () => {
      const c = await getCall(a.url, callId);
      const roles = c.transcript.map((e: { role: string }) => e.role);
      return roles.indexOf('customer') > 0 && roles.lastIndexOf('agent') > roles.indexOf('customer') && c;
    }, 60_000);
    assert.equal(talked.status, 'in_progress');
    assert.equal(talked.provider_call_id, fake.sid);
    assert.equal(talked.answered_by, 'human');
    assert.ok(
      talked.transcript.some(
        (e: { role: string; text: string }) =>
          e.role === 'customer' && e.text === 'What are your opening hours?',
      ),
      JSON.stringify(talked.transcript),
    );
    const streams = streamsTo(`/hooks/twilio/${channelId}/media`);
    assert.deepEqual(
      streams.map((s) => s.target),
      [b.url],
      'one media stream, on B',
    );
    // The progress callbacks and the AMD verdict went to A and were accepted there.
    await eventually(async () => callbacksOf(fake).length >= 6 && fake.callbacks.length >= 7);
    assert.deepEqual(callbacksOf(fake).slice(0, 6), [
      'initiated:204',
      'ringing:204',
      'in-progress:204',
      'initiated:204',
      'ringing:204',
      'in-progress:204',
    ]);
    assert.ok(fake.callbacks.some((c) => c.form.AnsweredBy === 'human' && c.status === 204));
    const callbackHits = lb.log.filter((l) => l.kind === 'http' && l.path.includes('/voice-status'));
    assert.ok(callbackHits.length >= 7 && callbackHits.every((l) => l.target === a.url));

    // Hung up through A, which does not hold the stream: B's session hangs up at Twilio.
    const hung = await call(a.url, 'POST', `/v1/calls/${callId}/hangup`, key);
    assert.equal(hung.status, 200, `${hung.text} ${JSON.stringify(await getCall(a.url, callId))}`);
    await within(
      twilio.waitFor(
        (c) => c === fake && c.status === 'completed' && !!c.streamClose && c.updates.length > 0,
      ),
      () => `completed call at Twilio (it is ${fake.status}, updates ${JSON.stringify(fake.updates)})`,
    );
    assert.deepEqual(
      fake.updates,
      [{ Status: 'completed' }],
      'one REST hangup, from the process holding the call',
    );
    assert.equal(fake.streamClose!.code, 1000);
    // Twilio's completed callback (to A) changes nothing: the call ended once.
    await eventually(async () => callbacksOf(fake).filter((c) => c === 'completed:204').length === 2);
    const ended = await getCall(b.url, callId);
    assert.equal(ended.status, 'completed');
    assert.equal(ended.ended_reason, 'canceled');
    assert.ok(ended.duration_seconds >= 1);
    // Status moved forward only, each event once.
    assert.deepEqual(
      (await events(callId)).filter((t) => t.startsWith('call.') && t !== 'call.analyzed'),
      ['call.started', 'call.answered', 'call.completed'],
    );
    // The conversation holds the turns (message events carry the call id).
    const conv = await call(
      b.url,
      'GET',
      `/v1/conversations/${ended.conversation_id}/messages?per_page=50`,
      key,
    );
    assert.equal(conv.status, 200, conv.text);
    assert.ok(conv.body.data.length >= 3, conv.text);
    // Still the one REST update: the worker, which placed the call and heard the hangup too, left it
    // to the process holding the stream.
    assert.deepEqual(fake.updates, [{ Status: 'completed' }]);
    // Nothing is left running for it: a second hangup is refused, and no process logged a failure.
    assert.equal((await call(b.url, 'POST', `/v1/calls/${callId}/hangup`, key)).status, 409);
    for (const p of [a, b, worker]) assert.doesNotMatch(p.output(), /call session failed|dial failed/);
  });

  it("an answering machine's verdict posted to A after the greeting started reaches the call on B: it ends as voicemail", async () => {
    lb.route = { http: () => a.url, upgrade: () => b.url };
    twilio.scripts.push({ answeredBy: 'machine_end_beep', amdAfterMarks: 1, steps: [{ pause: 120_000 }] });
    const created = await call(b.url, 'POST', '/v1/calls', key, {
      calls: [{ agent_id: agentId, to: '+14155550101' }],
    });
    assert.equal(created.status, 201, created.text);
    const callId = created.body.results[0].call.id as string;
    const fake = await within(
      twilio.waitFor((c) => c.parameters.call_id === callId),
      'the call at Twilio',
    );
    const done = await eventually(async () => {
      const c = await getCall(a.url, callId);
      return TERMINAL.includes(c.status) && c;
    }, 60_000);
    assert.equal(done.status, 'voicemail');
    assert.equal(done.ended_reason, 'voicemail');
    assert.equal(done.answered_by, 'machine');
    assert.ok(fake.callbacks.some((c) => c.form.AnsweredBy === 'machine_end_beep' && c.status === 204));
    await within(
      twilio.waitFor((c) => c === fake && c.status === 'completed' && c.updates.length > 0),
      'the hangup at Twilio',
    );
    assert.deepEqual(fake.updates, [{ Status: 'completed' }]);
    assert.deepEqual(
      streamsTo(`/hooks/twilio/${channelId}/media`)
        .slice(-1)
        .map((s) => s.target),
      [b.url],
    );
    const types = (await events(callId)).filter((t) => t.startsWith('call.'));
    assert.equal(types.filter((t) => t === 'call.completed').length, 1, types.join(','));
    assert.ok(!types.includes('call.failed'), types.join(','));
  });

  it('inbound: the voice webhook lands on B, the stream on A; the call runs on A and a hangup through B ends it', async () => {
    lb.route = { http: () => b.url, upgrade: () => a.url };
    speech.transcripts.splice(0, Infinity, 'Can I book a haircut?');
    const res = await twilio.callIn(
      `${lb.url}/hooks/twilio/${channelId}/voice`,
      '+14155550111',
      '+14155550199',
      {
        steps: [{ waitForMarks: 2 }, { say: 1000 }, { waitForMarks: 3 }, { pause: 120_000 }],
      },
    );
    assert.equal(res.status, 200, res.twiml);
    assert.match(res.twiml, /<Connect><Stream url="ws:\/\/127\.0\.0\.1:\d+\/hooks\/twilio\/ch_\w+\/media">/);
    const voiceHits = lb.log.filter((l) => l.kind === 'http' && l.path.endsWith('/voice'));
    assert.equal(voiceHits.at(-1)!.target, b.url);
    const listed = await eventually(async () => {
      const l = await call(a.url, 'GET', '/v1/calls?direction=inbound', key);
      return l.body.data.find((c: { provider_call_id: string }) => c.provider_call_id === res.sid);
    });
    const callId = listed.id as string;
    const talked = await eventually(async () => {
      const c = await getCall(b.url, callId);
      const roles = c.transcript.map((e: { role: string }) => e.role);
      return roles.indexOf('customer') > 0 && roles.lastIndexOf('agent') > roles.indexOf('customer') && c;
    }, 60_000);
    assert.equal(talked.direction, 'inbound');
    assert.equal(talked.transcript[0].role, 'agent');
    assert.match(talked.transcript[0].text, /Glow Salon/);
    assert.ok(talked.transcript.some((e: { text: string }) => e.text === 'Can I book a haircut?'));
    assert.equal(streamsTo(`/hooks/twilio/${channelId}/media`).at(-1)!.target, a.url);

    const hung = await call(b.url, 'POST', `/v1/calls/${callId}/hangup`, key);
    assert.equal(hung.status, 200, `${hung.text} ${JSON.stringify(await getCall(a.url, callId))}`);
    const fake = twilio.calls.get(res.sid)!;
    await within(
      twilio.waitFor(
        (c) => c === fake && c.status === 'completed' && !!c.streamClose && c.updates.length > 0,
      ),
      () => `completed call at Twilio (it is ${fake.status}, updates ${JSON.stringify(fake.updates)})`,
    );
    assert.deepEqual(fake.updates, [{ Status: 'completed' }]);
    const ended = await getCall(a.url, callId);
    assert.equal(ended.status, 'completed');
    assert.equal(ended.ended_reason, 'canceled');
    assert.deepEqual(
      (await events(callId)).filter((t) => t.startsWith('call.') && t !== 'call.analyzed'),
      ['call.started', 'call.answered', 'call.completed'],
    );
  });
});
