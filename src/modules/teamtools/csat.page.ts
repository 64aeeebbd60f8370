import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiError } from '../../platform/errors.ts';
import { PAGE_HEADERS } from '../../platform/http/page-headers.ts';
import type { RouteResult } from '../../platform/http/route.ts';
import type { LinkOutcome } from './csat.answer.ts';

/**
 * The page a customer sees after clicking a score in a CSAT email: plain HTML, one small inline
 * stylesheet (allowed by its hash), no script, no external asset, nothing to frame or post.
 */
const STYLE =
  'body{margin:0;font:1.125rem/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fafafa}' +
  'main{max-width:32rem;margin:15vh auto;padding:0 1.5rem}h1{font-size:1.5rem;margin:0 0 .5rem}' +
  '@media (prefers-color-scheme:dark){body{color:#eee;background:#161616}}';

export const CSAT_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * True when the caller prefers a page to JSON: a browser (Accept lists text/html before any JSON,
 * or without JSON). An API caller asking for JSON, or sending no Accept, gets JSON.
 */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = String(request.headers.accept ?? '').toLowerCase();
  const html = accept.indexOf('text/html');
  if (html < 0) return false;
  const json = accept.indexOf('application/json');
  return json < 0 || html < json;
}

function page(status: number, title: string, text: string): RouteResult {
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${title}</h1>
<p>${text}</p>
</main>
</body>
</html>
`;
  return {
    status,
    body,
    contentType: 'text/html; charset=utf-8',
    // The URL holds the question's token: never cached, never sent on as a referrer.
    headers: { ...PAGE_HEADERS, 'Content-Security-Policy': CSAT_PAGE_CSP, 'Cache-Control': 'no-store' },
  };
}

/** The page for a link's outcome: 200 when recorded or already recorded, 404 unknown, 410 expired. */
export function csatPage(outcome: LinkOutcome): RouteResult {
  switch (outcome.state) {
    case 'recorded':
      return page(200, 'Thank you', `Thank you — your rating: ${outcome.score} of 5.`);
    case 'already_answered':
      return page(
        200,
        'Already recorded',
        outcome.score === null
          ? 'Your rating was already recorded. Thank you.'
          : `Your rating was already recorded: ${outcome.score} of 5. Thank you.`,
      );
    case 'expired':
      return page(
        410,
        'This link has expired',
        'Ratings are taken for 7 days after the question is sent. Thank you all the same.',
      );
    case 'unknown':
      return page(
        404,
        'This link is not valid',
        'We could not find the question this link belongs to. Please check that the whole link was opened.',
      );
  }
}

/**
 * A browser's page for a link whose token or score is malformed (a link cut by a mail client, a
 * score edited by hand): a token that cannot be one is the unknown link's 404 page, a missing or
 * out-of-range score a 400 page saying what to do. Callers asking for JSON get the usual error.
 */
export function malformedLinkPage(request: FastifyRequest, err: ApiError): RouteResult | undefined {
  if (!wantsHtml(request)) return undefined;
  if (err.code === 'not_found') return csatPage({ state: 'unknown' });
  return page(
    400,
    'This link is not complete',
    'The link should end with a score from 1 to 5. Please open the whole link from the message, or click a score there again.',
  );
}

/** A browser's page when one client address opened too many links in a minute. */
export function rateLimitedPage(retryAfterSeconds: number): RouteResult {
  const result = page(
    429,
    'Too many ratings at once',
    `Please try the link again in ${retryAfterSeconds} seconds.`,
  ) as { headers: Record<string, string> } & RouteResult;
  return { ...result, headers: { ...result.headers, 'Retry-After': String(retryAfterSeconds) } };
}
