import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { healthyNumber } from '../fakes/meta-graph-account.ts';
import { eventually, forEachStorage } from '../support/harness.ts';
import { uploadMedia } from '../support/media-upload.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * A template's media header sample given as an uploaded file (`examples.header_media_id`) goes
 * through Meta's Resumable Upload API (`POST /{app_id}/uploads`, then `POST /{upload_session}` with
 * `OAuth` and `file_offset`; an upload cut off mid-way resumes from what `GET /{upload_session}`
 * says) and Meta reviews the template on the handle answered. What Meta would refuse (a type it
 * does not take for the header, a channel without its app id) is a 400 before anything is sent.
 */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(4000, 7),
]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');

forEachStorage("WhatsApp template header samples (Meta's Resumable Upload API)", (storage) => {
  let a: WhatsAppApp;
  const call = (method: string, url: string, body?: unknown) =>
    a.t.call(method, url, { key: a.ws.live, ...(body === undefined ? {} : { body }) });
  const upload = (file: Buffer, filename: string, type: string) =>
    uploadMedia(a.t, a.ws.live, file, filename, type);
  /** Sets the channel's credentials, with the Meta app's id or without it. */
  const setAppId = async (appId: string | undefined) => {
    const res = await call('PATCH', `/v1/channels/${a.channelId}`, {
      credentials: {
        phone_number_id: a.number.phoneNumberId,
        business_account_id: a.number.businessAccountId,
        access_token: a.number.accessToken,
        app_secret: a.number.appSecret,
        verify_token: 'v',
        ...(appId ? { app_id: appId } : {}),
      },
    });
    assert.equal(res.status, 200, res.text);
  };
  const imageTemplate = (name: string, sample: string) => ({
    name,
    language: 'en_US',
    category: 'utility',
    header: { type: 'image' },
    body: 'Hi {{1}}, this is your parcel.',
    examples: { body: ['Pablo'], header_media_id: sample },
  });
  const sessionRequests = () => a.meta.requests.filter((r) => r.path.includes('/upload:'));

  before(async () => {
    a = await startWhatsAppApp(storage);
    healthyNumber(a.meta.account, a.number);
  });
  after(() => a.close());

  it("uploads the sample to the channel's app and submits the handle Meta answered", async () => {
    await setAppId(a.meta.account.appId);
    const sample = await upload(JPEG, 'parcel.jpg', 'image/jpeg');
    const created = await call('POST', '/v1/templates', imageTemplate('parcel_photo', sample));
    assert.equal(created.status, 201, created.text);
    const submitted = await eventually(async () =>
      a.meta.templates.find((x) => x.body.name === 'parcel_photo'),
    );
    const session = [...a.meta.account.uploads.values()].find((u) => u.fileName === 'parcel.jpg');
    assert.ok(session?.handle, 'the sample went through an upload session');
    assert.deepEqual(session.bytes, JPEG);
    assert.equal(session.length, JPEG.length);
    assert.equal(session.type, 'image/jpeg');
    assert.ok(
      a.meta.requests.some(
        (r) => r.method === 'POST' && r.path === `/${a.meta.version}/${a.meta.account.appId}/uploads`,
      ),
    );
    assert.deepEqual(submitted.body.components[0], {
      type: 'HEADER',
      format: 'IMAGE',
      example: { header_handle: [session.handle] },
    });
  });

  it('refuses a media-header sample when the channel has no app id: 400 naming credentials.app_id, nothing sent', async () => {
    await setAppId(undefined);
    const sample = await upload(JPEG, 'no-app.jpg', 'image/jpeg');
    const before = a.meta.requests.length;
    const res = await call('POST', '/v1/templates', imageTemplate('parcel_no_app', sample));
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'validation_failed');
    assert.equal(res.body.error.errors[0].field, 'examples.header_media_id');
    assert.match(res.body.error.errors[0].message, /credentials\.app_id/);
    assert.match(res.body.error.errors[0].message, new RegExp(a.channelId));
    assert.equal((await call('GET', '/v1/templates?name=parcel_no_app')).body.data.length, 0);
    assert.equal(a.meta.requests.length, before, 'nothing reached Meta');
  });

  it('refuses a sample of a type Meta does not take for the header (400), before any upload', async () => {
    await setAppId(a.meta.account.appId);
    const pdf = await upload(PDF, 'menu.pdf', 'application/pdf');
    const text = await upload(Buffer.from('plain words\n'), 'notes.txt', 'text/plain');
    const before = a.meta.requests.length;
    const image = await call('POST', '/v1/templates', imageTemplate('parcel_pdf', pdf));
    assert.equal(image.status, 400, image.text);
    assert.equal(image.body.error.errors[0].field, 'examples.header_media_id');
    assert.match(
      image.body.error.errors[0].message,
      /application\/pdf: Meta takes only image\/jpeg or image\/png as the sample of an image header/,
    );
    const doc = await call('POST', '/v1/templates', {
      ...imageTemplate('invoice_text', text),
      header: { type: 'document' },
    });
    assert.equal(doc.status, 400, doc.text);
    assert.match(doc.body.error.errors[0].message, /text\/plain: Meta takes only application\/pdf/);
    const unknown = await call('POST', '/v1/templates', {
      ...imageTemplate('parcel_unknown', 'media_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
    });
    assert.equal(unknown.status, 400, unknown.text);
    assert.equal(unknown.body.error.errors[0].field, 'examples.header_media_id');
    assert.equal(a.meta.requests.length, before, 'nothing reached Meta');
  });

  it('resumes an upload cut off mid-way from the offset Meta reports', async () => {
    await setAppId(a.meta.account.appId);
    const sample = await upload(JPEG, 'resumed.jpg', 'image/jpeg');
    const half = Math.floor(JPEG.length / 2);
    // The fake keeps half the bytes of the next upload POST, then drops the connection.
    a.meta.account.uploadBreaks.push(half);
    const sessionsBefore = sessionRequests().length;
    const created = await call('POST', '/v1/templates', imageTemplate('parcel_resumed', sample));
    assert.equal(created.status, 201, created.text);
    const submitted = await eventually(async () =>
      a.meta.templates.find((x) => x.body.name === 'parcel_resumed'),
    );
    const sessions = [...a.meta.account.uploads.values()].filter((u) => u.fileName === 'resumed.jpg');
    assert.equal(sessions.length, 1, 'the same session was resumed, not a new one opened');
    assert.deepEqual(sessions[0]!.bytes, JPEG);
    assert.deepEqual(submitted.body.components[0].example, { header_handle: [sessions[0]!.handle] });
    const calls = sessionRequests()
      .slice(sessionsBefore)
      .map((r) => [r.method, r.headers.file_offset, r.headers.authorization]);
    const oauth = `OAuth ${a.number.accessToken}`;
    assert.deepEqual(calls, [
      ['POST', '0', oauth],
      ['GET', undefined, oauth],
      ['POST', String(half), oauth],
    ]);
  });
});
