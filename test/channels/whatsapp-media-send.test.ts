import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { templatePayload, textMessage } from '../fakes/meta-graph.ts';
import { healthyNumber } from '../fakes/meta-graph-account.ts';
import { eventually, forEachStorage } from '../support/harness.ts';
import { uploadMedia } from '../support/media-upload.ts';
import { startWhatsAppApp, type WhatsAppApp } from '../support/whatsapp-app.ts';

/**
 * Issue 48 item 5: a file uploaded with POST /v1/media (`media_...`) is sent on WhatsApp by
 * Meta's "Upload media" (`POST /{phone_number_id}/media`, multipart; the send then names `{id}`),
 * in messages and template media headers; a template's media header sample goes through Meta's
 * Resumable Upload API (`POST /{app_id}/uploads`, then the session with `OAuth` and `file_offset`)
 * and Meta reviews it by the `header_handle` answered.
 */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(300, 9),
]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');

forEachStorage('WhatsApp sends of uploaded files', (storage) => {
  let a: WhatsAppApp;
  const customer = '+16505551777';
  const call = (method: string, url: string, body?: unknown) =>
    a.t.call(method, url, { key: a.ws.live, ...(body === undefined ? {} : { body }) });
  const upload = (file: Buffer, filename: string, type: string) =>
    uploadMedia(a.t, a.ws.live, file, filename, type);
  const sentBody = async (messageId: string, before: number) => {
    await eventually(async () => (await call('GET', `/v1/messages/${messageId}`)).body.status === 'sent');
    return a.meta.sends(a.number.phoneNumberId).slice(before)[0]!.body;
  };

  before(async () => {
    a = await startWhatsAppApp(storage);
    healthyNumber(a.meta.account, a.number);
    // The Meta app a template's header sample is uploaded to.
    const appId = await call('PATCH', `/v1/channels/${a.channelId}`, {
      credentials: {
        phone_number_id: a.number.phoneNumberId,
        business_account_id: a.number.businessAccountId,
        access_token: a.number.accessToken,
        app_secret: a.number.appSecret,
        verify_token: 'v',
        app_id: a.meta.account.appId,
      },
    });
    assert.equal(appId.status, 200, appId.text);
    // The customer wrote first: the 24-hour window is open for free-form media.
    await a.postMeta(
      a.envelope({
        contacts: [{ profile: { name: 'Kerry' }, wa_id: customer.slice(1) }],
        messages: [textMessage(customer, 'Can you send me the menu?')],
      }),
    );
    await eventually(async () => (await call('GET', '/v1/conversations')).body.data.length === 1);
  });
  after(async () => a?.close());

  it('sends an image and a document by their media_ ids, uploading each file to Meta once', async () => {
    const image = await upload(JPEG, 'menu.jpg', 'image/jpeg');
    const doc = await upload(PDF, 'prices.pdf', 'application/pdf');
    let before = a.meta.sends(a.number.phoneNumberId).length;
    const sent = await call('POST', '/v1/messages', {
      to: customer,
      image: { media_id: image, caption: 'Our menu' },
    });
    assert.equal(sent.status, 201, sent.text);
    const body = await sentBody(sent.body.id, before);
    assert.equal(a.meta.account.mediaUploads.size, 1);
    const [metaId, uploaded] = [...a.meta.account.mediaUploads.entries()][0]!;
    assert.deepEqual(uploaded.bytes, JPEG);
    assert.equal(uploaded.type, 'image/jpeg');
    assert.equal(uploaded.phoneNumberId, a.number.phoneNumberId);
    assert.deepEqual(body.image, { id: metaId, caption: 'Our menu' });
    const stored = (await call('GET', `/v1/messages/${sent.body.id}`)).body;
    assert.equal(stored.media.mime_type, 'image/jpeg');

    // The same file again: Meta's id is reused, nothing uploaded twice.
    before = a.meta.sends(a.number.phoneNumberId).length;
    const again = await call('POST', '/v1/messages', { to: customer, image: { media_id: image } });
    assert.deepEqual((await sentBody(again.body.id, before)).image, { id: metaId });
    assert.equal(a.meta.account.mediaUploads.size, 1);

    // A document takes the uploaded file's name when the send gives none.
    before = a.meta.sends(a.number.phoneNumberId).length;
    const pdf = await call('POST', '/v1/messages', { to: customer, document: { media_id: doc } });
    assert.equal(pdf.status, 201, pdf.text);
    const docBody = await sentBody(pdf.body.id, before);
    assert.equal(docBody.document.filename, 'prices.pdf');
    assert.match(docBody.document.id, /^\d+$/);
  });

  it('refuses a media_ id of the wrong kind, of nobody, or beside a url, before anything is sent', async () => {
    const doc = await upload(PDF, 'prices.pdf', 'application/pdf');
    const before = a.meta.sends(a.number.phoneNumberId).length;
    const wrongKind = await call('POST', '/v1/messages', { to: customer, image: { media_id: doc } });
    assert.equal(wrongKind.status, 400, wrongKind.text);
    assert.equal(wrongKind.body.error.errors[0].field, 'image.media_id');
    assert.match(wrongKind.body.error.errors[0].message, /is a document/);
    const nobody = await call('POST', '/v1/messages', {
      to: customer,
      image: { media_id: 'media_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
    });
    assert.equal(nobody.status, 400, nobody.text);
    const both = await call('POST', '/v1/messages', {
      to: customer,
      image: { media_id: doc, url: 'https://example.com/a.jpg' },
    });
    assert.equal(both.status, 400, both.text);
    const junk = await call('POST', '/v1/messages', { to: customer, image: { media_id: 'nope' } });
    assert.equal(junk.status, 400, junk.text);
    assert.equal(a.meta.sends(a.number.phoneNumberId).length, before);
  });

  it("uploads a template's header sample through the Resumable Upload API and sends the header by media_ id", async () => {
    const sample = await upload(JPEG, 'parcel.jpg', 'image/jpeg');
    const created = await call('POST', '/v1/templates', {
      name: 'parcel_photo',
      language: 'en_US',
      category: 'utility',
      header: { type: 'image' },
      body: 'Hi {{1}}, this is your parcel.',
      examples: { body: ['Pablo'], header_media_id: sample },
    });
    assert.equal(created.status, 201, created.text);
    const submitted = await eventually(async () =>
      a.meta.templates.find((x) => x.body.name === 'parcel_photo'),
    );
    const session = [...a.meta.account.uploads.values()].find((u) => u.fileName === 'parcel.jpg');
    assert.ok(session?.handle, 'the sample went through an upload session');
    assert.deepEqual(session.bytes, JPEG);
    assert.equal(session.type, 'image/jpeg');
    assert.deepEqual(submitted.body.components[0], {
      type: 'HEADER',
      format: 'IMAGE',
      example: { header_handle: [session.handle] },
    });
    const sessions = a.meta.requests.filter((r) => r.path.includes('/upload:'));
    assert.equal(sessions[0]!.headers.authorization, `OAuth ${a.number.accessToken}`);
    assert.equal(sessions[0]!.headers.file_offset, '0');

    await a.postMeta(templatePayload(a.number, 'parcel_photo', 'en_US', 'APPROVED'));
    await eventually(
      async () => (await call('GET', `/v1/templates/${created.body.id}`)).body.status === 'approved',
    );
    const before = a.meta.sends(a.number.phoneNumberId).length;
    const wrong = await call('POST', '/v1/messages', {
      to: customer,
      template: {
        name: 'parcel_photo',
        variables: ['Pablo'],
        header: { media: { media_id: await upload(PDF, 'x.pdf', 'application/pdf') } },
      },
    });
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal(wrong.body.error.errors[0].field, 'template.header.media.media_id');
    const ok = await call('POST', '/v1/messages', {
      to: customer,
      template: { name: 'parcel_photo', variables: ['Pablo'], header: { media: { media_id: sample } } },
    });
    assert.equal(ok.status, 201, ok.text);
    const body = await sentBody(ok.body.id, before);
    const header = body.template.components[0];
    assert.equal(header.type, 'header');
    assert.match(header.parameters[0].image.id, /^\d+$/);
    assert.equal(header.parameters[0].image.link, undefined);
  });
});
