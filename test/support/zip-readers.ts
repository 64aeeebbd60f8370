import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';

/**
 * Readers of a zip other than the one that wrote it, for tests of what Parley hands out:
 * yauzl (central directory, ZIP64, extended timestamps), a sequential reader that goes front to
 * back from local headers only as Java's `ZipInputStream` does, and the system's `unzip -t` and
 * `python3 -m zipfile -t` when they are installed.
 */
export interface ReadEntry {
  name: string;
  data: Buffer;
  mtime?: Date;
}

/** Every entry through yauzl: name, bytes (CRC checked by yauzl) and last-modified date. */
export async function readWithYauzl(zip: Buffer): Promise<ReadEntry[]> {
  const file = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true, strictFileNames: true, validateEntrySizes: true }, (err, z) =>
      err ? reject(err) : resolve(z),
    ),
  );
  const out: ReadEntry[] = [];
  await new Promise<void>((resolve, reject) => {
    file.on('error', reject);
    file.on('end', () => resolve());
    file.on('entry', (entry: yauzl.Entry) => {
      file.openReadStream(entry, async (err, stream) => {
        if (err) return reject(err);
        const chunks: Buffer[] = [];
        try {
          for await (const c of stream) chunks.push(c as Buffer);
        } catch (e) {
          return reject(e);
        }
        out.push({ name: entry.fileName, data: Buffer.concat(chunks), mtime: entry.getLastModDate() });
        file.readEntry();
      });
    });
    file.readEntry();
  });
  return out;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const DESCRIPTOR = 0x08074b50;

/**
 * The entries read front to back from their local headers alone, never the central directory,
 * with the rules of Java's `ZipInputStream`: an entry with general-purpose bit 3 has its CRC and
 * sizes in a data descriptor after its bytes, which only a deflated entry may have (the end of a
 * stored entry of unknown size cannot be found: Java throws "only DEFLATED entries can have EXT
 * descriptor"); ZIP64 sizes (8 bytes) in the descriptor when the local header has a ZIP64 extra.
 */
export function readSequentially(zip: Buffer): ReadEntry[] {
  const out: ReadEntry[] = [];
  let at = 0;
  while (at + 4 <= zip.length) {
    const sig = zip.readUInt32LE(at);
    if (sig === CENTRAL) return out;
    if (sig !== LOCAL) throw new Error(`no local header at byte ${at} (0x${sig.toString(16)})`);
    const flags = zip.readUInt16LE(at + 6);
    const method = zip.readUInt16LE(at + 8);
    let crc = zip.readUInt32LE(at + 14);
    let compressed = zip.readUInt32LE(at + 18);
    let size = zip.readUInt32LE(at + 22);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
    const extra = zip.subarray(at + 30 + nameLength, at + 30 + nameLength + extraLength);
    const start = at + 30 + nameLength + extraLength;
    const described = (flags & 0x08) !== 0;
    if (method !== 0 && method !== 8) throw new Error(`${name}: compression method ${method}`);
    if (described && method !== 8)
      throw new Error(
        `${name}: only DEFLATED entries can have EXT descriptor (as Java's ZipInputStream says)`,
      );
    let data: Buffer;
    if (method === 8) {
      const inflated = inflateRawSync(zip.subarray(start), { info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      data = inflated.buffer;
      if (!described && inflated.engine.bytesWritten !== compressed)
        throw new Error(
          `${name}: compressed size ${compressed} but ${inflated.engine.bytesWritten} bytes read`,
        );
      compressed = inflated.engine.bytesWritten;
    } else data = Buffer.from(zip.subarray(start, start + compressed));
    at = start + compressed;
    if (described) {
      if (zip.readUInt32LE(at) === DESCRIPTOR) at += 4;
      // Java reads 8-byte sizes when the header had a ZIP64 extra or the entry passed 4 GiB.
      const zip64 = hasZip64Extra(extra) || compressed > 0xffffffff || data.length > 0xffffffff;
      crc = zip.readUInt32LE(at);
      const c = zip64 ? Number(zip.readBigUInt64LE(at + 4)) : zip.readUInt32LE(at + 4);
      size = zip64 ? Number(zip.readBigUInt64LE(at + 12)) : zip.readUInt32LE(at + 8);
      at += zip64 ? 20 : 12;
      if (c !== compressed)
        throw new Error(`${name}: descriptor says ${c} compressed bytes, ${compressed} read`);
    }
    if (data.length !== size) throw new Error(`${name}: ${data.length} bytes, the header says ${size}`);
    if (crc32(data) !== crc) throw new Error(`${name}: CRC mismatch`);
    out.push({ name, data });
  }
  throw new Error('the archive ended before its central directory');
}

function hasZip64Extra(extra: Buffer): boolean {
  for (let i = 0; i + 4 <= extra.length; i += 4 + extra.readUInt16LE(i + 2))
    if (extra.readUInt16LE(i) === 0x0001) return true;
  return false;
}

/**
 * `unzip -t` and `python3 -m zipfile -t` on the archive, each that is installed: the failures
 * (empty when every one passed) and the tools that were absent, for a plain skip message.
 */
export function checkWithSystemTools(zip: Buffer): { failures: string[]; absent: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-zip-'));
  const file = join(dir, 'export.zip');
  writeFileSync(file, zip);
  const failures: string[] = [];
  const absent: string[] = [];
  try {
    for (const [cmd, args] of [
      ['unzip', ['-t', file]],
      ['python3', ['-m', 'zipfile', '-t', file]],
    ] as const) {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') absent.push(cmd);
      else if (r.status !== 0) failures.push(`${cmd} ${args[0]}: ${r.status} ${r.stdout}${r.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { failures, absent };
}
