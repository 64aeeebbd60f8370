/**
 * Headers of every page Parley serves (the inbox under `/app`, the API reference under `/docs`):
 * no framing by another site, no content sniffing, no referrer sent along.
 */
export const PAGE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
} as const;

/**
 * The directives every page's policy ends with: it talks only to this origin, loads fonts only from
 * it, embeds no plugin, sets no <base>, posts forms only here, and no other site may frame it.
 */
export const SAME_ORIGIN_DIRECTIVES = [
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
] as const;

/**
 * The API reference's policy: the inbox's, with two allowances Swagger UI needs (its own inline
 * style attributes, and `data:` images in its stylesheet). Scripts still come only from this
 * origin, the page talks only to this origin, and no other site may frame it.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  ...SAME_ORIGIN_DIRECTIVES,
].join('; ');

export const DOCS_HEADERS = { ...PAGE_HEADERS, 'Content-Security-Policy': DOCS_CONTENT_SECURITY_POLICY };

/**
 * Swagger UI's options. The API key pasted into "Authorize" lives in the page's memory only:
 * `persistAuthorization: false` keeps it out of localStorage (the inbox shares this origin), and
 * no validator badge is fetched from another site.
 */
export const SWAGGER_UI_OPTIONS = {
  url: '/openapi.json',
  dom_id: '#ui',
  deepLinking: true,
  persistAuthorization: false,
  validatorUrl: null,
  withCredentials: false,
} as const;
