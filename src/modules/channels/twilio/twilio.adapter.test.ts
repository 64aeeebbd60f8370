import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import twilio from 'twilio';
import { createTwilioAdapter, optKeyword, parseTwilioForm } from './twilio.adapter.ts';

const now = new Date('2026-05-10T08:00:00Z');
const channel = {
  id: 'ch_1',
  workspaceId: 'ws_1',
  livemode: true,
  type: 'sms' as const,
  provider: 'twilio' as const,
  address: '+15550002222',
  credentials: { account_sid: 'AC1', auth_token: 'tok' },
  settings: {},
};

describe('Twilio', () => {
  it('recognises opt-out and opt-in keywords only as the whole message', () => {
    for (const w of ['STOP', 'stop', ' Unsubscribe ', 'STOPALL', 'cancel', 'END', 'quit.'])
      assert.equal(optKeyword(w), 'opt_out', w);
    for (const w of ['START', 'unstop']) assert.equal(optKeyword(w), 'opt_in', w);
    for (const w of ['please stop calling', 'stopper', '', 'HELP']) assert.equal(optKeyword(w), undefined, w);
  });
  it('parses inbound SMS, MMS and status callbacks', () => {
    const sms = parseTwilioForm(
      { MessageSid: 'SM1', From: '+15551112222', To: '+15550002222', Body: 'Hi', NumMedia: '0' },
      now,
    );
    assert.deepEqual(sms.messages[0], {
      providerMessageId: 'SM1',
      from: '+15551112222',
      to: '+15550002222',
      type: 'text',
      text: 'Hi',
      timestamp: now,
    });
    const mms = parseTwilioForm(
      {
        MessageSid: 'MM1',
        From: '+1555',
        Body: '',
        NumMedia: '1',
        MediaUrl0: 'https://m/1',
        MediaContentType0: 'image/png',
      },
      now,
    );
    assert.equal(mms.messages[0].type, 'image');
    assert.equal(mms.messages[0].media?.url, 'https://m/1');
    const st = parseTwilioForm({ MessageSid: 'SM2', MessageStatus: 'undelivered', ErrorCode: '30007' }, now);
    assert.equal(st.messages.length, 0);
    assert.equal(st.statuses[0].status, 'failed');
    assert.equal(st.statuses[0].error?.providerCode, '30007');
    assert.equal(parseTwilioForm({ MessageSid: 'SM3', MessageStatus: 'sending' }, now).statuses.length, 0);
    assert.equal(parseTwilioForm({ Body: 'no sid' }, now).messages.length, 0);
  });
  it('verifies X-Twilio-Signature over the URL and sorted params', () => {
    const adapter = createTwilioAdapter({ apiUrl: 'http://127.0.0.1:1' });
    const url = 'https://parley.example.com/hooks/twilio/ch_1/sms';
    const params = { MessageSid: 'SM1', From: '+15551112222', Body: 'Hi' };
    const signature = twilio.getExpectedTwilioSignature('tok', url, params);
    const req = (headers: Record<string, string>, u = url, body: Record<string, string> = params) => ({
      rawBody: Buffer.from('x'),
      headers,
      url: u,
      body,
    });
    assert.equal(adapter.verifyInbound(channel, req({ 'x-twilio-signature': signature })), true);
    assert.equal(adapter.verifyInbound(channel, req({})), false);
    assert.equal(
      adapter.verifyInbound(channel, req({ 'x-twilio-signature': signature }, `${url}?x=1`)),
      false,
    );
    assert.equal(
      adapter.verifyInbound(
        channel,
        req({ 'x-twilio-signature': signature }, url, { ...params, Body: 'changed' }),
      ),
      false,
    );
  });
});
