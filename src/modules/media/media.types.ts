/**
 * What a file is, by its first bytes (never by the name or the declared type alone), and the
 * limits WhatsApp's Cloud API sets per kind ("Supported media types": image 5 MB JPEG/PNG; audio
 * 16 MB AAC, AMR, MP3, MP4 audio, OGG/Opus; video 16 MB MP4/3GPP; document 100 MB; sticker WebP,
 * 500 KB). Channel-neutral: the inbox composer and the website widget use the same checks.
 */

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

export const MB = 1024 * 1024;

/** Per MIME type: its kind and its largest size. */
export const mediaTypes: Record<string, { kind: MediaKind; maxBytes: number }> = {
  'image/jpeg': { kind: 'image', maxBytes: 5 * MB },
  'image/png': { kind: 'image', maxBytes: 5 * MB },
  'image/webp': { kind: 'sticker', maxBytes: 500 * 1024 },
  'audio/aac': { kind: 'audio', maxBytes: 16 * MB },
  'audio/amr': { kind: 'audio', maxBytes: 16 * MB },
  'audio/mpeg': { kind: 'audio', maxBytes: 16 * MB },
  'audio/mp4': { kind: 'audio', maxBytes: 16 * MB },
  'audio/ogg': { kind: 'audio', maxBytes: 16 * MB },
  'video/mp4': { kind: 'video', maxBytes: 16 * MB },
  'video/3gpp': { kind: 'video', maxBytes: 16 * MB },
  'application/pdf': { kind: 'document', maxBytes: 100 * MB },
  'text/plain': { kind: 'document', maxBytes: 100 * MB },
  // Office files are ZIP (OOXML) or OLE2 containers; their declared type says which.
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
    kind: 'document',
    maxBytes: 100 * MB,
  },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
    kind: 'document',
    maxBytes: 100 * MB,
  },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
    kind: 'document',
    maxBytes: 100 * MB,
  },
  'application/msword': { kind: 'document', maxBytes: 100 * MB },
  'application/vnd.ms-excel': { kind: 'document', maxBytes: 100 * MB },
  'application/vnd.ms-powerpoint': { kind: 'document', maxBytes: 100 * MB },
};

const startsWith = (b: Buffer, bytes: number[], at = 0) => bytes.every((x, i) => b[at + i] === x);
const ascii = (b: Buffer, text: string, at = 0) =>
  b.subarray(at, at + text.length).toString('latin1') === text;

const OOXML = new Set([
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
]);
const OLE2 = new Set(['application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint']);

/** Signatures that name one type by themselves. */
const signatures: Array<[(b: Buffer) => boolean, string]> = [
  [(b) => startsWith(b, [0xff, 0xd8, 0xff]), 'image/jpeg'],
  [(b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 'image/png'],
  [(b) => ascii(b, 'RIFF') && ascii(b, 'WEBP', 8), 'image/webp'],
  [(b) => ascii(b, '%PDF-'), 'application/pdf'],
  [(b) => ascii(b, 'OggS'), 'audio/ogg'],
  [(b) => ascii(b, '#!AMR'), 'audio/amr'],
  [(b) => ascii(b, 'ID3') || (b[0] === 0xff && (b[1]! & 0xe6) === 0xe2), 'audio/mpeg'],
  [(b) => b[0] === 0xff && (b[1]! & 0xf6) === 0xf0, 'audio/aac'],
];

/** An ISO media file (`ftyp` box): its brand says 3GPP, M4A audio or MP4. */
function isoMediaType(b: Buffer, declared?: string): string {
  const brand = b.subarray(8, 12).toString('latin1');
  if (brand.startsWith('3gp') || brand.startsWith('3g2')) return 'video/3gpp';
  if (brand === 'M4A ' || brand === 'M4B ') return 'audio/mp4';
  return declared === 'audio/mp4' ? 'audio/mp4' : 'video/mp4';
}

/** The MIME type the bytes are, read from their signature; `declared` only picks among look-alikes. */
export function sniffMediaType(b: Buffer, declared?: string): string | undefined {
  const known = signatures.find(([test]) => test(b));
  if (known) return known[1];
  if (ascii(b, 'ftyp', 4)) return isoMediaType(b, declared);
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]))
    return declared && OOXML.has(declared) ? declared : 'application/zip';
  if (startsWith(b, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))
    return declared && OLE2.has(declared) ? declared : 'application/x-ole-storage';
  if (declared === 'text/plain' && isText(b)) return 'text/plain';
  return undefined;
}

/** UTF-8 text with no control bytes other than tab, CR, LF (a text/plain document). */
function isText(b: Buffer): boolean {
  const sample = b.subarray(0, 8192);
  for (const x of sample) if (x < 0x20 && x !== 9 && x !== 10 && x !== 13) return false;
  return Buffer.from(sample.toString('utf8'), 'utf8').length === sample.length || sample.length === 8192;
}
