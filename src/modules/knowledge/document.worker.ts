import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { DocumentTooLargeError, docxToText, pdfToText } from './document-read.ts';

/**
 * The document worker: a thread that reads one uploaded document's text (document-parse.ts starts
 * it with a heap limit, so a document that needs more memory ends this thread, not the server).
 * This module is also where the worker's code is found: its own URL (a lazy chunk in the build).
 */
export const documentWorkerUrl = import.meta.url;

/** What the worker answers: the text, or why the document could not be read. */
export type DocumentWorkerReply =
  | { ok: true; text: string }
  | { ok: false; tooLarge: boolean; message: string };

if (!isMainThread && (workerData as { parleyDocumentWorker?: boolean } | null)?.parleyDocumentWorker) {
  const { kind, bytes } = workerData as { kind: 'docx' | 'pdf'; bytes: Uint8Array };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  (kind === 'docx' ? docxToText(buffer) : pdfToText(buffer)).then(
    (text) => parentPort?.postMessage({ ok: true, text } satisfies DocumentWorkerReply),
    (err: Error) =>
      parentPort?.postMessage({
        ok: false,
        tooLarge: err instanceof DocumentTooLargeError,
        message: err.message,
      } satisfies DocumentWorkerReply),
  );
}
