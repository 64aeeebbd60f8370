import yazl from 'yazl';
import { inflateEntry, readZipDirectory, ZipTooLargeError } from '../../platform/zip-read.ts';
import { htmlToText } from './html-text.ts';

/**
 * Reading an uploaded document's text, run inside the document worker (document.worker.ts): the
 * bounds here are on what a document inflates to, not on its size as uploaded.
 */

const MB = 1024 * 1024;
/** The XML of a Word document (its parts but images and embedded files), inflated: at most this. */
export const DOCX_XML_LIMIT_BYTES = 16 * MB;
/** Entries in a Word document's zip (a typical one has 10-40; images add one each). */
export const DOCX_MAX_ENTRIES = 2_000;
/** A part declared over 8 MB that its zip compresses more than this (a bomb's mark: a document's XML is 5-50:1). */
export const DOCX_MAX_RATIO = 200;

/** A document refused for what reading it would take (its message names the bound). */
export class DocumentTooLargeError extends Error {}

const mb = (n: number) => `${Math.round((n / MB) * 10) / 10} MB`;
/** The parts mammoth reads for text: XML and relationships, not images or embedded files. */
const isTextPart = (name: string) => /\.(xml|rels)$/i.test(name);

/**
 * A Word document's text. Its zip's central directory is checked first (entry count, the
 * declared inflated size of its XML, each part's compression ratio), then its XML parts are
 * inflated as streams within DOCX_XML_LIMIT_BYTES (declared sizes can lie) and written into a
 * zip that is not compressed at all, which is all mammoth is given: it inflates nothing itself.
 * Images are not read (their text is none).
 */
export async function docxToText(bytes: Buffer): Promise<string> {
  let dir: Awaited<ReturnType<typeof readZipDirectory>>;
  try {
    dir = await readZipDirectory(bytes, { maxEntries: DOCX_MAX_ENTRIES });
  } catch (err) {
    if (err instanceof ZipTooLargeError)
      throw new DocumentTooLargeError(`The Word document is refused: ${err.message}`);
    throw err;
  }
  const parts = dir.entries.filter((e) => isTextPart(e.fileName));
  const declared = parts.reduce((sum, e) => sum + e.uncompressedSize, 0);
  const limit = `${mb(DOCX_XML_LIMIT_BYTES)} of XML`;
  if (declared > DOCX_XML_LIMIT_BYTES)
    throw new DocumentTooLargeError(
      `The Word document's XML inflates to ${mb(declared)}; Parley reads at most ${limit} of a document.`,
    );
  for (const e of parts)
    if (e.uncompressedSize > 8 * MB && e.uncompressedSize > DOCX_MAX_RATIO * Math.max(e.compressedSize, 1))
      throw new DocumentTooLargeError(
        `The Word document's ${e.fileName} is compressed ${Math.round(e.uncompressedSize / Math.max(e.compressedSize, 1))}:1 (at most ${DOCX_MAX_RATIO}:1 is read).`,
      );
  const stored = new yazl.ZipFile();
  let budget = DOCX_XML_LIMIT_BYTES;
  try {
    for (const e of parts) {
      const data = await inflateEntry(dir.zip, e, budget, limit);
      budget -= data.length;
      stored.addBuffer(data, e.fileName, { compress: false });
    }
  } catch (err) {
    if (err instanceof ZipTooLargeError)
      throw new DocumentTooLargeError(`The Word document is refused: ${err.message}`);
    // yauzl ends an entry's stream once it inflates past the size the zip declares for it.
    if (/too many bytes in the stream/.test((err as Error).message))
      throw new DocumentTooLargeError(
        `The Word document inflates past the sizes its zip declares (${(err as Error).message}); it is refused unread.`,
      );
    throw err;
  } finally {
    dir.zip.close();
  }
  stored.end();
  const chunks: Buffer[] = [];
  for await (const chunk of stored.outputStream) chunks.push(chunk as Buffer);
  const mammoth = (await import('mammoth')).default;
  const { value } = await mammoth.convertToHtml(
    { buffer: Buffer.concat(chunks) },
    { convertImage: mammoth.images.imgElement(async () => ({ src: '' })) },
  );
  return htmlToText(value);
}

/** A PDF's text, page by page, through unpdf (pdf.js). */
export async function pdfToText(bytes: Buffer): Promise<string> {
  const { extractText, getDocumentProxy } = await import('unpdf');
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
  const { text } = await extractText(pdf, { mergePages: false });
  return (text as string[]).join('\n\n').trim();
}
