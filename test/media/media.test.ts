import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import yazl from 'yazl';
import { forEachStorage, startTestApp, type TestApp, type Workspace } from '../support/harness.ts';

/**
 * `POST /v1/media`: a multipart upload kept when its bytes (their signature, not the name or the
 * declared type) are a type WhatsApp carries, within WhatsApp's limit for that kind.
 */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0'),
  Buffer.alloc(200, 7),
]);
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(100, 1),
]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');
const OGG = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(60, 0)]);
const WEBP = Buffer.concat([
  Buffer.from('RIFF'),
  Buffer.from([0x24, 0, 0, 0]),
  Buffer.from('WEBPVP8 '),
  Buffer.alloc(40, 2),
]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100, 0)]);

/** An ISO media file's start: an `ftyp` box (major brand, minor version, compatible brands), then an empty `mdat`. */
function isoMedia(major: string, compatible: string[]): Buffer {
  const ftyp = Buffer.alloc(16 + 4 * compatible.length);
  ftyp.writeUInt32BE(ftyp.length, 0);
  ftyp.write('ftyp', 4, 'latin1');
  ftyp.write(major, 8, 'latin1');
  for (const [i, brand] of compatible.entries()) ftyp.write(brand, 16 + 4 * i, 'latin1');
  const mdat = Buffer.concat([Buffer.from([0, 0, 0, 64]), Buffer.from('mdat'), Buffer.alloc(56, 5)]);
  return Buffer.concat([ftyp, mdat]);
}
const HEIC = isoMedia('heic', ['mif1', 'heic']);
const MP4 = isoMedia('isom', ['isom', 'iso2', 'avc1', 'mp41']);
const MOV = isoMedia('qt  ', ['qt  ']);

/** A zip of these entries (deflated), as an upload would carry it. */
function zip(entries: Record<string, string | Buffer>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) z.addBuffer(Buffer.from(data), name);
  z.end();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const CONTENT_TYPES = `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="${DOCX_TYPE}.main+xml"/></Types>`;

