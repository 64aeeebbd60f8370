import http from 'node:http';
import https from 'node:https';
import { ApiError } from '../../platform/errors.ts';
import { BlockedAddressError, guardedLookup, isPrivateAddress, literalAddress } from '../../platform/ssrf.ts';
import { readDocumentInWorker } from './document-parse.ts';
import { htmlToText } from './html-text.ts';

export { htmlToText };

/** Pages larger than this are refused rather than read into memory. */
export const MAX_FETCH_BYTES = 5 * 1024 * 1024;
export const FETCH_TIMEOUT_MS = 10_000;

/** True when text looks like binary bytes decoded as text (NULs or many control characters). */
export function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  const sample = text.slice(0, 8192);
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c < 9 || (c > 13 && c < 32) || c === 0xfffd) control++;
  }
  return sample.length > 0 && control / sample.length > 0.05;
}

/**
 * Bytes of a page or file as text in their charset: the Content-Type's `charset`, else a
 * `<meta charset>` (or `http-equiv` Content-Type) in the first 2 KB, else UTF-8 when they are
 * valid UTF-8 and windows-1252 (what browsers assume of such legacy pages) when not.
 */
export function decodeText(bytes: Buffer, contentType = ''): string {
  const head = bytes.subarray(0, 2048).toString('latin1');
  const declared =
    /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1] ??
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  if (declared) {
    try {
      return new TextDecoder(declared.toLowerCase()).decode(bytes);
    } catch {
      // An unknown label: read it as if none was given.
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

const MAX_REDIRECTS = 5;

const fetchFailed = (url: string, reason: string) =>
  new ApiError('unprocessable', `Could not fetch ${url}: ${reason}.`, {
    errors: [{ field: 'url', message: `could not be fetched (${reason})` }],
  });

type FetchSettings = { allowPrivate: boolean; timeoutMs: number; maxBytes: number };

interface FetchedPage {
  status: number;
  type: string;
  location: string | undefined;
  body: Buffer;
}

/**
 * One GET, bounded in time and size. Unless private targets are allowed, the name is resolved
 * by `guardedLookup` (every address checked, the connection pinned to the checked one) and a
 * literal private address is refused before connecting: knowledge URLs come from API callers,
 * so they must not reach loopback, the private network or cloud metadata.
 */
function getOnce(url: URL, opts: FetchSettings): Promise<FetchedPage> {
  if (!opts.allowPrivate) {
    const literal = literalAddress(url.hostname);
    if (literal && isPrivateAddress(literal)) {
      return Promise.reject(
        new BlockedAddressError(
          `${literal} is a private or reserved address (set PARLEY_WEBHOOK_ALLOW_PRIVATE=1 to allow)`,
        ),
      );
    }
  }
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).get(
      url,
      {
        headers: { accept: 'text/html, text/plain;q=0.9', 'user-agent': 'ParleyKnowledgeBot/1.0' },
        timeout: opts.timeoutMs,
        ...(opts.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const type = String(res.headers['content-type'] ?? '').toLowerCase();
        const location = res.headers.location;
        const declared = Number(res.headers['content-length'] ?? '0');
        const readable = status >= 200 && status < 300 && (!type || /text\/|html|xml/.test(type));
        if (!readable || declared > opts.maxBytes) {
          res.destroy();
          return resolve({
            status,
            type,
            location,
            body: Buffer.alloc(declared > opts.maxBytes ? opts.maxBytes + 1 : 0),
          });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > opts.maxBytes) {
            res.destroy();
            resolve({ status, type, location, body: Buffer.alloc(opts.maxBytes + 1) });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status, type, location, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
  });
}

const isRedirect = (page: FetchedPage) => page.status >= 300 && page.status < 400;

/** GETs `url`, following up to MAX_REDIRECTS redirects, each target checked again by `getOnce`. */
async function fetchFollowingRedirects(url: string, settings: FetchSettings): Promise<FetchedPage> {
  let target = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      throw fetchFailed(url, `unsupported protocol ${target.protocol}`);
    let page: FetchedPage;
    try {
      page = await getOnce(target, settings);
    } catch (err) {
      // A refused address says no more than that: no status or content type of an internal service leaks.
      if (err instanceof BlockedAddressError)
        throw fetchFailed(url, 'it points to a private or reserved address');
      throw fetchFailed(url, (err as Error).message);
    }
    if (!isRedirect(page)) return page;
    if (!page.location) break;
    target = new URL(page.location, target);
  }
  throw fetchFailed(url, 'too many redirects');
}

/** Refuses a final answer that is not a 2xx, is over the size bound, or is not HTML or text. */
function checkFetchedPage(url: string, page: FetchedPage, maxBytes: number): void {
  if (page.status < 200 || page.status >= 300) {
    throw new ApiError('unprocessable', `Fetching ${url} answered HTTP ${page.status}.`, {
      errors: [{ field: 'url', message: `answered HTTP ${page.status}` }],
    });
  }
  if (page.body.length > maxBytes)
    throw new ApiError('payload_too_large', `The page at ${url} is larger than ${maxBytes} bytes.`);
  if (page.type && !/text\/|html|xml/.test(page.type)) {
    throw new ApiError(
      'unsupported_media_type',
      `The page at ${url} is ${page.type}, not HTML or text; upload files with doc_type "file".`,
    );
  }
}

/** Fetches a page (bounded in time and size, redirects re-checked) and keeps its text. */
export async function fetchPageText(
  url: string,
  opts: { timeoutMs?: number; maxBytes?: number; allowPrivate?: boolean } = {},
): Promise<{ text: string; title: string | null }> {
  const maxBytes = opts.maxBytes ?? MAX_FETCH_BYTES;
  const page = await fetchFollowingRedirects(url, {
    allowPrivate: opts.allowPrivate ?? false,
    timeoutMs: opts.timeoutMs ?? FETCH_TIMEOUT_MS,
    maxBytes,
  });
  checkFetchedPage(url, page, maxBytes);
  const raw = decodeText(page.body, page.type);
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(raw)?.[1]?.trim() || null;
  const text = page.type.includes('html') || /<html|<body|<p[\s>]/i.test(raw) ? htmlToText(raw) : raw;
  return { text, title };
}

const isZip = (bytes: Buffer) => bytes.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004';

/**
 * Text of an uploaded file: a PDF through unpdf, a Word document (.docx) through mammoth (its
 * headings and tables kept), both read in a worker thread within bounds (document-parse.ts), or
 * text in its charset (markdown, plain, HTML; see decodeText).
 */
export async function fileToText(bytes: Buffer, filename: string | null): Promise<string> {
  if (isZip(bytes) && (/\.docx$/i.test(filename ?? '') || bytes.includes('word/document.xml')))
    return readDocumentInWorker(bytes, 'docx');
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') return readDocumentInWorker(bytes, 'pdf');
  const text = decodeText(bytes);
  if (looksBinary(text)) {
    throw new ApiError(
      'unsupported_media_type',
      'The file is binary; upload a PDF, a Word document (.docx) or a text file (plain, markdown, HTML).',
      {
        errors: [{ field: 'file', message: 'is binary, not PDF, .docx or text' }],
      },
    );
  }
  return /\.html?$/i.test(filename ?? '') || /^\s*<(!doctype|html)/i.test(text)
    ? htmlToText(text)
    : text.trim();
}
