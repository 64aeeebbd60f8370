import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { FakeTwilioVoice } from '../fakes/twilio-voice.ts';
import { eventually, forEachStorage, startTestApp, type TestApp } from '../support/harness.ts';

/**
 * Twilio voice with a PARLEY_PUBLIC_URL that is not https (its media URL would be ws://, which
 * Twilio refuses): /readyz says so in `warnings` and stays ready.
 */
forEachStorage('voice with an http public URL', (storage) => {
  let t: TestApp;
  const twilio = new FakeTwilioVoice();

  before(async () => {
    await twilio.start();
    t = await startTestApp(storage, {
      env: { PARLEY_TWILIO_API_URL: twilio.url, PARLEY_PUBLIC_URL: 'http://parley.example.com' },
    });
  });
  after(async () => {
    await t.close();
    await twilio.stop();
  });

  it('/readyz has no warning without a Twilio voice channel, and one (still ready) with it', async () => {
    const first = await t.call('GET', '/readyz');
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.warnings, undefined);
    const ws = await t.workspace({ default_country: 'US' });
    const ch = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'voice',
        provider: 'twilio',
        address: '+14155550199',
        credentials: { account_sid: twilio.accountSid, auth_token: twilio.authToken },
      },
    });
    assert.equal(ch.status, 201, ch.text);
    // Rechecked at most every 30 s: move the check's clock on.
    const realNow = Date.now;
    Date.now = () => realNow() + 31_000;
    try {
      const ready = await eventually(async () => {
        const r = await t.call('GET', '/readyz');
        return r.body.warnings ? r : null;
      }, 5_000);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.status, 'ready');
      assert.match(
        ready.body.warnings[0],
        /PARLEY_PUBLIC_URL \(http:\/\/parley\.example\.com\) is not https/,
      );
    } finally {
      Date.now = realNow;
    }
  });
});
