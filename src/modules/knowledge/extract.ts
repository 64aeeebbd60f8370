import { convert } from 'html-to-text';
import { ApiError } from '../../platform/errors.ts';

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

export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'h1', options: { uppercase: false, prefix: '# ' } },
      { selector: 'h2', options: { uppercase: false, prefix: '## ' } },
      { selector: 'h3', options: { uppercase: false, prefix: '### ' } },
    ],
  }).trim();
}

/** Fetches a page (bounded in time and size) and keeps its text. */
export async function fetchPageText(
  url: string,
  opts: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<{ text: string; title: string | null }> {
  const maxBytes = opts.maxBytes ?? MAX_FETCH_BYTES;
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(opts.timeoutMs ?? FETCH_TIMEOUT_MS),
      headers: { accept: 'text/html, text/plain;q=0.9', 'user-agent': 'ParleyKnowledgeBot/1.0' },
      redirect: 'follow',
    });
  } catch (err) {
    const reason = (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message;
    throw new ApiError('unprocessable', `Could not fetch ${url}: ${reason}.`, {
      errors: [{ field: 'url', message: `could not be fetched (${reason})` }],
    });
  }
  if (!res.ok) {
    throw new ApiError('unprocessable', `Fetching ${url} answered HTTP ${res.status}.`, {
      errors: [{ field: 'url', message: `answered HTTP ${res.status}` }],
    });
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > maxBytes)
    throw new ApiError('payload_too_large', `The page at ${url} is larger than ${maxBytes} bytes.`);
  const type = (res.headers.get('content-type') ?? '').toLowerCase();
  if (type && !/text\/|html|xml/.test(type)) {
    await res.body?.cancel();
    throw new ApiError(
      'unsupported_media_type',
      `The page at ${url} is ${type}, not HTML or text; upload files with doc_type "file".`,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes)
      throw new ApiError('payload_too_large', `The page at ${url} is larger than ${maxBytes} bytes.`);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(raw)?.[1]?.trim() || null;
  const text = type.includes('html') || /<html|<body|<p[\s>]/i.test(raw) ? htmlToText(raw) : raw;
  return { text, title };
}

/** Text of an uploaded file: a PDF through unpdf, or UTF-8 text (markdown, plain, HTML). */
export async function fileToText(bytes: Buffer, filename: string | null): Promise<string> {
  if (bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
    const { extractText, getDocumentProxy } = await import('unpdf');
    try {
      const pdf = await getDocumentProxy(new Uint8Array(bytes));
      const { text } = await extractText(pdf, { mergePages: false });
      return (text as string[]).join('\n\n').trim();
    } catch (err) {
      throw new ApiError('unprocessable', `The PDF could not be read: ${(err as Error).message}.`, {
        errors: [{ field: 'file', message: 'is not a readable PDF' }],
      });
    }
  }
  const text = bytes.toString('utf8');
  if (looksBinary(text)) {
    throw new ApiError(
      'unsupported_media_type',
      'The file is binary; upload a PDF or a text file (plain, markdown, HTML).',
      {
        errors: [{ field: 'file', message: 'is binary, not PDF or text' }],
      },
    );
  }
  return /\.html?$/i.test(filename ?? '') || /^\s*<(!doctype|html)/i.test(text)
    ? htmlToText(text)
    : text.trim();
}
