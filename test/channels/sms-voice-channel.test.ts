import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { FakeTwilio } from '../fakes/twilio.ts';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

const PUBLIC = 'https://parley.example.com';

/**
 * An SMS Twilio posts to a voice channel's hook goes to the SMS channel of the same number, or
 * is refused (422, a warning and a metric) when the number has none: never a voice conversation
 * that cannot answer it.
 */
forEachStorage('SMS to a voice channel', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  const twilio = new FakeTwilio();
  let smsId = '';
  let voiceShared = '';
  let voiceAlone = '';

  const twilioPost = (path: string, params: Record<string, string>) =>
    t.call('POST', path, {
      payload: new URLSearchParams(params).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.sign(`${PUBLIC}${path}`, params),
      },
    });
  const channel = async (type: string, address: string) => {
    const res = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type,
        provider: 'twilio',
        address,
        credentials: { account_sid: twilio.accountSid, auth_token: twilio.authToken },
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id as string;
  };
  const sms = (sid: string, to: string) => ({
    MessageSid: sid,
    AccountSid: twilio.accountSid,
    From: '+14155550100',
    To: to,
    Body: 'Is this number also for texts?',
    NumMedia: '0',
  });

  before(async () => {
    await twilio.start();
    t = await startTestApp(storage, {
      env: { PARLEY_TWILIO_API_URL: twilio.url, PARLEY_PUBLIC_URL: PUBLIC },
      modules: providerTestModules(),
    });
    ws = await t.workspace({ default_country: 'US' });
    smsId = await channel('sms', '+14155238886');
    voiceShared = await channel('voice', '+14155238886');
    voiceAlone = await channel('voice', '+14155550177');
  });
  after(async () => {
    await t.close();
    await twilio.stop();
  });

  it("goes to the number's SMS channel when it has one", async () => {
    const sid = `SM${'b'.repeat(31)}1`;
    const res = await twilioPost(`/hooks/twilio/${voiceShared}/sms`, sms(sid, '+14155238886'));
    assert.equal(res.status, 200, res.text);
    const m = await eventually(() =>
      t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', sid).executeTakeFirst(),
    );
    assert.equal(m.channel_id, smsId);
    const conv = await t.ctx.db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', m.conversation_id)
      .executeTakeFirstOrThrow();
    assert.equal(conv.channel, 'sms');
  });

  it('is refused with 422, a warning and a metric when the number has no SMS channel; nothing is stored', async () => {
    const sid = `SM${'c'.repeat(31)}2`;
    const res = await twilioPost(`/hooks/twilio/${voiceAlone}/sms`, sms(sid, '+14155550177'));
    assert.equal(res.status, 422, res.text);
    assert.equal(res.body.error.code, 'channel_not_configured');
    assert.match(res.body.error.message, /no SMS channel/);
    const stored = await t.ctx.db
      .selectFrom('provider_inbound')
      .select('id')
      .where('channel_id', '=', voiceAlone)
      .execute();
    assert.equal(stored.length, 0);
    const metrics = await t.call('GET', '/metrics');
    assert.match(metrics.text, /parley_inbound_refused_total\{reason="sms_to_voice_channel"\} 1/);
  });
});
