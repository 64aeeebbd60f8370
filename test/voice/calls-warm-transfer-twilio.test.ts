import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { FakeSpeech } from '../fakes/speech.ts';
import { type CallScript, FakeTwilioVoice } from '../fakes/twilio-voice.ts';
import { eventually, forEachStorage, type TestApp, type Workspace } from '../support/harness.ts';
import { startPhoneApp } from '../support/phone-app.ts';

/**
 * A warm transfer on a Twilio call, against the Twilio fake speaking the documented protocol:
 * the caller hears hold audio on its media stream, the person is called as a second leg
 * (`Calls.json` with `<Say>` + `<Dial><Conference statusCallback>`), the room's `participant-join`
 * callback says they heard who is calling, and only then is the caller's call redirected into the
 * room. A leg that is busy, not answered, declined or invalid: the caller is told, the call goes on.
 */

const TRANSFER_TO = '+14155550188';

forEachStorage('warm transfer on a Twilio call', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const twilio = new FakeTwilioVoice();
  const speech = new FakeSpeech();
  let agentId = '';
  let n = 0;

  before(async () => {
    // The agent's lines, the caller's words and the whisper play in real time on the line: shorter
    // audio than a real voice's (their words, not their length, are what these tests check).
    speech.msPerChar = 4;
    speech.msPerUtterance = 300;
    twilio.sayMsPerWord = 20;
    await Promise.all([twilio.start(), speech.start()]);
    ({ t } = await startPhoneApp(storage, { twilio, speech }));
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, this is Glow Salon. How can I help?',
        voice: { transfer: { to: TRANSFER_TO, mode: 'warm', summary: true } },
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
  });
  after(async () => {
    await t.close();
    await Promise.all([twilio.stop(), speech.stop()]);
  });

  /**
   * The caller asks for a person, then waits (or hangs up after `hangupAfterMarks` marks, once
   * `beforeHangup` holds when given).
   */
  const run = async (leg: CallScript, hangupAfterMarks?: number, beforeHangup?: () => boolean) => {
    const to = `+1415555${String(200 + ++n).padStart(3, '0')}0`;
    // Its first two words (the recogniser's interim result) already ask for a person.
    speech.transcripts.length = 0; // each recognition stream reads from the first
    speech.transcripts.push('Real person please, not a bot');
    twilio.scripts.length = 0; // a script a failed test left unused must not be the next call's
    twilio.scripts.push(
      {
        steps: [
          { waitForMarks: 2 },
          { say: 400 },
          ...(hangupAfterMarks
            ? [
                { waitForMarks: hangupAfterMarks },
                ...(beforeHangup ? [{ until: beforeHangup }] : []),
                { hangup: true as const },
              ]
            : []),
          { pause: 60_000 },
        ],
      },
      leg,
    );
    const r = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to, dynamic_variables: { name: 'Priya' } }] },
    });
    assert.equal(r.status, 201, r.text);
    const callId = r.body.results[0].call.id;
    const call = await eventually(async () => {
      const c = (await t.call('GET', `/v1/calls/${callId}`, { key: ws.live })).body;
      return ['completed', 'failed'].includes(c.status) && c;
    }, 40_000);
    const all = [...twilio.calls.values()];
    const caller = all.find((c) => c.form.To === to)!;
    // This call's second leg: placed after it, to the transfer number, with no media stream.
    const person = all.slice(all.indexOf(caller) + 1).find((c) => c.form.To === TRANSFER_TO && !c.streamUrl);
    const said = call.transcript.map((e: { role: string; text: string }) => `${e.role}: ${e.text}`);
    return { call, caller, person, said };
  };

  it('the person answers and hears who is calling: the caller hears hold audio at once, then is joined', async () => {
    const { call, caller, person, said } = await run({ outcome: 'answer' });
    assert.equal(call.status, 'completed', said.join('\n'));
    assert.equal(call.ended_reason, 'transferred');
    assert.ok(person, 'the person was called as a second leg');
    assert.equal(person.form.From, '+14155550199');
    const whisper = person.form.Twiml.match(/<Say>(.*?)<\/Say>/)![1];
    assert.match(whisper, /AI assistant of Glow Salon\. Priya is on the line for you\./);
    assert.match(whisper, /They said: &quot;Real person please(, not a bot)?&quot;/);
    assert.match(person.form.StatusCallback, /\/voice-status\?call_id=call_[^&]+&leg=transfer$/);
    // Both legs are in one room: the person first (after the whisper), then the caller.
    const room = [...twilio.conferences.values()].find((c) => c.participants.includes(person.sid))!;
    assert.deepEqual(room.participants, [person.sid, caller.sid]);
    const redirect = caller.updates.find((u) => u.Twiml)!;
    assert.match(redirect.Twiml, new RegExp(`<Conference[^>]*>${room.name}</Conference>`));
    assert.ok(!caller.updates.some((u) => u.Status === 'completed'), 'the joined caller is never hung up');
    // Hold audio: the first frame after the "putting you through" line finished playing.
    const lineEnd = caller.markEchoAt[3];
    const hold = caller.frameAt.find((ms) => ms > lineEnd)!;
    assert.ok(hold - lineEnd < 1000, `hold audio after ${hold - lineEnd} ms`);
    console.log(`# warm transfer: hold audio ${Math.round(hold - lineEnd)} ms after the agent's last line`);
    assert.equal(
      said.at(-1),
      `agent: [${TRANSFER_TO} answered and was told who is calling; the caller was joined]`,
    );
  });

  for (const [label, leg, why] of [
    ['is busy', { outcome: 'busy' }, 'the line was busy'],
    ['does not answer', { outcome: 'no-answer' }, 'nobody answered'],
    [
      'declines (hangs up after the whisper)',
      { outcome: 'answer', declineAfterSay: true },
      'the call was declined',
    ],
    [
      'is not a valid number',
      { error: { status: 400, code: 21211 } },
      'the number could not be reached (invalid)',
    ],
    [
      'fails with SIP 404',
      { outcome: 'failed', sipResponseCode: '404' },
      'the number could not be reached (invalid)',
    ],
  ] as const) {
    it(`the person ${label}: the caller is told and the agent carries on`, async () => {
      // Marks: greeting 2, "putting you through" 2, the apology 2; then the caller hangs up.
      const { call, caller, said } = await run(leg as CallScript, 6);
      assert.equal(call.ended_reason, 'customer_ended_call', said.join('\n'));
      const note = said.indexOf(`agent: [warm transfer to ${TRANSFER_TO} not completed: ${why}]`);
      assert.ok(note > 0, said.join('\n'));
      // (The caller hangs up as the apology's last sentence goes out: it may be cut short.)
      assert.match(said[note + 1], /^agent: I'm sorry, .*\. I can keep helping you/);
      assert.ok(!caller.updates.some((u) => u.Twiml), 'the caller was never redirected');
      assert.ok(caller.clears >= 1, 'the hold audio was cleared');
    });
  }

  it('the caller hangs up while the person is still ringing: the second leg is hung up at once', async () => {
    // Marks: greeting 2, "putting you through" 2; then the caller waits on hold until the person's
    // phone rings (Parley has the leg's `ringing` callback) and hangs up.
    const legs = new Set(twilio.calls.keys());
    const ringing = () =>
      [...twilio.calls.values()].some(
        (c) =>
          !legs.has(c.sid) &&
          c.form.To === TRANSFER_TO &&
          c.status === 'ringing' &&
          c.callbacks.some((cb) => cb.form.CallStatus === 'ringing' && cb.status >= 200 && cb.status < 300),
      );
    const { call, person } = await run({ outcome: 'answer', ringMs: 20_000 }, 4, ringing);
    assert.equal(call.ended_reason, 'customer_ended_call');
    assert.ok(person, 'the person was being called');
    const leg = await twilio.waitFor((c) => c === person && c.updates.some((u) => u.Status === 'completed'));
    assert.equal(leg.status, 'completed');
    assert.ok(![...twilio.conferences.values()].some((c) => c.participants.includes(person.sid)));
  });

  it('a call screener answers (action hangup): recognised from its first words, the call ends call_screener', async () => {
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, this is Glow Salon. How can I help?',
        voice: { call_screener: { action: 'hangup' } },
      },
    });
    assert.equal(agent.status, 201, agent.text);
    speech.transcripts.length = 0;
    speech.transcripts.push(
      "Hi, the person you're calling is using a screening service from Google. Go ahead and say your name and why you're calling.",
    );
    twilio.scripts.length = 0;
    // The screener talks over the greeting from the start, as Google's does.
    twilio.scripts.push({ steps: [{ say: 1500 }, { pause: 60_000 }] });
    const to = `+1415555${String(200 + ++n).padStart(3, '0')}0`;
    const r = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agent.body.id, to }] },
    });
    assert.equal(r.status, 201, r.text);
    const call = await eventually(async () => {
      const c = (await t.call('GET', `/v1/calls/${r.body.results[0].call.id}`, { key: ws.live })).body;
      return c.status === 'completed' && c;
    }, 30_000);
    assert.equal(call.ended_reason, 'call_screener', JSON.stringify(call.transcript));
    assert.equal(call.answered_by, 'call_screener');
    assert.equal(
      call.transcript.at(-1).text,
      '[a call screening assistant answered: hung up (call_screener.action: hangup)]',
    );
    const fake = [...twilio.calls.values()].find((c) => c.form.To === to)!;
    // Parley ended it (its stream closed, or the REST hangup): the fake's call is over.
    await eventually(async () => fake.status === 'completed', 10_000);
  });
});