forEachStorage('media uploads', (storage) => {
  let t: TestApp;
  let ws: Workspace;
  let other: Workspace;
  const upload = (file: Buffer, filename: string, type: string, key = ws.live) => {
    const boundary = `----parley${Math.random().toString(16).slice(2)}`;
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
      ),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return t.call('POST', '/v1/media', {
      key,
      payload,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
  };

  before(async () => {
    t = await startTestApp(storage, { env: { PARLEY_UPLOAD_LIMIT_BYTES: String(8 * 1024 * 1024) } });
    ws = await t.workspace();
    other = await t.workspace();
  });
  after(async () => t?.close());

  it('keeps images, documents, audio and stickers by their bytes, with a media_ id, and serves them back', async () => {
    for (const [bytes, name, type, kind] of [
      [JPEG, 'menu.jpg', 'image/jpeg', 'image'],
      [PNG, 'logo.png', 'image/png', 'image'],
      [PDF, 'invoice.pdf', 'application/pdf', 'document'],
      [OGG, 'note.ogg', 'audio/ogg', 'audio'],
      [WEBP, 'smile.webp', 'image/webp', 'sticker'],
      // A generic declared type is read from the bytes.
      [JPEG, 'photo', 'application/octet-stream', 'image'],
    ] as const) {
      const res = await upload(bytes, name, type);
      assert.equal(res.status, 201, `${name}: ${res.text}`);
      assert.match(res.body.id, /^media_/);
      assert.equal(res.body.kind, kind);
      assert.equal(res.body.size, bytes.length);
    }
    const res = await upload(PDF, 'invoice.pdf', 'application/pdf');
    const got = await t.call('GET', `/v1/media/${res.body.id}`, { key: ws.live });
    assert.equal(got.status, 200);
    assert.equal(got.body.mime_type, 'application/pdf');
    const content = await t.call('GET', `/v1/media/${res.body.id}/content`, { key: ws.live });
    assert.equal(content.status, 200);
    assert.equal(content.headers['content-type'], 'application/pdf');
    assert.equal(content.text, PDF.toString());
    assert.equal((await t.call('GET', `/v1/media/${res.body.id}`, { key: other.live })).status, 404);
    assert.equal((await t.call('GET', `/v1/media/${res.body.id}`, { key: ws.test })).status, 404);
  });

  it('refuses a type WhatsApp does not carry, a declared type the bytes contradict, and a file over its kind limit', async () => {
    const exe = await upload(EXE, 'menu.jpg', 'image/jpeg');
    assert.equal(exe.status, 415, exe.text);
    assert.equal(exe.body.error.code, 'unsupported_media_type');
    const lying = await upload(PDF, 'photo.png', 'image/png');
    assert.equal(lying.status, 415);
    assert.match(lying.body.error.message, /declared image\/png but its bytes are application\/pdf/);
    // An image over WhatsApp's 5 MB (the server takes 8 MB).
    const big = Buffer.concat([JPEG, Buffer.alloc(5 * 1024 * 1024, 1)]);
    const tooBig = await upload(big, 'big.jpg', 'image/jpeg');
    assert.equal(tooBig.status, 413, tooBig.text);
    assert.match(tooBig.body.error.message, /at most 5 MB/);
    const sticker = await upload(
      Buffer.concat([WEBP, Buffer.alloc(600 * 1024, 3)]),
      'big.webp',
      'image/webp',
    );
    assert.equal(sticker.status, 413);
    const empty = await upload(Buffer.alloc(0), 'empty.jpg', 'image/jpeg');
    assert.equal(empty.status, 400);
    const notMultipart = await t.call('POST', '/v1/media', { key: ws.live, body: { file: 'x' } });
    assert.equal(notMultipart.status, 415);
  });

  it('a file named in any script is served under its name: RFC 6266 filename* beside an ASCII fallback', async () => {
    for (const name of ['बिल-नवंबर.png', 'facture été (final).png', 'チラシ 😀.png', 'plain-name.png']) {
      const res = await upload(PNG, name, 'image/png');
      assert.equal(res.status, 201, `${name}: ${res.text}`);
      assert.equal(res.body.filename, name);
      const content = await t.call('GET', `/v1/media/${res.body.id}/content`, { key: ws.live });
      assert.equal(content.status, 200, `${name}: ${content.text}`);
      const header = String(content.headers['content-disposition']);
      assert.match(header, /^inline; filename="[\x20-\x7e]+"/);
      const star = /filename\*=UTF-8''([^;]+)/.exec(header)?.[1];
      if (/^[\x20-\x7e]+$/.test(name) && !/["\\]/.test(name))
        assert.equal(header, `inline; filename="${name}"`);
      else assert.equal(decodeURIComponent(star ?? ''), name, header);
    }
  });

  it('refuses a file name with a control character (400), keeping nothing', async () => {
    const count = async () =>
      Number(
        (
          await t.ctx.db
            .selectFrom('media_files')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('workspace_id', '=', ws.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    for (const name of ['bill\u0000.png', 'bill\u0007.png', 'line\u001bbreak.png']) {
      const res = await upload(PNG, name, 'image/png');
      assert.equal(res.status, 400, `${JSON.stringify(name)}: ${res.text}`);
      assert.equal(res.body.error.code, 'validation_failed');
      assert.match(res.body.error.message, /control character/);
      assert.deepEqual(res.body.error.errors, [
        { field: 'file', message: 'has a control character in its name' },
      ]);
    }
    assert.equal(await count(), before);
  });

  it("reads a phone's containers by their brands and parts: a HEIC photo is an image, a zip holding an .exe is no Word file", async () => {
    for (const [bytes, name, declared, kind, type] of [
      [HEIC, 'IMG_0001.HEIC', 'application/octet-stream', 'image', 'image/heic'],
      [HEIC, 'IMG_0002.HEIC', 'image/heic', 'image', 'image/heic'],
      [HEIC, 'IMG_0003.HEIC', 'image/heif', 'image', 'image/heic'],
      [isoMedia('avif', ['mif1', 'avif']), 'photo.avif', 'image/avif', 'image', 'image/avif'],
      [MP4, 'clip.mp4', 'video/mp4', 'video', 'video/mp4'],
      [MP4, 'clip', 'application/octet-stream', 'video', 'video/mp4'],
      [MOV, 'IMG_0004.MOV', 'video/quicktime', 'video', 'video/quicktime'],
      [isoMedia('3gp4', ['3gp4']), 'clip.3gp', 'video/3gpp', 'video', 'video/3gpp'],
      [isoMedia('M4A ', ['M4A ', 'mp42']), 'note.m4a', 'audio/mp4', 'audio', 'audio/mp4'],
    ] as const) {
      const res = await upload(bytes, name, declared);
      assert.equal(res.status, 201, `${name}: ${res.text}`);
      assert.equal(res.body.kind, kind, name);
      assert.equal(res.body.mime_type, type, name);
    }
    const heicAsVideo = await upload(HEIC, 'IMG_0005.HEIC', 'video/mp4');
    assert.equal(heicAsVideo.status, 415, heicAsVideo.text);
    assert.match(heicAsVideo.body.error.message, /declared video\/mp4 but its bytes are image\/heic/);

    const docx = await zip({ '[Content_Types].xml': CONTENT_TYPES, 'word/document.xml': '<w:document/>' });
    for (const declared of [DOCX_TYPE, 'application/octet-stream']) {
      const ok = await upload(docx, 'letter.docx', declared);
      assert.equal(ok.status, 201, `${declared}: ${ok.text}`);
      assert.equal(ok.body.mime_type, DOCX_TYPE);
      assert.equal(ok.body.kind, 'document');
    }
    for (const [entries, missing] of [
      [{ 'setup.exe': EXE }, /a zip without \[Content_Types\]\.xml and word\/document\.xml/],
      [
        { 'word/setup.exe': EXE, 'readme.txt': 'run me' },
        /a zip without \[Content_Types\]\.xml and word\/document\.xml/,
      ],
      [{ '[Content_Types].xml': CONTENT_TYPES, 'setup.exe': EXE }, /a zip without word\/document\.xml/],
    ] as const) {
      const res = await upload(await zip(entries), 'invoice.docx', DOCX_TYPE);
      assert.equal(res.status, 415, `${Object.keys(entries)}: ${res.text}`);
      assert.equal(res.body.error.code, 'unsupported_media_type');
      assert.match(
        res.body.error.message,
        /declared application\/vnd\.openxmlformats-officedocument\.wordprocessingml\.document but its bytes are application\/zip/,
      );
      assert.match(res.body.error.message, missing);
    }
    const bareZip = await upload(await zip({ 'setup.exe': EXE }), 'files.zip', 'application/zip');
    assert.equal(bareZip.status, 415, bareZip.text);
  });
});
