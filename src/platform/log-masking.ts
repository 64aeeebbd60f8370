/**
 * Masks what looks like a credential in free text bound for a log line (an error message): bearer
 * tokens, Parley API keys, provider keys (`sk-...`, `xoxb-...`), credentials in URLs and secret
 * query or form values. Structured fields are redacted by pino's `redact` (context.ts); messages
 * are text, so they are masked here.
 */
const PATTERNS: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\bprl_(live|test)_[A-Za-z0-9_-]+/g, 'prl_$1_[redacted]'],
  [/\b(sk|pk|rk)[-_](live_|test_|proj-|ant-)?[A-Za-z0-9_-]{12,}/g, '$1-[redacted]'],
  [/\bxox[abpr]-[A-Za-z0-9-]+/g, 'xox-[redacted]'],
  [/(:\/\/)[^\s/:@]+:[^\s/@]+@/g, '$1[redacted]@'],
  [
    /\b(api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|signature|sig|key)(["']?\s*[=:]\s*["']?)[^\s&"',;}]+/gi,
    '$1$2[redacted]',
  ],
];

export function maskSecrets(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
