import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { FakeSpeech } from '../fakes/speech.ts';
import { FakeTwilioVoice } from '../fakes/twilio-voice.ts';
import { type FakeLlm, say, startFakeLlm } from '../support/fake-llm.ts';
import { eventually, forEachStorage, type TestApp, type Workspace } from '../support/harness.ts';
import { startPhoneApp } from '../support/phone-app.ts';

/**
 * An LLM agent's `transfer` tool on a phone call: the carrier's transfer path (a Twilio call
 * update with `<Dial>`), through the app with fakes of Twilio (REST, callbacks, Media Streams),
 * Deepgram/ElevenLabs and an OpenAI-compatible chat completions server.
 */

forEachStorage('LLM transfer on a Twilio call', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const twilio = new FakeTwilioVoice();
  const speech = new FakeSpeech();
  let llm: FakeLlm;
  let agentId = '';

  before(async () => {
    // The agent's speech plays in real time on the line: 10 ms of audio a character, not a real
    // voice's 25 (what is said is the point here, not how long).
    speech.msPerChar = 10;
    await Promise.all([twilio.start(), speech.start()]);
    llm = await startFakeLlm();
    ({ t } = await startPhoneApp(storage, { twilio, speech }));
    ws = await t.workspace({ default_country: 'US' });
    const agent = await t.call('POST', '/v1/agents', {
      key: ws.live,
      body: {
        name: 'Glow Salon',
        greeting: 'Hello, this is Glow Salon. How can I help?',
        model: { provider: 'openai_compatible', name: 'llama3', base_url: llm.url, api_key: 'sk-test' },
        voice: { transfer: { to: '+14155550188' } },
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
    await Promise.all([twilio.stop(), speech.stop(), llm.close()]);
  });

  it("transfer to the agent's number redirects the live call to <Dial> it; the call ends transferred", async () => {
    speech.transcripts.push('Please put me through to the front desk');
    llm.script.push(say('Connecting you to the front desk.', { type: 'transfer', to: 'number' }));
    // The greeting is two sentences (two marks); then the caller speaks and waits on the line.
    // The transferred call ends (its <Dial> is over) before Twilio answers the redirect: the
    // `completed` callback comes before the session has recorded the transfer.
    twilio.scripts.push({
      steps: [{ waitForMarks: 2 }, { say: 1200 }, { pause: 60_000 }],
      callbackFirst: true,
    });
    const r = await t.call('POST', '/v1/calls', {
      key: ws.live,
      body: { calls: [{ agent_id: agentId, to: '+14155550100' }] },
    });
    assert.equal(r.status, 201, r.text);
    const callId = r.body.results[0].call.id;
    const fake = await twilio.waitFor(
      (c) => c.form.To === '+14155550100' && c.updates.some((u) => Boolean(u.Twiml)),
    );
    const update = fake.updates.find((u) => u.Twiml)!;
    assert.match(
      update.Twiml,
      /<Dial[^>]*callerId="\+14155550199"[^>]*><Number>\+14155550188<\/Number><\/Dial>/,
    );
    const call = await eventually(async () => {
      const c = (await t.call('GET', `/v1/calls/${callId}`, { key: ws.live })).body;
      return c.status === 'completed' && c;
    }, 30_000);
    assert.equal(call.ended_reason, 'transferred');
    assert.equal(call.provider, 'twilio');
    const said = call.transcript.map((e: { role: string; text: string }) => `${e.role}: ${e.text}`);
    assert.deepEqual(said.slice(-2), [
      'customer: Please put me through to the front desk',
      'agent: Connecting you to the front desk.',
    ]);
    // Our side never hung the transferred call up.
    assert.ok(!fake.updates.some((u) => u.Status === 'completed'), JSON.stringify(fake.updates));
  });
});
