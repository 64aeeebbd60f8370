import yauzl, { type Entry, type ZipFile } from 'yauzl';

/**
 * Reading an untrusted zip (an uploaded .docx or .xlsx) within bounds set on what it inflates
 * to, not on its compressed size: a few hundred KB of deflate can declare or hold gigabytes.
 * The central directory is read first (names and declared sizes, no inflating); entries are
 * then inflated as streams that stop at a byte budget, since declared sizes can lie.
 */

/** A zip refused for its size (its message names the bound it would pass). */
export class ZipTooLargeError extends Error {}

export interface ZipDirectory {
  zip: ZipFile;
  entries: Entry[];
}

/** The archive's entries as its central directory lists them (at most `maxEntries`, else ZipTooLargeError). */
export function readZipDirectory(bytes: Buffer, opts: { maxEntries: number }): Promise<ZipDirectory> {
  return new Promise((resolve, reject) => {
    // validateEntrySizes (the default) makes an entry's stream fail once it inflates past its declared size.
    yauzl.fromBuffer(
      bytes,
      { lazyEntries: true, autoClose: false, decodeStrings: true, strictFileNames: false },
      (err, zip) => {
        if (err || !zip) return reject(err ?? new Error('not a zip archive'));
        if (zip.entryCount > opts.maxEntries) {
          zip.close();
          return reject(
            new ZipTooLargeError(
              `The archive has ${zip.entryCount} entries; at most ${opts.maxEntries} are read.`,
            ),
          );
        }
        const entries: Entry[] = [];
        zip.on('entry', (entry: Entry) => {
          entries.push(entry);
          zip.readEntry();
        });
        zip.once('end', () => resolve({ zip, entries }));
        zip.once('error', reject);
        zip.readEntry();
      },
    );
  });
}

/**
 * An entry's bytes, inflated as a stream that is cut off once it passes `budgetBytes` (however
 * small its declared size) with a ZipTooLargeError naming `limit`.
 */
export function inflateEntry(
  zip: ZipFile,
  entry: Entry,
  budgetBytes: number,
  limit: string,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('unreadable entry'));
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > budgetBytes) {
          stream.destroy();
          reject(new ZipTooLargeError(`${entry.fileName} inflates past ${limit}.`));
          return;
        }
        chunks.push(chunk);
      });
      stream.once('error', reject);
      stream.once('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/** The OOXML parts a file of each type must hold (besides `[Content_Types].xml`). */
export const OOXML_MAIN_PART: Record<string, string> = {
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'word/document.xml',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xl/workbook.xml',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'ppt/presentation.xml',
};

/**
 * Whether a zip is the Office document `type` says: its central directory lists
 * `[Content_Types].xml` and the type's main part (word/document.xml for a .docx). Nothing is
 * inflated. Answers the missing parts (none: it is one).
 */
export async function missingOoxmlParts(bytes: Buffer, type: string, maxEntries = 10_000): Promise<string[]> {
  const main = OOXML_MAIN_PART[type];
  if (!main) return [];
  let dir: ZipDirectory;
  try {
    dir = await readZipDirectory(bytes, { maxEntries });
  } catch {
    return ['[Content_Types].xml', main];
  }
  dir.zip.close();
  const names = new Set(dir.entries.map((e) => e.fileName));
  return ['[Content_Types].xml', main].filter((n) => !names.has(n));
}
