import assert from 'node:assert/strict';
import type { TestApp } from './harness.ts';

/** Uploads a file with `POST /v1/media` (multipart, as a browser sends it); answers its `media_…` id. */
export async function uploadMedia(
  t: TestApp,
  key: string,
  file: Buffer,
  filename: string,
  type: string,
): Promise<string> {
  const boundary = `----parley${Math.random().toString(16).slice(2)}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
    ),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await t.call('POST', '/v1/media', {
    key,
    payload,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}
