import { ParleyError } from '@parley/sdk';

/** Exit codes scripts can rely on (also in `parley --help` and the README). */
export const EXIT = {
  ok: 0,
  /** The API refused the request (validation, not found, conflict, server error ...). */
  api: 1,
  /** Bad command line: unknown command or option, missing or invalid argument. */
  usage: 2,
  /** No API key configured. */
  notConfigured: 3,
  /** The server could not be reached or is not a Parley API (down, wrong base URL, timeout). */
  unreachable: 4,
  /** The key was refused: unknown, revoked (401), or lacks the scope (403). */
  auth: 5,
  /** Rate limited (429) even after honouring Retry-After. */
  rateLimited: 6,
  /** Waited too long for something (e.g. an agent's reply in `chat`). */
  timeout: 7,
} as const;

/** A failure the CLI reports as one line on stderr with a given exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string;
  constructor(exitCode: number, code: string, message: string) {
    super(message);
    this.exitCode = exitCode;
    this.code = code;
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, 'usage', message);

/** Maps any failure to the one line a user reads and the exit code a script reads. */
export function describeFailure(
  err: unknown,
  baseUrl: string,
): { exitCode: number; code: string; message: string; requestId?: string } {
  if (err instanceof CliError) return { exitCode: err.exitCode, code: err.code, message: err.message };
  if (err instanceof ParleyError) {
    const rid = err.requestId ? ` (request ${err.requestId})` : '';
    const base = { code: err.code, requestId: err.requestId };
    switch (err.code) {
      case 'connection_failed':
      case 'timeout':
        return {
          ...base,
          exitCode: EXIT.unreachable,
          message: `${err.message} Is the server running (\`npm start\`)? Set its address with --base-url or PARLEY_BASE_URL.`,
        };
      case 'unexpected_response':
        return {
          ...base,
          exitCode: EXIT.unreachable,
          message: `${err.message} Check --base-url or PARLEY_BASE_URL (now ${baseUrl}).`,
        };
      case 'unauthorized':
        return {
          ...base,
          exitCode: EXIT.auth,
          message: `${err.message}${rid} Run \`parley init --api-key <key>\` with a valid key, or set PARLEY_API_KEY.`,
        };
      case 'forbidden':
        return {
          ...base,
          exitCode: EXIT.auth,
          message: `${err.message}${rid} Use a key that has this scope.`,
        };
      case 'rate_limited':
      case 'concurrency_limited': {
        const when =
          err.retryAfter !== undefined ? ` Try again in ${err.retryAfter} s.` : ' Try again later.';
        return { ...base, exitCode: EXIT.rateLimited, message: `${err.message}${when}${rid}` };
      }
      default: {
        // The API's message usually already lists the field errors: add only those it leaves out.
        const missing = err.fieldErrors
          .map((f) => `${f.field}: ${f.message}`)
          .filter((line) => !err.message.includes(line));
        const fieldsText = missing.length ? ` [${missing.join('; ')}]` : '';
        return {
          ...base,
          exitCode: EXIT.api,
          message: `${err.message}${fieldsText} (${err.code}, HTTP ${err.status})${rid}`,
        };
      }
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: EXIT.api, code: 'error', message };
}
