import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
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
const CUSTOMER = '+14155550199';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

forEachStorage('SMS (Twilio) and email (SMTP) channels', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let twilio: FakeTwilio;
  let smtp: SMTPServer;
  let smtpPort: number;
  const mails: Received[] = [];
  let rejectNext = false;
  let smsId: string;
  let emailId: string;
  let inboundToken: string;

  const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
  const twilioPost = (path: string, params: Record<string, string>, signature?: string) =>
    t.call('POST', path, {
      payload: form(params),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature === undefined
          ? { 'x-twilio-signature': twilio.sign(`${PUBLIC}${path}`, params) }
          : signature
            ? { 'x-twilio-signature': signature }
            : {}),
      },
    });
  const message = (id: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  const byProviderId = (pid: string) =>
    t.ctx.db.selectFrom('messages').selectAll().where('provider_message_id', '=', pid).executeTakeFirst();
  const contact = () =>
    t.ctx.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', ws.id)
      .where('phone', '=', CUSTOMER)
      .executeTakeFirst();

  before(async () => {
    twilio = new FakeTwilio();
    await twilio.start();
    smtp = new SMTPServer({
      authOptional: true,
      closeTimeout: 200,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'relay' && auth.password === 'pw') return cb(null, { user: 'relay' });
        return cb(new Error('Invalid username or password'));
      },
      onRcptTo(_address, _session, cb) {
        if (rejectNext) {
          rejectNext = false;
          const err = new Error('Mailbox unavailable') as Error & { responseCode: number };
          err.responseCode = 550;
          return cb(err);
        }
        cb();
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            from: String(session.envelope.mailFrom ? session.envelope.mailFrom.address : ''),
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    t = await startTestApp(storage, {
      env: { PARLEY_TWILIO_API_URL: twilio.url, PARLEY_PUBLIC_URL: PUBLIC },
      modules: providerTestModules(),
    });
    ws = await t.workspace({ default_country: 'US' });
    const sms = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'sms',
        provider: 'twilio',
        address: '+14155238886',
        credentials: { account_sid: twilio.accountSid, auth_token: twilio.authToken },
      },
    });
    assert.equal(sms.status, 201, sms.text);
    smsId = sms.body.id;
    const email = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'email',
        provider: 'smtp',
        address: 'support@shop.test',
        credentials: {
          host: '127.0.0.1',
          port: smtpPort,
          username: 'relay',
          password: 'pw',
          from: 'Shop Support <support@shop.test>',
        },
      },
    });
    assert.equal(email.status, 201, email.text);
    emailId = email.body.id;
    inboundToken = email.body.inbound_token;
    assert.ok(inboundToken);
  });
  after(async () => {
    await t?.close();
    await twilio?.stop();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  });

  it('takes a signed inbound SMS once, refuses a forged one', async () => {
    const params = {
      MessageSid: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1',
      AccountSid: twilio.accountSid,
      From: CUSTOMER,
      To: '+14155238886',
      Body: 'Do you open on Sunday?',
      NumMedia: '0',
    };
    const res = await twilioPost(`/hooks/twilio/${smsId}/sms`, params);
    assert.equal(res.status, 200);
    assert.match(res.text, /<Response><\/Response>/);
    assert.equal(
      (await twilioPost(`/hooks/twilio/${smsId}/sms`, params)).status,
      200,
      'a retry is acknowledged',
    );
    assert.equal(
      (
        await twilioPost(
          `/hooks/twilio/${smsId}/sms`,
          { ...params, Body: 'tampered' },
          twilio.sign(`${PUBLIC}/hooks/twilio/${smsId}/sms`, params),
        )
      ).status,
      401,
    );
    assert.equal((await twilioPost(`/hooks/twilio/${smsId}/sms`, params, '')).status, 401);
    const row = await eventually(() => byProviderId(params.MessageSid));
    assert.equal(row.text, 'Do you open on Sunday?');
    assert.equal(row.from_address, CUSTOMER);
    const count = await t.ctx.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('provider_message_id', '=', params.MessageSid)
      .executeTakeFirst();
    assert.equal(Number(count?.n), 1);
  });

  it('STOP opts the contact out and START opts them back in', async () => {
    await twilioPost(`/hooks/twilio/${smsId}/sms`, {
      MessageSid: 'SMstop0000000000000000000000000001',
      From: CUSTOMER,
      To: '+14155238886',
      Body: 'STOP',
    });
    await eventually(async () => (await contact())?.opted_out === 1);
    await twilioPost(`/hooks/twilio/${smsId}/sms`, {
      MessageSid: 'SMstart000000000000000000000000001',
      From: CUSTOMER,
      To: '+14155238886',
      Body: 'start',
    });
    await eventually(async () => (await contact())?.opted_out === 0);
  });

  it('sends SMS through the Twilio REST API and follows status callbacks', async () => {
    const res = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: CUSTOMER, channel: 'sms', type: 'text', text: 'Yes, 10 to 4.' },
    });
    assert.equal(res.status, 201, res.text);
    const sent = await eventually(async () => {
      const r = await message(res.body.id);
      return r?.status === 'sent' ? r : undefined;
    });
    const req = twilio.requests.at(-1)!;
    assert.equal(req.path, `/2010-04-01/Accounts/${twilio.accountSid}/Messages.json`);
    assert.deepEqual(
      [req.form.To, req.form.From, req.form.Body],
      [CUSTOMER, '+14155238886', 'Yes, 10 to 4.'],
    );
    assert.equal(req.form.StatusCallback, `${PUBLIC}/hooks/twilio/${smsId}/status`);
    const statusPath = `/hooks/twilio/${smsId}/status`;
    assert.equal(
      (
        await twilioPost(statusPath, {
          MessageSid: sent.provider_message_id!,
          MessageStatus: 'delivered',
          AccountSid: twilio.accountSid,
        })
      ).status,
      200,
    );
    await eventually(async () => (await message(res.body.id))?.status === 'delivered');
    // A late `sent` does not move it back.
    await twilioPost(statusPath, {
      MessageSid: sent.provider_message_id!,
      MessageStatus: 'sent',
      AccountSid: twilio.accountSid,
      SmsStatus: 'sent',
    });
    await new Promise((r) => setTimeout(r, 150));
    assert.equal((await message(res.body.id))?.status, 'delivered');
  });

  it('a Twilio refusal fails the message with the reason', async () => {
    twilio.script.push({
      kind: 'error',
      status: 400,
      code: 21211,
      message: "The 'To' number is not a valid phone number.",
    });
    const res = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: CUSTOMER, channel: 'sms', type: 'text', text: 'x' },
    });
    const row = await eventually(async () => {
      const r = await message(res.body.id);
      return r?.status === 'failed' ? r : undefined;
    });
    assert.equal(row.error_code, 'validation_failed');
    assert.match(row.error_message ?? '', /21211/);
  });

  it('answers the voice hook with TwiML saying voice is not configured', async () => {
    const res = await twilioPost(`/hooks/twilio/${smsId}/voice`, {
      CallSid: 'CA1',
      From: CUSTOMER,
      To: '+14155238886',
    });
    assert.equal(res.status, 200);
    assert.match(res.text, /<Say>Voice calls are not configured/);
  });

  it('sends email over SMTP with threading headers', async () => {
    const res = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: 'ana@example.com', channel: 'email', type: 'text', text: 'Your refund is on its way.' },
    });
    assert.equal(res.status, 201, res.text);
    const row = await eventually(async () => {
      const r = await message(res.body.id);
      return r?.status === 'sent' ? r : undefined;
    });
    const mail = mails.at(-1)!;
    assert.deepEqual(mail.to, ['ana@example.com']);
    assert.equal(mail.from, 'support@shop.test');
    assert.match(mail.raw, new RegExp(`Message-ID: <${res.body.id}@shop\\.test>`, 'i'));
    assert.match(mail.raw, /Your refund is on its way\./);
    assert.equal(row.provider_message_id, `<${res.body.id}@shop.test>`);
  });

  it('takes inbound email by token (header or query), threads it, refuses a wrong token', async () => {
    const path = `/hooks/email/${emailId}`;
    const body = {
      from: 'Ana <ana@example.com>',
      to: 'support@shop.test',
      subject: 'Re: refund',
      text: 'Thanks!',
      headers: 'Message-ID: <r1@mail.example.com>\nIn-Reply-To: <x@shop.test>',
    };
    assert.equal(
      (await t.call('POST', path, { body, headers: { authorization: 'Bearer itk_wrong' } })).status,
      401,
    );
    assert.equal((await t.call('POST', path, { body })).status, 401);
    assert.equal(
      (await t.call('POST', path, { body, headers: { authorization: `Bearer ${inboundToken}` } })).status,
      200,
    );
    const formRes = await t.call('POST', `${path}?token=${inboundToken}`, {
      payload: form({
        from: 'bob@example.com',
        subject: 'Hello',
        text: 'Is anyone there?',
        'Message-Id': '<b1@example.com>',
      }),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(formRes.status, 200);
    const a = await eventually(() => byProviderId('<r1@mail.example.com>'));
    assert.equal(a.text, 'Thanks!');
    assert.equal(a.reply_to_provider_id, '<x@shop.test>');
    assert.equal(a.from_address, 'ana@example.com');
    const b = await eventually(() => byProviderId('<b1@example.com>'));
    assert.equal(b.text, 'Is anyone there?');
  });

  it('an SMTP 550 fails the email with the reason', async () => {
    rejectNext = true;
    const res = await t.call('POST', '/v1/messages', {
      key: ws.live,
      body: { to: 'gone@example.com', channel: 'email', type: 'text', text: 'x' },
    });
    const row = await eventually(async () => {
      const r = await message(res.body.id);
      return r?.status === 'failed' ? r : undefined;
    });
    assert.equal(row.error_code, 'email_undeliverable');
    assert.match(row.error_message ?? '', /550/);
  });
});
