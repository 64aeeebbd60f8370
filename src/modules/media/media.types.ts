import { fileTypeFromBuffer } from 'file-type';
import { missingOoxmlParts } from '../../platform/zip-read.ts';

/**
 * What a file is, by its bytes (never by the name or the declared type alone), and the limits
 * WhatsApp's Cloud API sets per kind ("Supported media types": image 5 MB JPEG/PNG; audio 16 MB
 * AAC, AMR, MP3, MP4 audio, OGG/Opus; video 16 MB MP4/3GPP; document 100 MB; sticker WebP,
 * 500 KB). Channel-neutral: the inbox composer and the website widget use the same checks.
 * Photos and videos straight from a phone (HEIC/HEIF, AVIF, QuickTime .mov) are kept for what they
 * are, though WhatsApp takes none of them: `whatsapp: false`, refused by name when sent there.
 */

export type MediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

export const MB = 1024 * 1024;

/** Per MIME type: its kind, its largest size, and whether WhatsApp carries it (default yes). */
export const mediaTypes: Record<string, { kind: MediaKind; maxBytes: number; whatsapp?: false }> = {
  'image/jpeg': { kind: 'image', maxBytes: 5 * MB },
  'image/png': { kind: 'image', maxBytes: 5 * MB },
  // An iPhone's photos (HEIC), other phones' HEIF and AVIF: images, but not for WhatsApp.
  'image/heic': { kind: 'image', maxBytes: 5 * MB, whatsapp: false },
  'image/heif': { kind: 'image', maxBytes: 5 * MB, whatsapp: false },
  'image/avif': { kind: 'image', maxBytes: 5 * MB, whatsapp: false },
  'image/webp': { kind: 'sticker', maxBytes: 500 * 1024 },
  'audio/aac': { kind: 'audio', maxBytes: 16 * MB },
  'audio/amr': { kind: 'audio', maxBytes: 16 * MB },
  'audio/mpeg': { kind: 'audio', maxBytes: 16 * MB },
  'audio/mp4': { kind: 'audio', maxBytes: 16 * MB },
  'audio/ogg': { kind: 'audio', maxBytes: 16 * MB },
  'video/mp4': { kind: 'video', maxBytes: 16 * MB },
  'video/3gpp': { kind: 'video', maxBytes: 16 * MB },
  // An iPhone's videos (.mov): WhatsApp takes MP4 only.
  'video/quicktime': { kind: 'video', maxBytes: 16 * MB, whatsapp: false },
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

/** What file-type calls an ISO media file (by its `ftyp` brands), as Parley names it. */
const ISO_TYPES: Record<string, string> = {
  'image/heic': 'image/heic',
  'image/heif': 'image/heif',
  'image/heic-sequence': 'image/heic',
  'image/heif-sequence': 'image/heif',
  'image/avif': 'image/avif',
  'video/mp4': 'video/mp4',
  'video/quicktime': 'video/quicktime',
  'video/3gpp': 'video/3gpp',
  'video/3gpp2': 'video/3gpp',
  'audio/x-m4a': 'audio/mp4',
  'audio/mp4': 'audio/mp4',
  'audio/x-m4b': 'audio/mp4',
};

const isIsoMedia = (b: Buffer) => ascii(b, 'ftyp', 4);
const isZip = (b: Buffer) => startsWith(b, [0x50, 0x4b, 0x03, 0x04]);
const isOle2 = (b: Buffer) => startsWith(b, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/**
 * The MIME type the bytes are, read from their signature; `declared` only picks among look-alikes.
 * Containers are left to `detectMediaType` (an ISO media file's brands, a zip's parts): this
 * synchronous check knows only the types a signature names by itself.
 */
export function sniffMediaType(b: Buffer, declared?: string): string | undefined {
  const known = signatures.find(([test]) => test(b));
  if (known) return known[1];
  if (isIsoMedia(b) || isZip(b)) return undefined;
  if (isOle2(b)) return declared && OLE2.has(declared) ? declared : 'application/x-ole-storage';
  if (declared === 'text/plain' && isText(b)) return 'text/plain';
  return undefined;
}

/** What the bytes are, and when a container is not what it claims, why. */
export interface DetectedType {
  type: string | undefined;
  /** Why the bytes are not the Office document their type claims (its missing parts). */
  note?: string;
}

/**
 * The MIME type the bytes are, containers included: an ISO media file by its brands (an iPhone's
 * HEIC photo is image/heic, not an MP4 video) and a zip by its parts, through file-type; an
 * Office document must also list its main part and `[Content_Types].xml` (a zip holding an .exe
 * is a zip, whatever it is declared).
 */
export async function detectMediaType(b: Buffer, declared?: string): Promise<DetectedType> {
  if (!isIsoMedia(b) && !isZip(b)) return { type: sniffMediaType(b, declared) };
  const found = (await fileTypeFromBuffer(b))?.mime;
  if (isIsoMedia(b)) {
    const type = found ? (ISO_TYPES[found] ?? found) : undefined;
    // An MP4 holding only sound is audio when it is declared so (its brand is often a video one).
    return { type: type === 'video/mp4' && declared === 'audio/mp4' ? 'audio/mp4' : type };
  }
  // file-type reads [Content_Types].xml; a declared Office type is checked the same way when it cannot tell.
  const office = found && OOXML.has(found) ? found : declared && OOXML.has(declared) ? declared : undefined;
  if (!office) return { type: 'application/zip' };
  const missing = await missingOoxmlParts(b, office);
  if (missing.length === 0) return { type: office };
  return { type: 'application/zip', note: `a zip without ${missing.join(' and ')}` };
}

/** UTF-8 text with no control bytes other than tab, CR, LF (a text/plain document). */
function isText(b: Buffer): boolean {
  const sample = b.subarray(0, 8192);
  for (const x of sample) if (x < 0x20 && x !== 9 && x !== 10 && x !== 13) return false;
  return Buffer.from(sample.toString('utf8'), 'utf8').length === sample.length || sample.length === 8192;
}
