/**
 * A `Content-Disposition` header for a file of any name (RFC 6266): an ASCII `filename="..."` for
 * old clients and, when the name is not plain ASCII, `filename*=UTF-8''...` (RFC 5987 percent
 * encoding), which every current browser prefers. Node refuses a header value with characters
 * outside Latin-1 (`ERR_INVALID_CHAR`), so a name is never written into the header as it is.
 */
export function contentDisposition(
  type: 'inline' | 'attachment',
  filename: string | null | undefined,
): string {
  const name = filename || 'file';
  // Printable ASCII but the quote and backslash (which a quoted string would have to escape).
  const fallback = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  if (fallback === name) return `${type}; filename="${name}"`;
  return `${type}; filename="${fallback}"; filename*=UTF-8''${rfc5987(name)}`;
}

/** RFC 5987 `value-chars`: the name's UTF-8 bytes, each but an `attr-char` percent-encoded. */
function rfc5987(value: string): string {
  let out = '';
  // Buffer.from writes a lone surrogate as U+FFFD (encodeURIComponent would throw).
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9!#$&+.^_`|~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** C0 and C1 control characters and DEL: never part of a file's name. */
export const CONTROL_CHARACTERS = /\p{Cc}/u;
