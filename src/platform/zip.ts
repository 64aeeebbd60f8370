import { crc32 } from 'node:zlib';

/** One file of a zip: its name in the archive and its bytes, whole or as they come. */
export interface ZipEntry {
  name: string;
  data: Buffer | AsyncIterable<string | Buffer>;
}

const DOS_EPOCH = (1 << 5) | 1 | ((1980 - 1980) << 9); // 1980-01-01, time 00:00

function u16(n: number) {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function u32(n: number) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/**
 * A zip archive written as it is read: each entry stored (no compression) with its CRC and sizes
 * in a data descriptor after its bytes, so an entry of unknown length (a streamed JSON document)
 * is never held whole; only the central directory (a few dozen bytes per entry) is kept to the
 * end. Classic zip, no ZIP64: an archive stays under 4 GiB and 65,535 entries (the caller stops
 * adding files before that).
 */
export async function* zipStream(entries: AsyncIterable<ZipEntry>): AsyncGenerator<Buffer> {
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  for await (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    // Flags: bit 3 (sizes in the data descriptor), bit 11 (UTF-8 names).
    const flags = 0x0808;
    const local = Buffer.concat([
      u32(0x04034b50),
      u16(20),
      u16(flags),
      u16(0),
      u16(0),
      u16(DOS_EPOCH),
      u32(0),
      u32(0),
      u32(0),
      u16(name.length),
      u16(0),
      name,
    ]);
    const start = offset;
    yield local;
    offset += local.length;
    let crc = 0;
    let size = 0;
    const chunks = Buffer.isBuffer(entry.data) ? [entry.data] : entry.data;
    for await (const chunk of chunks) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      if (!b.length) continue;
      crc = crc32(b, crc);
      size += b.length;
      yield b;
    }
    offset += size;
    const descriptor = Buffer.concat([u32(0x08074b50), u32(crc), u32(size), u32(size)]);
    yield descriptor;
    offset += descriptor.length;
    central.push(
      Buffer.concat([
        u32(0x02014b50),
        u16(20),
        u16(20),
        u16(flags),
        u16(0),
        u16(0),
        u16(DOS_EPOCH),
        u32(crc),
        u32(size),
        u32(size),
        u16(name.length),
        u16(0),
        u16(0),
        u16(0),
        u16(0),
        u32(0),
        u32(start),
        name,
      ]),
    );
    count++;
  }
  const dir = Buffer.concat(central);
  yield dir;
  yield Buffer.concat([
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(count),
    u16(count),
    u32(dir.length),
    u32(offset),
    u16(0),
  ]);
}
