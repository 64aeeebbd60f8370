import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import {
  eventually,
  forEachStorage,
  startTestApp,
  type TestApp,
  type Workspace,
} from '../support/harness.ts';
import { providerTestModules } from '../support/provider-modules.ts';

/**
 * Inbound email as relays really post it and replies that thread in mail clients. Every payload
 * comes from a provider's documentation or a public fixture, named at each test (see
 * test/fixtures/email/README.md).
 */

const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url));
const crlf = (b: Buffer) => Buffer.from(b.toString('utf8').replace(/\r?\n/g, '\r\n'));

/** A multipart/form-data body as a relay sends it (fetch's own encoder, so the format is standard). */
async function multipart(
  parts: Record<string, string | { filename: string; type: string; content: Buffer }>,
) {
  const form = new FormData();
  for (const [name, v] of Object.entries(parts)) {
    if (typeof v === 'string') form.append(name, v);
    else form.append(name, new Blob([new Uint8Array(v.content)], { type: v.type }), v.filename);
  }
  const req = new Request('http://relay.invalid/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await req.arrayBuffer()),
    contentType: req.headers.get('content-type') as string,
  };
}

forEachStorage('Email as relays send it', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let smtp: SMTPServer;
  let channelId: string;
  let token: string;
  const mails: string[] = [];

  const post = (payload: Buffer | string, contentType: string, auth: string | null = token) =>
    t.call('POST', `/hooks/email/${channelId}`, {
      payload,
      headers: { 'content-type': contentType, ...(auth === null ? {} : { authorization: `Bearer ${auth}` }) },
    });
  const byProviderId = (pid: string) =>
    t.ctx.db
      .selectFrom('messages')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('provider_message_id', '=', pid)
      .executeTakeFirst();
  const getMessage = async (id: string) => (await t.call('GET', `/v1/messages/${id}`, { key: ws.live })).body;
  const download = (path: string) => t.call('GET', path, { key: ws.live });

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      closeTimeout: 200,
      onAuth(_auth, _session, cb) {
        cb(null, { user: 'relay' });
      },
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'));
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    t = await startTestApp(storage, { modules: providerTestModules() });
    ws = await t.workspace({ default_country: 'US' });
    const res = await t.call('POST', '/v1/channels', {
      key: ws.live,
      body: {
        type: 'email',
        provider: 'smtp',
        address: 'mary@example.net',
        credentials: {
          host: '127.0.0.1',
          port: (smtp.server.address() as AddressInfo).port,
          username: 'relay',
          password: 'pw',
          from: 'Mary Smith <mary@example.net>',
        },
      },
    });
    assert.equal(res.status, 201, res.text);
    channelId = res.body.id;
    token = res.body.inbound_token;
  });
  after(async () => {
    await t?.close();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  });

  it('takes a raw RFC 5322 message and threads the reply (RFC 5322 Appendix A.2)', async () => {
    // RFC 5322 A.2: John writes "Saying Hello"; Mary's reply carries In-Reply-To and References
    // citing <1234@local.machine.example> and the subject "Re: Saying Hello".
    const res = await post(fixture('rfc5322-a2-original.eml'), 'message/rfc822');
    assert.equal(res.status, 200, res.text);
    const inbound = await eventually(() => byProviderId('<1234@local.machine.example>'));
    assert.equal(inbound.from_address, 'jdoe@machine.example');
    assert.match(inbound.text ?? '', /This is a message just to say hello\./);

    const reply = await t.call('POST', `/v1/conversations/${inbound.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'This is a reply to your hello.' },
    });
    assert.equal(reply.status, 201, reply.text);
    await eventually(async () => (await getMessage(reply.body.id)).status === 'sent');
    const mail = mails.at(-1) ?? '';
    assert.match(mail, /^In-Reply-To: <1234@local\.machine\.example>\r?$/m);
    assert.match(mail, /^References: <1234@local\.machine\.example>\r?$/m);
    assert.match(mail, /^Subject: Re: Saying Hello\r?$/m);
    assert.match(mail, /^To: jdoe@machine\.example\r?$/m);
  });

  it('never sends raw HTML: markup in a reply (e.g. knowledge text an AI quoted) goes out as plain text', async () => {
    const res = await post(fixture('rfc5322-a2-original.eml'), 'message/rfc822');
    assert.equal(res.status, 200, res.text);
    const inbound = await eventually(() => byProviderId('<1234@local.machine.example>'));
    const reply = await t.call('POST', `/v1/conversations/${inbound.conversation_id}/reply`, {
      key: ws.live,
      body: {
        text: '<p>Opening hours: <b>9 to 5</b></p><script>alert(1)</script><img src=x onerror=alert(2)>',
      },
    });
    assert.equal(reply.status, 201, reply.text);
    await eventually(async () => (await getMessage(reply.body.id)).status === 'sent');
    const mail = mails.at(-1) ?? '';
    assert.doesNotMatch(mail, /<script|<p>|<b>|onerror|alert\(1\)/i, mail);
    assert.doesNotMatch(mail, /Content-Type: text\/html/i);
    assert.match(mail, /Opening hours: 9 to 5/);
  });

  it('keeps "Re:" once and carries the References chain on a reply to a reply (RFC 5322 A.2)', async () => {
    // The second message of A.2, sent to Parley's address: its References hold the first message.
    const res = await post(fixture('rfc5322-a2-reply.eml'), 'message/rfc822');
    assert.equal(res.status, 200, res.text);
    const inbound = await eventually(() => byProviderId('<3456@example.net>'));
    assert.equal(inbound.reply_to_provider_id, '<1234@local.machine.example>');
    const reply = await t.call('POST', `/v1/conversations/${inbound.conversation_id}/reply`, {
      key: ws.live,
      body: { text: 'Thanks, Mary.' },
    });
    await eventually(async () => (await getMessage(reply.body.id)).status === 'sent');
    const mail = mails.at(-1) ?? '';
    assert.match(mail, /^In-Reply-To: <3456@example\.net>\r?$/m);
    assert.match(mail, /^References: <1234@local\.machine\.example> <3456@example\.net>\r?$/m);
    assert.match(mail, /^Subject: Re: Saying Hello\r?$/m);
  });

  it('takes SendGrid Inbound Parse in raw mode (multipart, whole message in `email`)', async () => {
    // sendgrid/sendgrid-go helpers/inbound/sample_data/raw_data_plaintext.txt, boundary xYzZY.
    const body = crlf(fixture('sendgrid-raw-plaintext.txt'));
    const type = 'multipart/form-data; boundary=xYzZY';
    // The token is checked the same way as for JSON: wrong or missing is a 401, nothing stored.
    assert.equal((await post(body, type, 'itk_wrong')).status, 401);
    assert.equal((await post(body, type, null)).status, 401);
    const res = await post(body, type);
    assert.equal(res.status, 200, res.text);
    const m = await eventually(() =>
      byProviderId('<CAF5GBptN93asLzEJvFTz_MLY0ftvfbVnaNNFdYdPcpX7qtnSgQ@mail.gmail.com>'),
    );
    assert.equal(m.from_address, 'forwarding-noreply@google.com');
    assert.match(m.text ?? '', /Confirmation code: 123456789/);
    assert.equal(
      JSON.parse(m.interactive ?? '{}').subject,
      '(#123456789) Gmail Forwarding Confirmation - Receive Mail from test_test@gmail.com',
    );
  });

  it('takes SendGrid Inbound Parse parsed fields with an attachment, and serves the file', async () => {
    // Field names and shapes from SendGrid's Inbound Parse docs ("Default parameters"): headers as
    // a raw block, attachment-info JSON naming attachment1, envelope and charsets as JSON.
    const pdf = Buffer.from('%PDF-1.4\n% an invoice\n');
    const { payload, contentType } = await multipart({
      headers:
        'Received: by mx0047p1mdw1.sendgrid.net with SMTP id 6WCVv7KAWn Wed, 27 Jul 2016 20:53:06 +0000 (UTC)\n' +
        'Message-ID: <sg-parsed-1@mail.example.com>\nIn-Reply-To: <older@shop.test>\nDate: Wed, 27 Jul 2016 14:53:05 -0600',
      dkim: '{@sendgrid.com : pass}',
      'content-ids': '{}',
      to: 'mary@example.net',
      html: '<p>Please find the invoice attached.</p>',
      from: 'Example User <test@example.com>',
      text: 'Please find the invoice attached.\n',
      sender_ip: '209.85.223.182',
      envelope: '{"to":["mary@example.net"],"from":"test@example.com"}',
      attachments: '1',
      subject: 'Invoice',
      'attachment-info':
        '{"attachment1":{"filename":"invoice.pdf","name":"invoice.pdf","type":"application/pdf"}}',
      charsets: '{"to":"UTF-8","html":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}',
      SPF: 'pass',
      attachment1: { filename: 'invoice.pdf', type: 'application/pdf', content: pdf },
    });
    const res = await post(payload, contentType);
    assert.equal(res.status, 200, res.text);
    const row = await eventually(() => byProviderId('<sg-parsed-1@mail.example.com>'));
    assert.equal(row.reply_to_provider_id, '<older@shop.test>');
    const msg = await getMessage(row.id);
    assert.equal(msg.attachments.length, 1);
    assert.deepEqual(
      [msg.attachments[0].filename, msg.attachments[0].mime_type, msg.attachments[0].size],
      ['invoice.pdf', 'application/pdf', pdf.length],
    );
    const file = await download(msg.attachments[0].download_url);
    assert.equal(file.status, 200);
    assert.equal(file.headers['content-type'], 'application/pdf');
    assert.equal(file.text, pdf.toString());
    assert.match(String(file.headers['content-disposition']), /invoice\.pdf/);
  });

  it('keeps only the reply for the agent, the preview and search; the whole body in interactive.full_text', async () => {
    // A real reply (GitHub's email_reply_parser test/emails/email_1_3.txt): two lines, a
    // signature, a mailing-list footer, then "On … wrote:" and the quoted thread.
    const body = fixture('replies/email_1_3.txt').toString('utf8');
    const json = JSON.parse(fixture('postmark-inbound.json').toString('utf8'));
    json.TextBody = body;
    json.HtmlBody = '';
    json.Attachments = [];
    json.Headers = json.Headers.map((h: { Name: string; Value: string }) =>
      h.Name === 'Message-ID' ? { ...h, Value: '<reply-1-3@mail.example.com>' } : h,
    );
    const res = await post(JSON.stringify(json), 'application/json');
    assert.equal(res.status, 200, res.text);
    const row = await eventually(() => byProviderId('<reply-1-3@mail.example.com>'));
    const msg = await getMessage(row.id);
    assert.match(msg.text, /^Oh thanks\.\n\nHaving the function would be great\./);
    assert.doesNotMatch(msg.text, /wrote:|^>|riakClient/m);
    assert.equal(msg.interactive.full_text, body.replace(/\r\n?/g, '\n'));
    const conv = (await t.call('GET', `/v1/conversations/${row.conversation_id}`, { key: ws.live })).body;
    assert.match(conv.last_message, /^Oh thanks\./);
    const search = async (q: string) =>
      (await t.call('GET', `/v1/conversations?q=${encodeURIComponent(q)}`, { key: ws.live })).body.data.map(
        (c: { id: string }) => c.id,
      );
    assert.ok((await search('Having the function')).includes(row.conversation_id));
    // Words of the quoted thread only ("Russell Brown wrote") find nothing.
    assert.ok(!(await search('Russell Brown wrote')).includes(row.conversation_id));
  });

  it('keeps only the reply of a BlackBerry reply ("-----Original Message-----") and of an Android client\'s Russian quote header', async () => {
    const blackberry = [
      'Reply-To: asha@example.com',
      'Sensitivity: Normal',
      'Importance: Normal',
      'To: "Mary Smith" <mary@example.net>',
      'Subject: Re: Your booking',
      'From: asha@example.com',
      'Date: Fri, 20 Nov 2026 14:07:33 +0000',
      'Message-ID: <1590087453-1234567890-cammailer@bda2561.bisx.prod.on.blackberry>',
      'In-Reply-To: <booking-1@example.net>',
      'Content-Type: text/plain; charset="Windows-1252"',
      'Content-Transfer-Encoding: quoted-printable',
      'MIME-Version: 1.0',
      '',
      'Yes, Saturday at 11 works for me.',
      'Sent from my BlackBerry=AE wireless device',
      '',
      '-----Original Message-----',
      'From: Mary Smith <mary@example.net>',
      'Date: Fri, 20 Nov 2026 14:05:12 ',
      'To: asha@example.com',
      'Subject: Re: Your booking',
      '',
      'Can you come on Saturday at 11?',
      '',
    ].join('\r\n');
    const res = await post(blackberry, 'message/rfc822');
    assert.equal(res.status, 200, res.text);
    const bb = await eventually(() =>
      byProviderId('<1590087453-1234567890-cammailer@bda2561.bisx.prod.on.blackberry>'),
    );
    assert.equal(bb.text, 'Yes, Saturday at 11 works for me.');
    assert.match((await getMessage(bb.id)).interactive.full_text, /Original Message-----\nFrom: Mary Smith/);
    // BlackBerry 10: the reply is in the HTML part, the text/plain part beside it is blank (a
    // SendGrid parsed post carries both as fields). A blank text part is no text: the HTML is read.
    const bb10Html =
      '<html><body><div>Yes, Saturday at 11 works for me.</div><div>Sent from my BlackBerry 10 smartphone.</div>' +
      '<table width="100%"><tbody><tr><td id="_persistentHeader"><div><b>From: </b>Mary Smith</div>' +
      '<div><b>Sent: </b>Friday, 20 November 2026 14:05</div><div><b>To: </b>Asha Rao</div>' +
      '<div><b>Subject: </b>Re: Your booking</div></td></tr></tbody></table><br><div>Can you come on Saturday at 11?</div></body></html>';
    const { payload, contentType } = await multipart({
      from: 'Asha Rao <asha@example.com>',
      to: 'mary@example.net',
      subject: 'Re: Your booking',
      text: '\r\n',
      html: bb10Html,
      headers:
        'Message-ID: <bb10-1@bda2561.bisx.prod.on.blackberry>\r\nIn-Reply-To: <booking-1@example.net>\r\n',
    });
    assert.equal((await post(payload, contentType)).status, 200);
    const bb10 = await eventually(() => byProviderId('<bb10-1@bda2561.bisx.prod.on.blackberry>'));
    assert.equal(bb10.text, 'Yes, Saturday at 11 works for me.');

    const russian = await post(
      JSON.stringify({
        from: 'Иван Петров <ivan@example.ru>',
        to: 'mary@example.net',
        subject: 'Re: Запись',
        // Gmail for Android's quote header in Russian.
        text: 'Да, в субботу в 11 удобно.\n\nПт, 20 нояб. 2026 г., 14:05 Mary Smith <mary@example.net>:\n\n> Можете прийти в субботу в 11?\n>\n',
        headers: { 'Message-ID': '<android-ru-1@mail.example.ru>' },
      }),
      'application/json',
    );
    assert.equal(russian.status, 200, russian.text);
    const ru = await eventually(() => byProviderId('<android-ru-1@mail.example.ru>'));
    assert.equal(ru.text, 'Да, в субботу в 11 удобно.');
  });

  it("stores Postmark's RFC Message-ID (not its own MessageID) and its attachments", async () => {
    // mvdnbrk/postmark-inbound tests/fixtures/inbound.json (Postmark's inbound JSON).
    const json = fixture('postmark-inbound.json');
    const res = await post(json, 'application/json');
    assert.equal(res.status, 200, res.text);
    const row = await eventually(() => byProviderId('<test-messag-id@mail.example.com>'));
    assert.equal(row.from_address, 'john@example.com');
    const msg = await getMessage(row.id);
    assert.deepEqual(
      msg.attachments.map((a: { filename: string; mime_type: string }) => [a.filename, a.mime_type]),
      [
        ['myimage.png', 'image/png'],
        ['mypaper.doc', 'application/msword'],
      ],
    );
    assert.equal(msg.attachments[0].content_id, 'myimage.png@01CE7342.75E71F80');
    const doc = await download(msg.attachments[1].download_url);
    assert.equal(doc.text, 'My paper, as a document.');
    // No message was stored under Postmark's own id.
    assert.equal(await byProviderId('a123456-b1234-c123456-d1234'), undefined);
  });

  it('takes a Mailgun route post (multipart, message-headers pairs, attachment-1)', async () => {
    // Field names from Mailgun's "Receiving messages via HTTP through a forward() action" docs.
    const { payload, contentType } = await multipart({
      recipient: 'mary@example.net',
      sender: 'bob@example.com',
      from: 'Bob <bob@example.com>',
      subject: 'Re: Sample POST request',
      'body-plain': 'Hi Alice, This is Bob.\n\nI also attached a file.\n',
      'stripped-text': 'Hi Alice, This is Bob.\n\nI also attached a file.',
      'attachment-count': '1',
      'message-headers': JSON.stringify([
        ['Mime-Version', '1.0'],
        ['Subject', 'Re: Sample POST request'],
        ['From', 'Bob <bob@example.com>'],
        ['To', 'Alice <mary@example.net>'],
        ['Message-Id', '<517ACC75.5010709@mailgun.net>'],
        ['In-Reply-To', '<517AC78B.5060404@example.net>'],
        ['Content-Type', ['multipart/mixed', { boundary: '5555555' }]],
      ]),
      timestamp: '1367605587',
      token: '4e20b8b7c0ab7bd2c4ca1f6fb5d8c4c0f2a0b1c0c1d4e5f6a7',
      'attachment-1': { filename: 'crabby.gif', type: 'image/gif', content: Buffer.from('GIF89a....') },
    });
    const res = await post(payload, contentType);
    assert.equal(res.status, 200, res.text);
    const row = await eventually(() => byProviderId('<517ACC75.5010709@mailgun.net>'));
    assert.equal(row.reply_to_provider_id, '<517AC78B.5060404@example.net>');
    assert.equal(row.text, 'Hi Alice, This is Bob.\n\nI also attached a file.');
    const msg = await getMessage(row.id);
    assert.deepEqual(
      [msg.attachments[0].filename, msg.attachments[0].mime_type],
      ['crabby.gif', 'image/gif'],
    );
  });

  it('honours headers given as a JSON object', async () => {
    const res = await post(
      JSON.stringify({
        from: 'Ana <ana@example.com>',
        to: 'mary@example.net',
        subject: 'Re: refund',
        text: 'Thanks!',
        headers: { 'Message-ID': '<obj-1@mail.example.com>', 'In-Reply-To': '<x@example.net>' },
      }),
      'application/json',
    );
    assert.equal(res.status, 200);
    const row = await eventually(() => byProviderId('<obj-1@mail.example.com>'));
    assert.equal(row.reply_to_provider_id, '<x@example.net>');
  });

  it('keeps the attachments of a MIME message (RFC 2046 multipart/mixed)', async () => {
    const mime = [
      'From: Ana <ana@example.com>',
      'To: mary@example.net',
      'Subject: Photo of the damage',
      'Message-ID: <mime-att-1@example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="simple boundary"',
      '',
      '--simple boundary',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'The box arrived broken, photo attached.',
      '--simple boundary',
      'Content-Type: image/jpeg; name="box.jpg"',
      'Content-Disposition: attachment; filename="box.jpg"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).toString('base64'),
      '--simple boundary--',
      '',
    ].join('\r\n');
    assert.equal((await post(mime, 'message/rfc822')).status, 200);
    const row = await eventually(() => byProviderId('<mime-att-1@example.com>'));
    assert.equal(row.text, 'The box arrived broken, photo attached.');
    const msg = await getMessage(row.id);
    const file = await t.parley.app.inject({
      method: 'GET',
      url: msg.attachments[0].download_url,
      headers: { authorization: `Bearer ${ws.live}` },
    });
    assert.equal(file.headers['content-type'], 'image/jpeg');
    assert.deepEqual([...file.rawPayload], [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  });

  it('refuses a format it does not take with 415, and answers 404 for media a message lacks', async () => {
    const res = await post('hello', 'text/plain');
    assert.equal(res.status, 415);
    const row = await eventually(() => byProviderId('<obj-1@mail.example.com>'));
    const media = await download(`/v1/messages/${row.id}/media`);
    assert.equal(media.status, 404);
    assert.equal(media.body.error.code, 'not_found');
    const other = await t.workspace();
    assert.equal(
      (await t.call('GET', `/v1/messages/${row.id}/media`, { key: other.live })).status,
      404,
      "another workspace's key sees nothing",
    );
  });
});
