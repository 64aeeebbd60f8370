import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkWithSystemTools, readSequentially, readWithYauzl } from '../../test/support/zip-readers.ts';
import { type ZipEntry, zipStream } from './zip.ts';

/**
 * The zip writer read back by other readers: yauzl, a front-to-back reader of local headers (as
 * Java's ZipInputStream reads), `unzip -t` and `python3 -m zipfile -t` when installed.
 */
async function zipOf(entries: ZipEntry[] | AsyncIterable<ZipEntry>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  async function* source() {
    yield* entries;
  }
  for await (const c of zipStream(source())) chunks.push(c);
  return Buffer.concat(chunks);
}

async function* streamed(parts: string[]) {
  for (const p of parts) yield p;
}

const sample = (): ZipEntry[] => [
  { name: 'export.json', data: streamed(['{"contact":', '{"name":"Zoë 👋"}', ',"files":true}']) },
  { name: 'files/msg_1/att_1-report card.pdf', data: Buffer.from('%PDF-1.4\n') },
  { name: 'files/msg_2/att_2-empty.txt', data: Buffer.alloc(0) },
  {
    name: 'files/msg_3/att_3-photo.jpg',
    data: Buffer.alloc(200_000, 7),
    mtime: new Date('2026-03-04T05:06:08Z'),
  },
];
const expected = new Map<string, string>([
  ['export.json', '{"contact":{"name":"Zoë 👋"},"files":true}'],
  ['files/msg_1/att_1-report card.pdf', '%PDF-1.4\n'],
  ['files/msg_2/att_2-empty.txt', ''],
  ['files/msg_3/att_3-photo.jpg', Buffer.alloc(200_000, 7).toString()],
]);

describe('the zip writer', () => {
  it('yauzl reads every entry back, dated when it was written (today), not 1980', async () => {
    const entries = await readWithYauzl(await zipOf(sample()));
    assert.deepEqual(
      entries.map((e) => e.name),
      [...expected.keys()],
    );
    for (const e of entries) assert.equal(e.data.toString(), expected.get(e.name), e.name);
    const today = new Date().toISOString().slice(0, 10);
    for (const e of entries.slice(0, 3)) {
      assert.equal(
        e.mtime!.toISOString().slice(0, 10),
        today,
        `${e.name} is dated ${e.mtime!.toISOString()}`,
      );
      assert.ok(Math.abs(e.mtime!.getTime() - Date.now()) < 5 * 60_000);
    }
    assert.equal(entries[3]!.mtime!.toISOString(), '2026-03-04T05:06:08.000Z', 'a given mtime is kept');
  });

  it('a sequential reader (local headers only, as Java’s ZipInputStream) reads every entry and its bytes', async () => {
    const entries = readSequentially(await zipOf(sample()));
    assert.deepEqual(
      entries.map((e) => [e.name, e.data.toString()]),
      [...expected.entries()],
    );
  });

  it('unzip -t and python3 -m zipfile -t find the archive sound (when installed)', async (t) => {
    const { failures, absent } = checkWithSystemTools(await zipOf(sample()));
    assert.deepEqual(failures, []);
    if (absent.length) t.diagnostic(`not installed, not checked: ${absent.join(', ')}`);
    if (absent.length === 2) t.skip('neither unzip nor python3 is installed');
  });

  it('an entry whose bytes fail ends the archive with that error; a reader that stops early stops the source', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield '{"a":';
      throw new Error('the database went away');
    }
    await assert.rejects(zipOf([{ name: 'export.json', data: failing() }]), /the database went away/);
    let closed = false;
    async function* endless(): AsyncGenerator<ZipEntry> {
      try {
        for (let i = 0; ; i++) yield { name: `f/${i}`, data: Buffer.alloc(10_000, i) };
      } finally {
        closed = true;
      }
    }
    for await (const _ of zipStream(endless())) break;
    assert.equal(closed, true);
  });
});
