import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ZipFile } from 'yazl';

/** One file of a zip: its name in the archive and its bytes, whole or as they come. */
export interface ZipEntry {
  name: string;
  data: Buffer | AsyncIterable<string | Buffer>;
  /** When the file was last changed; the time it is written to the archive unless given. */
  mtime?: Date;
}

/**
 * A zip archive written as it is read, by yazl: each entry deflated as its bytes come, its CRC
 * and sizes in a data descriptor after them, so an entry of unknown length (a streamed JSON
 * document) is never held whole, and the next entry is taken from `entries` only once the last
 * one is written. Deflated, not stored: a streaming reader (Java's `ZipInputStream`) can find
 * the end of a deflated entry without its size, not of a stored one. ZIP64 records are written
 * when the archive needs them (past 4 GiB or 65,535 entries); each entry has its real mtime.
 */
export async function* zipStream(entries: AsyncIterable<ZipEntry>): AsyncGenerator<Buffer> {
  const zip = new ZipFile();
  const output = zip.outputStream as Readable;
  const stop = new AbortController();
  zip.on('error', (err: Error) => output.destroy(err));
  const feeding = feed(zip, entries, stop.signal).catch((err: Error) => {
    if (!stop.signal.aborted) output.destroy(err);
  });
  try {
    for await (const chunk of output) yield chunk as Buffer;
  } finally {
    stop.abort();
    await feeding;
  }
}

async function feed(zip: ZipFile, entries: AsyncIterable<ZipEntry>, signal: AbortSignal): Promise<void> {
  for await (const entry of entries) {
    const data = Readable.from(entry.data, { objectMode: false });
    zip.addReadStream(data, entry.name, { mtime: entry.mtime ?? new Date(), compress: true });
    try {
      await finished(data, { signal });
    } finally {
      if (signal.aborted) data.destroy();
    }
  }
  zip.end();
}
