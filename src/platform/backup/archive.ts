import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { zipStream } from '../zip.ts';
import { BackupError } from './manifest.ts';

/**
 * Writes the archive: a zip of the given files (name in the archive → path on disk), to `out`
 * only once whole (written beside it, then renamed), readable by its owner only.
 */
export async function writeArchive(out: string, files: Array<{ name: string; path: string }>): Promise<void> {
  const partial = `${out}.partial-${process.pid}`;
  async function* entries() {
    for (const f of files) yield { name: f.name, data: createReadStream(f.path) };
  }
  try {
    await pipeline(zipStream(entries()), createWriteStream(partial, { mode: 0o600 }));
    renameSync(partial, out);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

/** Extracts the archive's entries among `wanted` into `dir` (same names, flattened); returns what was there. */
export async function readArchive(file: string, dir: string, wanted: string[]): Promise<Map<string, string>> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, z) =>
        err ? reject(err) : resolve(z!),
      ),
    );
  } catch (err) {
    throw new BackupError(`${file} is not a Parley backup (not a readable zip: ${(err as Error).message}).`);
  }
  const found = new Map<string, string>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', resolve);
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!wanted.includes(entry.fileName)) return zip.readEntry();
        const path = join(dir, entry.fileName.replaceAll('/', '_'));
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err);
          pipeline(stream!, createWriteStream(path, { mode: 0o600 })).then(() => {
            found.set(entry.fileName, path);
            zip.readEntry();
          }, reject);
        });
      });
      zip.readEntry();
    });
  } catch (err) {
    throw new BackupError(`${file} is damaged: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
  return found;
}
