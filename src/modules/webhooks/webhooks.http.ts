import http from 'node:http';
import https from 'node:https';
import { guardedLookup, isPrivateAddress, literalAddress } from '../../platform/ssrf.ts';

/** The outcome of one POST to a receiver. */
export interface AttemptResult {
  /** The receiver answered 2xx. */
  ok: boolean;
  /** The HTTP status, or null when no answer came (refused, reset, timed out, blocked). */
  statusCode: number | null;
  durationMs: number;
  /** At most `excerptBytes` of the answer's body. */
  excerpt: string | null;
  /** Why the attempt failed, in a sentence (null on success). */
  error: string | null;
}

export interface SendOptions {
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** PARLEY_WEBHOOK_ALLOW_PRIVATE: skip the private-address checks. */
  allowPrivate: boolean;
  timeoutMs: number;
  excerptBytes: number;
}

// Keep-alive pools shared by every delivery of this process: most deliveries go to few hosts.
const agents = {
  'http:': new http.Agent({
    keepAlive: true,
    maxSockets: 64,
    maxFreeSockets: 64,
    scheduling: 'lifo',
  }),
  'https:': new https.Agent({
    keepAlive: true,
    maxSockets: 64,
    maxFreeSockets: 64,
    scheduling: 'lifo',
  }),
};

function describeError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EBLOCKEDADDRESS':
      return `Refused: ${err.message}. Set PARLEY_WEBHOOK_ALLOW_PRIVATE=1 to allow private targets.`;
    case 'ECONNREFUSED':
      return 'The receiver refused the connection.';
    case 'ECONNRESET':
      return 'The receiver reset the connection.';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `DNS lookup failed: ${err.message}`;
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}

/**
 * POSTs one signed delivery. Redirects are not followed (a 3xx is a failed attempt), so a
 * receiver cannot bounce us to an address the private-network check never saw. The whole
 * attempt, body included, is bounded by `timeoutMs`, and only the first `excerptBytes` of the
 * answer are read before the connection is dropped.
 */
export function sendWebhook(opts: SendOptions): Promise<AttemptResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (r: Omit<AttemptResult, 'durationMs' | 'ok'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const ok = r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300 && r.error === null;
      resolve({ ...r, ok, durationMs: Math.round(performance.now() - started) });
    };

    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      return finish({ statusCode: null, excerpt: null, error: `Invalid URL: ${opts.url}` });
    }
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent)
      return finish({ statusCode: null, excerpt: null, error: `Unsupported protocol ${url.protocol}` });
    if (!opts.allowPrivate) {
      // Literal addresses never go through `lookup`, so they are checked here.
      const literal = literalAddress(url.hostname);
      if (literal && isPrivateAddress(literal)) {
        return finish({
          statusCode: null,
          excerpt: null,
          error: `Refused: ${literal} is a private or reserved address. Set PARLEY_WEBHOOK_ALLOW_PRIVATE=1 to allow private targets.`,
        });
      }
    }

    const req = (url.protocol === 'https:' ? https : http).request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) },
        ...(opts.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        const status = res.statusCode ?? null;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = (error: string | null) => {
          const excerpt =
            size > 0 ? Buffer.concat(chunks).subarray(0, opts.excerptBytes).toString('utf8') : '';
          let why = error;
          if (!why && status !== null && status >= 300 && status < 400) {
            why = `The receiver answered a redirect (${status}${res.headers.location ? ` to ${res.headers.location}` : ''}); redirects are not followed.`;
          } else if (!why && status !== null && (status < 200 || status >= 300)) {
            why = `The receiver answered HTTP ${status}.`;
          }
          finish({ statusCode: status, excerpt, error: why });
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= opts.excerptBytes) {
            // Enough for the log: stop reading a large body rather than download it.
            done(null);
            res.destroy();
          }
        });
        res.on('end', () => done(null));
        res.on('error', (err) => done(describeError(err)));
        res.on('aborted', () => done('The receiver closed the connection mid-answer.'));
      },
    );
    timer = setTimeout(() => {
      finish({ statusCode: null, excerpt: null, error: `No complete answer within ${opts.timeoutMs} ms.` });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => finish({ statusCode: null, excerpt: null, error: describeError(err) }));
    req.end(opts.body);
  });
}
