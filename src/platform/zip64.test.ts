import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readWithYauzl } from '../../test/support/zip-readers.ts';
import { zipStream } from './zip.ts';

/** Past 65,535 entries the archive needs ZIP64 records; the writer adds them (a slow file). */
describe('the zip writer past the classic limits', () => {
  it('writes ZIP64 records past 65,535 entries, and yauzl reads them all', { timeout: 600_000 }, async () => {
    async function* many() {
      for (let i = 0; i < 65_600; i++) yield { name: `f/${i}`, data: Buffer.from(String(i)) };
    }
    const chunks: Buffer[] = [];
    for await (const c of zipStream(many())) chunks.push(c);
    const zip = Buffer.concat(chunks);
    assert.ok(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'a ZIP64 end of central directory record');
    const entries = await readWithYauzl(zip);
    assert.equal(entries.length, 65_600);
    assert.equal(entries[65_599]!.data.toString(), '65599');
  });
});
