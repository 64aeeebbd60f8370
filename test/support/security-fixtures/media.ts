import type { SecurityFixture } from '../security.ts';

const PDF = Buffer.from('%PDF-1.7\n%%EOF\n');

const fixture: SecurityFixture = {
  paths: ['/v1/media/:id', '/v1/media/:id/content'],
  async create(t, key) {
    const boundary = '----parleysecurity';
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
      ),
      PDF,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await t.call('POST', '/v1/media', {
      key,
      payload,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    if (res.status !== 201) throw new Error(`media fixture: ${res.status} ${res.text}`);
    return { id: res.body.id };
  },
};

export default fixture;
