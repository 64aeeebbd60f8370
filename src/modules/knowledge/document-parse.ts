import { Worker } from 'node:worker_threads';
import { ApiError } from '../../platform/errors.ts';
import type { DocumentWorkerReply } from './document.worker.ts';

/** The document worker's heap: a document whose reading needs more is refused (413), the server untouched. */
export const DOCUMENT_WORKER_HEAP_MB = 512;
/** A document not read by then is refused (422) and its worker ended. */
export const DOCUMENT_READ_TIMEOUT_MS = 30_000;
/**
 * The server's RSS may grow this much while a document is read (the worker's heap is capped by
 * V8; its buffers outside the heap are not): past it, the worker is ended and the document refused.
 */
export const DOCUMENT_RSS_GROWTH_LIMIT_BYTES = 768 * 1024 * 1024;

/** Documents read at once in a process (each worker may take its heap): the others wait their turn. */
export const DOCUMENT_WORKERS = 2;
/** Documents waiting for a worker: past this, an upload is refused (429) rather than queued without end. */
export const DOCUMENT_QUEUE = 32;

let running = 0;
const waiting: Array<() => void> = [];

/** Runs `read` when one of the DOCUMENT_WORKERS is free. */
export async function inTurn<T>(read: () => Promise<T>): Promise<T> {
  if (running >= DOCUMENT_WORKERS) {
    if (waiting.length >= DOCUMENT_QUEUE)
      throw new ApiError(
        'rate_limited',
        `${DOCUMENT_WORKERS + DOCUMENT_QUEUE} documents are being read or wait their turn on this server; try again in a minute.`,
      );
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else running++;
  try {
    return await read();
  } finally {
    // The turn passes to the next waiting document, or frees its place.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

const what = { docx: 'Word document', pdf: 'PDF' } as const;
const unreadable = (kind: 'docx' | 'pdf', reason: string) =>
  new ApiError('unprocessable', `The ${what[kind]} could not be read: ${reason}.`, {
    errors: [{ field: 'file', message: `is not a readable ${kind === 'docx' ? '.docx document' : 'PDF'}` }],
  });
const tooLarge = (message: string) => new ApiError('payload_too_large', message);

/**
 * Reads a Word document's or a PDF's text in a worker thread of its own, with a heap limit
 * (`resourceLimits`), a time limit and a watch on the server's memory: a document built to
 * inflate without end (a zip bomb, a PDF of giant streams) ends its worker, never the server, and
 * the event loop serving everyone else never waits on a parse. At most DOCUMENT_WORKERS read at
 * once in a process (many uploads at once must not start a worker each), DOCUMENT_QUEUE wait.
 */
export function readDocumentInWorker(bytes: Buffer, kind: 'docx' | 'pdf'): Promise<string> {
  return inTurn(() => readInWorker(bytes, kind));
}

async function readInWorker(bytes: Buffer, kind: 'docx' | 'pdf'): Promise<string> {
  // In the build this module is a chunk of its own; its URL is where the worker's code is.
  const { documentWorkerUrl } = await import('./document.worker.ts');
  const copy = new Uint8Array(bytes);
  const worker = new Worker(new URL(documentWorkerUrl), {
    workerData: { parleyDocumentWorker: true, kind, bytes: copy },
    transferList: [copy.buffer],
    resourceLimits: { maxOldGenerationSizeMb: DOCUMENT_WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
    stdout: true,
    stderr: true,
  });
  // pdf.js writes its warnings to the console: they are not the server's log lines.
  worker.stdout.resume();
  worker.stderr.resume();
  const rssAtStart = process.memoryUsage.rss();
  return new Promise<string>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      void worker.terminate();
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() => reject(unreadable(kind, `reading it took over ${DOCUMENT_READ_TIMEOUT_MS / 1000} s`))),
      DOCUMENT_READ_TIMEOUT_MS,
    );
    const watch = setInterval(() => {
      if (process.memoryUsage.rss() - rssAtStart > DOCUMENT_RSS_GROWTH_LIMIT_BYTES)
        finish(() =>
          reject(
            tooLarge(
              `The ${what[kind]} needs more than ${DOCUMENT_RSS_GROWTH_LIMIT_BYTES / 1048576} MB of memory to read; Parley reads documents within that.`,
            ),
          ),
        );
    }, 50);
    worker.once('message', (reply: DocumentWorkerReply) =>
      finish(() => {
        if (reply.ok) resolve(reply.text);
        else if (reply.tooLarge) reject(tooLarge(reply.message));
        else reject(unreadable(kind, reply.message.replace(/\.$/, '')));
      }),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      finish(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? tooLarge(
                `The ${what[kind]} needs more than ${DOCUMENT_WORKER_HEAP_MB} MB of memory to read; Parley reads documents within that.`,
              )
            : unreadable(kind, err.message),
        ),
      ),
    );
    worker.once('exit', (code) =>
      finish(() => reject(unreadable(kind, `its reader stopped (exit code ${code})`))),
    );
  });
}
