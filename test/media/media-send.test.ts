import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { eventually, forEachStorage } from '../support/harness.ts';
import { uploadMedia } from '../support/media-upload.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * A file uploaded with `POST /v1/media` sent as a message by its `media_` id: on WhatsApp it is
 * uploaded to Meta (`POST /{phone-number-id}/media`) and sent by Meta's media id; on email it is
 * attached; the message serves it back; a wrong id, kind or workspace is a field error.
 */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(300, 9),
]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');
// An iPhone photo's start: an ISO media `ftyp` box of brand heic, then an empty `mdat`.
const HEIC = Buffer.concat([
  Buffer.from([0, 0, 0, 24]),
  Buffer.from('ftypheic'),
  Buffer.from([0, 0, 0, 0]),
  Buffer.from('mif1heic'),
  Buffer.from([0, 0, 0, 40]),
  Buffer.from('mdat'),
  Buffer.alloc(32, 5),
]);

forEachStorage('sending uploaded files', (storage) => {
  let a: WhatsAppApp;
  let smtp: SMTPServer;
  const mails: string[] = [];
  let emailChannel: string;

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      closeTimeout: 200,
      onAuth(auth, _session, cb) {
        if (auth.username === 'relay' && auth.password === 'pw') return cb(null, { user: 'relay' });
        return cb(new Error('Invalid username or password'));
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
    a = await startWhatsAppApp(storage);
    const email = await a.t.call('POST', '/v1/channels', {
      key: a.ws.live,
      body: {
        type: 'email',
        provider: 'smtp',
        address: 'desk@clinic.test',
        credentials: {
          host: '127.0.0.1',
          port: (smtp.server.address() as AddressInfo).port,
          username: 'relay',
          password: 'pw',
          from: 'Clinic <desk@clinic.test>',
        },
      },
    });
    assert.equal(email.status, 201, email.text);
    emailChannel = email.body.id;
  });
  after(async () => {
    await a?.close();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  });

  it('on WhatsApp: uploads the file to Meta, sends it by id, and serves it from the message', async () => {
    const wamid = `wamid.in${Date.now()}`;
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Ana' }, wa_id: '15550001111' }],
        messages: [
          {
            from: '15550001111',
            id: wamid,
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: 'text',
            text: { body: 'the menu please' },
          },
        ],
      }),
    );
    const conv = await eventually(async () => {
      const r = await a.t.call('GET', '/v1/conversations?channel=whatsapp', { key: a.ws.live });
      return r.body.data?.[0];
    });
    const id = await uploadMedia(a.t, a.ws.live, JPEG, 'menu.jpg', 'image/jpeg');
    const res = await a.t.call('POST', `/v1/conversations/${conv.id}/reply`, {
      key: a.ws.live,
      body: { image: { media_id: id, caption: 'Our menu' } },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.type, 'image');
    assert.equal(res.body.media.media_id, id);
    assert.equal(res.body.media.mime_type, 'image/jpeg');
    assert.equal(res.body.media.filename, 'menu.jpg');
    const send = await eventually(async () =>
      a.meta.sends(a.number.phoneNumberId).find((s) => s.body.type === 'image'),
    );
    const [metaId, file] = [...a.meta.account.mediaUploads.entries()].at(-1)!;
    assert.deepEqual(send.body.image, { id: metaId, caption: 'Our menu' });
    assert.equal(file.phoneNumberId, a.number.phoneNumberId);
    assert.ok(file.bytes.equals(JPEG));
    assert.equal(file.type, 'image/jpeg');
    const got = await a.t.call('GET', `/v1/messages/${res.body.id}/media`, { key: a.ws.live });
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], 'image/jpeg');
    assert.equal(Number(got.headers['content-length']), JPEG.length);
  });

  it('on email: attaches the file', async () => {
    const id = await uploadMedia(a.t, a.ws.live, PDF, 'invoice.pdf', 'application/pdf');
    const res = await a.t.call('POST', '/v1/messages', {
      key: a.ws.live,
      body: { to: 'ana@example.com', channel: 'email', document: { media_id: id, caption: 'Your invoice' } },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.channel_id, emailChannel);
    const mail = await eventually(async () => mails.find((m) => m.includes('invoice.pdf')));
    assert.match(mail, /Content-Type: application\/pdf/i);
    assert.ok(mail.includes(PDF.toString('base64').slice(0, 40)));
  });

  it('refuses an id of another workspace, a wrong kind, an SMS upload, and url with media_id', async () => {
    const other = await a.t.workspace();
    const foreign = await uploadMedia(a.t, other.live, JPEG, 'x.jpg', 'image/jpeg');
    const pdf = await uploadMedia(a.t, a.ws.live, PDF, 'a.pdf', 'application/pdf');
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ image: { media_id: foreign } }, 'image.media_id'],
      [{ image: { media_id: pdf } }, 'image.media_id'],
      [{ image: { media_id: 'nonsense' } }, 'image.media_id'],
      [{ image: { media_id: pdf, url: 'https://example.com/a.jpg' } }, 'image.media_id'],
      [{ image: {} }, 'image.url'],
    ];
    for (const [content, field] of cases) {
      const res = await a.t.call('POST', '/v1/messages', {
        key: a.ws.live,
        body: { to: 'ana@example.com', channel: 'email', ...content },
      });
      assert.equal(res.status, 400, `${JSON.stringify(content)}: ${res.text}`);
      assert.ok(
        res.body.error.errors.some((e: { field: string }) => e.field === field),
        `${JSON.stringify(content)}: ${res.text}`,
      );
    }
    const sms = await a.t.call('POST', '/v1/messages', {
      key: a.ws.test,
      body: { to: '+919876543210', channel: 'sms', document: { media_id: pdf } },
    });
    assert.equal(sms.status, 400, sms.text);
    assert.match(sms.text, /public url/);
  });

  it('a HEIC photo is refused as a WhatsApp image by name, and goes as a WhatsApp document and an email image', async () => {
    const id = await uploadMedia(a.t, a.ws.live, HEIC, 'IMG_0001.HEIC', 'image/heic');
    const res = await a.t.call('POST', '/v1/messages', {
      key: a.ws.live,
      body: { to: '+919876543210', channel: 'whatsapp', image: { media_id: id, caption: 'Our shop' } },
    });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(res.body.error.errors, [
      {
        field: 'image.media_id',
        message:
          'is a image/heic image, which WhatsApp does not take as an image (JPEG or PNG only); convert it, send it as a document, or send it on another channel',
      },
    ]);
    const asDocument = await a.t.call('POST', '/v1/messages', {
      key: a.ws.live,
      body: { to: '+919876543210', channel: 'whatsapp', document: { media_id: id } },
    });
    assert.doesNotMatch(asDocument.text, /does not take/);
    const mail = await a.t.call('POST', '/v1/messages', {
      key: a.ws.live,
      body: { to: 'ana@example.com', channel: 'email', image: { media_id: id } },
    });
    assert.equal(mail.status, 201, mail.text);
    assert.equal(mail.body.media.mime_type, 'image/heic');
    await eventually(async () => mails.find((m) => m.includes('IMG_0001.HEIC')));
  });
});
