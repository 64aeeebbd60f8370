import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeLiveKit } from '../fakes/livekit.ts';
import { FakeSpeech } from '../fakes/speech.ts';
import { FakeTwilioVoice } from '../fakes/twilio-voice.ts';
import { eventually, forEachStorage, type TestApp, type Workspace } from '../support/harness.ts';
import { startPhoneApp } from '../support/phone-app.ts';

/**
 * Phone calls end to end through the app: a Twilio voice channel (fake Twilio speaking the REST,
 * signed callbacks and Media Streams protocols), an agent on Deepgram recognition and ElevenLabs
 * speech (fakes of their protocols), and LiveKit rooms with SIP (a Twirp fake). Calls are live
 * mode: test-mode calls go to the sandbox callee.
 */

forEachStorage('phone lines', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let base = '';
  const twilio = new FakeTwilioVoice();
  const speech = new FakeSpeech();
  const livekit = new FakeLiveKit();
  let agentId = '';
  let channelId = '';

  before(async () => {
    // The agent's speech and the caller's words play in real time on the line: 5 ms of audio a
    // character, not a real voice's 25 (the thresholds on frames played below are in proportion),
    // and 500 ms of the caller's audio an utterance, not 1 s.
    speech.msPerChar = 5;
    speech.msPerUtterance = 500;
    await Promise.all([twilio.start(), speech.start(), livekit.start()]);
    ({ t, base } = await startPhoneApp(storage, { twilio, speech, livekit }));
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, this is Glow Salon. How can I help?',
      },
    });
    assert.equal(agent.status, 201, agent.text);
    agentId = agent.body.id;
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'voice',
        provider: 'twilio',
        address: '+14155550199',
        agent_id: agentId,
        credentials: { account_sid: twilio.accountSid, auth_token: twilio.authToken },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    channelId = ch.body.id;
    assert.equal(ch.body.inbound_url, `${base}/hooks/twilio/${channelId}/voice`);
  });
  after(async () => {
    await t.close();
    await Promise.all([twilio.stop(), speech.stop(), livekit.stop()]);
  });

  const getCall = async (id: string) => (await t.call('GET', `/v1/calls/${id}`, { key: ws.live })).body;
  const ended = (id: string, timeoutMs = 15_000) =>
    eventually(async () => {
      const c = await getCall(id);
      return ['completed', 'busy', 'no_answer', 'failed', 'canceled', 'voicemail'].includes(c.status) && c;
    }, timeoutMs);

  it('outbound: Calls.json with the stream TwiML; the agent greets, hears the caller through Deepgram, answers in ElevenLabs audio; marks and callbacks', async () => {
    speech.transcripts.push('What are your opening hours?');
    // The greeting is two sentences (two segments, two marks); the answer at least one more.
    twilio.scripts.push({
      steps: [{ waitForMarks: 2 }, { say: 700 }, { waitForMarks: 3 }, { pause: 300 }, { hangup: true }],
    });
    const r = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550100' }] },
    });
    assert.equal(r.status, 201, r.text);
    const callId = r.body.results[0].call.id;
    assert.equal(r.body.results[0].media_session.provider, 'parley');
    const fake = await twilio.waitFor((c) => c.form.To === '+14155550100' && c.status === 'completed');
    assert.match(
      fake.form.Twiml,
      new RegExp(`<Stream url="ws://127\\.0\\.0\\.1:\\d+/hooks/twilio/${channelId}/media">`),
    );
    assert.equal(fake.parameters.call_id, callId);
    assert.ok(fake.parameters.token && fake.parameters.token.length >= 40);
    assert.equal(
      fake.form.StatusCallback,
      `${base}/hooks/twilio/${channelId}/voice-status?call_id=${callId}`,
    );
    assert.deepEqual(fake.statusCallbackEvents, ['initiated', 'ringing', 'answered', 'completed']);
    assert.equal(fake.form.AsyncAmd, 'true');
    const call = await ended(callId);
    assert.equal(call.status, 'completed');
    assert.equal(call.provider, 'twilio');
    assert.equal(call.provider_call_id, fake.sid);
    assert.equal(call.ended_reason, 'customer_ended_call');
    // At least the greeting's audio (42 characters) reached the line.
    const greetingFrames = (42 * speech.msPerChar) / 20;
    assert.ok(
      fake.framesReceived >= greetingFrames * 0.95 && fake.badFrames === 0,
      `frames ${fake.framesReceived}`,
    );
    assert.ok(fake.marksEchoed.length >= 2);
    const roles = call.transcript.map((e: { role: string }) => e.role);
    assert.equal(roles[0], 'agent');
    assert.ok(
      call.transcript.some(
        (e: { role: string; text: string }) =>
          e.role === 'customer' && e.text === 'What are your opening hours?',
      ),
      JSON.stringify(call.transcript),
    );
    assert.ok(roles.lastIndexOf('agent') > roles.indexOf('customer'), 'the agent answered');
    await eventually(async () => fake.callbacks.length >= 4 && fake.callbacks.every((c) => c.status === 204));
    assert.equal(speech.speakRequests.at(-1)!.query.get('output_format'), 'pcm_16000');
  });

  it('inbound: the voice webhook answers <Connect><Stream>, creates the call and its conversation, and the agent speaks first', async () => {
    speech.transcripts.push('Thanks, bye');
    const voiceUrl = `${base}/hooks/twilio/${channelId}/voice`;
    const res = await twilio.callIn(voiceUrl, '+14155550111', '+14155550199', {
      steps: [{ waitForMarks: 2 }, { pause: 500 }, { hangup: true }],
    });
    assert.equal(res.status, 200);
    assert.match(
      res.twiml,
      /<Response><Connect><Stream url="ws:\/\/127\.0\.0\.1:\d+\/hooks\/twilio\/ch_\w+\/media"><Parameter name="call_id" value="call_\w+"\/><Parameter name="token" value="[\w-]+"\/><\/Stream><\/Connect><\/Response>/,
    );
    const list = await eventually(async () => {
      const l = await t.call('GET', '/v1/calls?direction=inbound', { key: ws.live });
      return l.body.data.find((c: { provider_call_id: string }) => c.provider_call_id === res.sid);
    });
    await ended(list.id);
    const call = await eventually(async () => {
      const c = await getCall(list.id);
      return c.transcript.length > 0 && c;
    });
    assert.equal(call.direction, 'inbound');
    assert.equal(call.from, '+14155550111');
    assert.equal(call.to, '+14155550199');
    assert.equal(call.transcript[0].role, 'agent');
    assert.match(call.transcript[0].text, /Glow Salon/);
    const conv = await t.call('GET', `/v1/conversations/${call.conversation_id}`, { key: ws.live });
    assert.equal(conv.body.channel, 'voice');
    // The same webhook again (Twilio retries) finds the same call.
    const again = await fetch(voiceUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.sign(voiceUrl, {
          CallSid: res.sid,
          From: '+14155550111',
          To: '+14155550199',
        }),
      },
      body: new URLSearchParams({ CallSid: res.sid, From: '+14155550111', To: '+14155550199' }).toString(),
    });
    assert.match(await again.text(), /This call has ended/);
  });

  it('refuses forged signatures on the webhooks and the media stream; a stream for an ended call is closed', async () => {
    const voiceUrl = `${base}/hooks/twilio/${channelId}/voice`;
    const forged = await twilio.callIn(voiceUrl, '+14155550112', '+14155550199', {}, 'bm90LWEtc2lnbmF0dXJl');
    assert.equal(forged.status, 401);
    const statusUrl = `${base}/hooks/twilio/${channelId}/voice-status`;
    const r = await fetch(statusUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' },
      body: 'CallSid=CA1&CallStatus=completed',
    });
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'invalid_signature');
    // A forged upgrade: the call never connects and ends failed_to_connect once Twilio reports it completed.
    twilio.scripts.push({ streamSignature: 'forged' });
    const placed = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550120' }] },
    });
    const callId = placed.body.results[0].call.id;
    const fake = await twilio.waitFor((c) => c.form.To === '+14155550120' && !!c.streamClose);
    assert.equal(fake.streamClose!.code, 403);
    const call = await ended(callId);
    assert.equal(call.status, 'failed');
    assert.equal(call.ended_reason, 'failed_to_connect');
    // A stream with a valid signature for an ended call (and another call's token) is closed.
    twilio.scripts.push({ streamParameters: { call_id: callId, token: fake.parameters.token } });
    const second = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550121' }] },
    });
    const f2 = await twilio.waitFor((c) => c.form.To === '+14155550121' && !!c.streamClose);
    assert.equal(f2.streamClose!.code, 1008);
    const c2 = await ended(second.body.results[0].call.id);
    assert.equal(c2.ended_reason, 'failed_to_connect');
  });

  it('carrier refusals end the call with a precise reason and call.failed; busy and out-of-order callbacks move status forward only', async () => {
    twilio.scripts.push({ error: { status: 400, code: 21211 } });
    const bad = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550130' }] },
    });
    const c1 = await ended(bad.body.results[0].call.id);
    assert.equal(c1.status, 'failed');
    assert.equal(c1.ended_reason, 'invalid_number');
    assert.match(c1.error.message, /21211/);
    twilio.scripts.push({ error: { status: 400, code: 21215 } });
    const perm = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550131' }] },
    });
    assert.equal((await ended(perm.body.results[0].call.id)).ended_reason, 'failed_to_connect');
    twilio.scripts.push({ outcome: 'busy', callbackOrder: 'reversed' });
    const busy = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550132' }] },
    });
    const c3 = await ended(busy.body.results[0].call.id);
    assert.equal(c3.status, 'busy');
    assert.equal(c3.ended_reason, 'busy');
    const fake = await twilio.waitFor((c) => c.form.To === '+14155550132' && c.callbacks.length >= 3);
    assert.ok(fake.callbacks.every((c) => c.status === 204));
    assert.equal((await getCall(c3.id)).status, 'busy', 'the late initiated/ringing changed nothing');
    const events = await t.call('GET', `/v1/events?type=call.failed`, { key: ws.live });
    if (events.status === 200) {
      const ids = events.body.data.map((e: { data: { id: string } }) => e.data.id);
      for (const id of [c1.id, c3.id])
        assert.equal(ids.filter((x: string) => x === id).length, 1, 'call.failed once');
    }
  });

  it('an answering machine, verdict before the stream or during the greeting: the voicemail policy (hang up by default) ends the call voicemail', async () => {
    for (const [to, amdAfterMarks] of [
      ['+14155550140', 0],
      ['+14155550141', 1],
    ] as const) {
      // The hangup's `completed` callback reaches Parley before Twilio answers the hangup itself
      // (Twilio's callbacks are asynchronous to its REST responses): it must not turn the call
      // into one that failed to connect.
      twilio.scripts.push({
        answeredBy: 'machine_end_beep',
        amdAfterMarks,
        callbackFirst: true,
        steps: [{ pause: 60_000 }],
      });
      const r = await t.call('POST', '/v1/calls', {
        key: ws.live,
        body: { calls: [{ agent_id: agentId, to }] },
      });
      const call = await ended(r.body.results[0].call.id);
      assert.equal(call.status, 'voicemail');
      assert.equal(call.ended_reason, 'voicemail');
      assert.equal(call.answered_by, 'machine');
      const fake = await twilio.waitFor((c) => c.form.To === to && c.status === 'completed');
      assert.ok(
        fake.updates.some((u) => u.Status === 'completed'),
        'hung up at Twilio',
      );
    }
  });

  it('an answering machine with the leave_message policy: after the beep the message is spoken on the line, then the call ends voicemail', async () => {
    const message = 'Hi, this is Glow Salon returning your call. Please call us back.';
    const vm = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Glow Salon callbacks',
        greeting: 'Hello, this is Glow Salon. How can I help?',
        voice: { voicemail: { action: 'leave_message', message } },
      },
    });
    assert.equal(vm.status, 201, vm.text);
    // The verdict (Twilio's async AMD `machine_end_beep`) before the stream opens, and while the
    // greeting is being spoken on the stream.
    const speaks = speech.speakRequests.length;
    for (const [to, amdAfterMarks] of [
      ['+14155550142', 0],
      ['+14155550143', 1],
    ] as const) {
      twilio.scripts.push({ answeredBy: 'machine_end_beep', amdAfterMarks, steps: [{ pause: 60_000 }] });
      const r = await t.call('POST', '/v1/calls', {
        key: ws.live,
        body: { calls: [{ agent_id: vm.body.id, to }] },
      });
      assert.equal(r.status, 201, r.text);
      // Parley hangs up once the message has played: the call is over at Twilio.
      const fake = await twilio.waitFor((c) => c.form.To === to && c.status === 'completed');
      const call = await eventually(async () => {
        const c = await ended(r.body.results[0].call.id, 30_000);
        // The message is added to the transcript once it has played.
        return c.transcript.some((e: { text: string }) => e.text.includes('Please call us back')) && c;
      }, 10_000);
      assert.equal(call.status, 'voicemail', `${to}: ${JSON.stringify(call)}`);
      assert.equal(call.ended_reason, 'voicemail');
      assert.equal(call.answered_by, 'machine');
      // The message was synthesised by the speech engine (for this call, or an earlier one: the
      // sentence cache keeps it, so the second call may make no request) and spoken before hangup.
      assert.ok(
        speech.speakRequests
          .slice(speaks)
          .some((q) => JSON.stringify(q.body).includes('Please call us back')),
        `message synthesised: ${JSON.stringify(speech.speakRequests.slice(speaks).map((q) => q.body))}`,
      );
      const transcript = call.transcript as { role: string; text: string }[];
      assert.ok(
        transcript.some((e) => e.role === 'agent' && e.text.includes('Please call us back')),
        JSON.stringify(transcript),
      );
      // Its audio reached the line and played out (its mark came back) before Parley hung up.
      // (At least 60% of the message's audio, message.length * speech.msPerChar ms: 1000 ms at a
      // real voice's 25 ms a character.)
      const messageMs = message.length * speech.msPerChar;
      assert.equal(fake.badFrames, 0);
      assert.ok(fake.framesReceived >= (messageMs * 0.6) / 20, `frames ${fake.framesReceived}`);
      assert.ok(fake.playedMs >= messageMs * 0.6, `played ${fake.playedMs} ms`);
      assert.ok(
        fake.updates.some((u) => u.Status === 'completed'),
        'hung up at Twilio',
      );
    }
  });

  it("a voice flow transfer that Twilio refuses takes the node's on_fail on the live call", async () => {
    const flow = await t.call('POST', '/v1/voice-flows', {
      key: ws.live,
      body: {
        name: 'Transfer to the team',
        language: 'en-US',
        timezone: 'America/Los_Angeles',
        start: 'hello',
        nodes: {
          hello: { type: 'say', text: 'Hello from Glow Salon.', next: 'xfer' },
          xfer: {
            type: 'transfer',
            to: '+14155550777',
            say: 'Connecting you to our team.',
            on_fail: 'sorry',
          },
          sorry: {
            type: 'end',
            text: 'Sorry, nobody can take your call right now.',
            outcome: 'team_unavailable',
          },
        },
      },
    });
    assert.equal(flow.status, 201, flow.text);
    const to = '+14155550160';
    // Twilio's documented error body for the redirect (REST call update with `Twiml`).
    twilio.scripts.push({
      redirectError: { status: 500, code: 20500, message: 'Internal Server Error' },
      steps: [{ pause: 60_000 }],
    });
    const r = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ voice_flow_id: flow.body.id, to, channel_id: channelId }] },
    });
    assert.equal(r.status, 201, r.text);
    const fake = await twilio.waitFor((c) => c.form.To === to && c.status === 'completed');
    const call = await ended(r.body.results[0].call.id, 30_000);
    assert.equal(call.status, 'completed');
    assert.equal(call.ended_reason, 'flow_ended', JSON.stringify(call));
    assert.equal(call.dynamic_variables.flow_outcome, 'team_unavailable');
    // The transfer was tried (a <Dial> redirect), refused, and the flow went on at on_fail.
    assert.ok(
      fake.updates.some((u) => /<Dial[^>]*>.*\+14155550777/s.test(u.Twiml ?? '')),
      JSON.stringify(fake.updates),
    );
    const said = call.transcript
      .filter((e: { role: string }) => e.role === 'agent')
      .map((e: { text: string }) => e.text)
      .join(' ');
    assert.match(said, /Connecting you to our team\..*Sorry, nobody can take your call right now\./s);
    assert.ok(
      fake.updates.some((u) => u.Status === 'completed'),
      'Parley hung up after on_fail',
    );
  });

  it('hangup through the API ends the live call at Twilio', async () => {
    twilio.scripts.push({ steps: [{ pause: 60_000 }] });
    const r = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550150' }] },
    });
    const id = r.body.results[0].call.id;
    await eventually(async () => (await getCall(id)).status === 'in_progress', 10_000);
    const live = await t.call('GET', `/v1/calls/${id}/recording`, { key: ws.live });
    assert.equal(live.status, 404, live.text);
    assert.equal(live.body.error.code, 'not_found');
    assert.match(live.body.error.message, /has no recording: it has not ended/);
    const h = await t.call('POST', `/v1/calls/${id}/hangup`, { key: ws.live });
    assert.equal(h.status, 200, h.text);
    const fake = await twilio.waitFor(
      (c) => c.form.To === '+14155550150' && c.updates.some((u) => u.Status === 'completed'),
    );
    assert.equal(fake.status, 'completed');
    const again = await t.call('POST', `/v1/calls/${id}/hangup`, { key: ws.live });
    assert.equal(again.status, 409);
  });

  it("GET /v1/calls/{id}/recording streams Twilio's recording, fetched with the channel's credentials; 404 without one or for another workspace; 502 when Twilio fails", async () => {
    const recorder = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: { name: 'Recorded line', greeting: 'Hello, this call is recorded.', voice: { record: true } },
    });
    assert.equal(recorder.status, 201, recorder.text);
    const place = async (agent: string, to: string) => {
      twilio.scripts.push({ steps: [{ waitForMarks: 1 }, { hangup: true }] });
      const r = await t.call('POST', '/v1/calls', {
        key: ws.live,
        body: { calls: [{ agent_id: agent, to }] },
      });
      assert.equal(r.status, 201, r.text);
      return r.body.results[0].call.id as string;
    };
    const download = (id: string, key = ws.live) =>
      fetch(`${base}/v1/calls/${id}/recording`, { headers: { authorization: `Bearer ${key}` } });

    // Recorded: Twilio's callback sets recording_url (at api.twilio.com, behind basic auth).
    const id = await place(recorder.body.id, '+14155550160');
    const fake = await twilio.waitFor(
      (c) => c.form.To === '+14155550160' && c.callbacks.some((cb) => !!cb.form.RecordingUrl),
    );
    assert.equal(fake.form.Record, 'true');
    const sent = fake.callbacks.find((cb) => cb.form.RecordingUrl)!;
    const call = await eventually(async () => {
      const c = await getCall(id);
      return c.recording_url && c;
    });
    assert.equal(call.recording_url, sent.form.RecordingUrl);
    const audio = twilio.recordings.get(sent.form.RecordingSid)!;
    const before = twilio.recordingRequests.length;
    const res = await download(id);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('content-type'), 'audio/x-wav');
    assert.ok(res.headers.get('x-concurrency-limit'));
    assert.ok(res.headers.get('x-concurrency-remaining'));
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(audio.wav), 'the WAV bytes as Twilio served them');
    const asked = twilio.recordingRequests.slice(before);
    assert.equal(asked.length, 1);
    assert.equal(new URL(sent.form.RecordingUrl).pathname, asked[0].path);
    assert.equal(
      asked[0].authorization,
      `Basic ${Buffer.from(`${twilio.accountSid}:${twilio.authToken}`).toString('base64')}`,
    );
    // A recording URL ending in .mp3 is served as MP3.
    await t.ctx.db
      .updateTable('calls')
      .set({ recording_url: `${sent.form.RecordingUrl}.mp3` })
      .where('id', '=', id)
      .execute();
    const mp3 = await download(id);
    assert.equal(mp3.status, 200);
    assert.equal(mp3.headers.get('content-type'), 'audio/mpeg');
    assert.ok(Buffer.from(await mp3.arrayBuffer()).equals(audio.mp3), 'the MP3 bytes');

    // Another workspace's call is not found, and Twilio is not asked.
    const other = await t.workspace({ default_country: 'US' });
    const asked2 = twilio.recordingRequests.length;
    const foreign = await t.call('GET', `/v1/calls/${id}/recording`, { key: other.live });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, 'not_found');
    assert.equal(foreign.body.error.message, `No call with id ${id}.`);
    assert.ok(foreign.headers['x-concurrency-limit']);
    const unknown = await t.call('GET', '/v1/calls/call_01JD5Z8Q4X3N2M1K0H9G8F7E6D/recording', {
      key: ws.live,
    });
    assert.equal(unknown.status, 404);
    assert.equal(twilio.recordingRequests.length, asked2);

    // Twilio no longer serves it (deleted: 404) or fails (500): 502 provider_error.
    for (const failure of [
      { status: 404, code: 20404, message: 'The requested resource was not found' },
      { status: 500, code: 20500, message: 'Internal Server Error' },
    ]) {
      twilio.recordingError = failure;
      const r = await t.call('GET', `/v1/calls/${id}/recording`, { key: ws.live });
      assert.equal(r.status, 502, r.text);
      assert.equal(r.body.error.code, 'provider_error');
      assert.match(r.body.error.message, new RegExp(`Twilio did not serve the recording \\(${failure.code}`));
      assert.ok(r.body.error.request_id);
      assert.ok(r.headers['x-concurrency-limit']);
    }
    twilio.recordingError = undefined;

    // Not recorded: the agent's voice.record is off.
    const plain = await place(agentId, '+14155550161');
    await ended(plain);
    const none = await t.call('GET', `/v1/calls/${plain}/recording`, { key: ws.live });
    assert.equal(none.status, 404, none.text);
    assert.equal(none.body.error.code, 'not_found');
    assert.equal(
      none.body.error.message,
      `Call ${plain} has no recording: its agent's voice \`record\` setting is off.`,
    );
    assert.ok(none.headers['x-concurrency-remaining']);
  });

  describe('LiveKit', () => {
    let lkChannel = '';
    before(async () => {
      const ch = await t.call('POST', '/v1/channels', {
        key: ws.live,
        body: {
          type: 'voice',
          provider: 'livekit',
          address: '+14155550198',
          agent_id: agentId,
          credentials: {
            url: 'wss://parley-test.livekit.cloud',
            api_key: livekit.apiKey,
            api_secret: livekit.apiSecret,
            sip_trunk_id: 'ST_trunk',
            agent_name: 'parley-agent',
          },
        },
      });
      assert.equal(ch.status, 201, ch.text);
      lkChannel = ch.body.id;
      assert.equal(ch.body.inbound_url, `${base}/hooks/livekit/${lkChannel}`);
    });

    it('an outbound call creates the room, dispatches the agent, dials over SIP; media_session is the room token; webhooks move it', async () => {
      const r = await t.call('POST', '/v1/calls', {
        key: ws.live,
        body: { calls: [{ agent_id: agentId, to: '+14155550160', channel_id: lkChannel }] },
      });
      assert.equal(r.status, 201, r.text);
      const { call, media_session } = r.body.results[0];
      assert.equal(media_session.provider, 'livekit');
      assert.equal(media_session.identity, 'api-client');
      assert.equal(media_session.room, call.id);
      assert.equal(media_session.url, 'wss://parley-test.livekit.cloud');
      await eventually(async () => (await getCall(call.id)).status === 'dialing', 10_000);
      const methods = livekit.requests
        .filter((q) => JSON.stringify(q.body).includes(call.id))
        .map((q) => q.method);
      assert.deepEqual(methods, [
        'RoomService/CreateRoom',
        'AgentDispatchService/CreateDispatch',
        'SIP/CreateSIPParticipant',
      ]);
      const hook = `${base}/hooks/livekit/${lkChannel}`;
      const send = async (event: object, secret?: string) => {
        const w = await livekit.signWebhook(event, secret);
        return fetch(hook, {
          method: 'POST',
          headers: { 'content-type': 'application/webhook+json', authorization: w.authorization },
          body: w.body,
        });
      };
      const forged = await send(
        {
          event: 'participant_joined',
          room: { name: call.id },
          participant: { identity: 'callee', attributes: { 'sip.callStatus': 'active' } },
        },
        'wrong',
      );
      assert.equal(forged.status, 401);
      assert.equal((await getCall(call.id)).status, 'dialing');
      assert.equal(
        (
          await send({
            event: 'participant_joined',
            room: { name: call.id },
            participant: { identity: 'callee', attributes: { 'sip.callStatus': 'active' } },
          })
        ).status,
        204,
      );
      assert.equal((await getCall(call.id)).status, 'in_progress');
      const h = await t.call('POST', `/v1/calls/${call.id}/hangup`, { key: ws.live });
      assert.equal(h.status, 200);
      await eventually(
        async () =>
          livekit.requests.some(
            (q) => q.method === 'RoomService/RemoveParticipant' && q.body.room === call.id,
          ),
        10_000,
      );
      const done = await getCall(call.id);
      assert.equal(done.status, 'completed');
      assert.equal(done.ended_reason, 'canceled');
    });

    it('a SIP busy ends the call busy', async () => {
      livekit.sipOutcome.push('486');
      const r = await t.call('POST', '/v1/calls', {
        key: ws.live,
        body: { calls: [{ agent_id: agentId, to: '+14155550161', channel_id: lkChannel }] },
      });
      const c = await ended(r.body.results[0].call.id);
      assert.equal(c.status, 'busy');
      assert.equal(c.ended_reason, 'busy');
    });
  });
});
