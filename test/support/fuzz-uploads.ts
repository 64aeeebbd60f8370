/**
 * Broken file uploads for an operation that takes a multipart form (test/support/fuzz.ts): a fixed
 * set of malformed forms, and random ones drawn from hostile names, types and contents.
 */
import type { FuzzVariant } from './fuzz.ts';
import { BAD_UTF8 } from './fuzz-values.ts';

const BOUNDARY = 'fuzzboundary';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

/** One part of a multipart form: a field, or a file when it has a filename. */
const part = (name: string, filename: string | null, contentType: string | null, bytes: string | Buffer) =>
  Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename === null ? '' : `; filename="${filename}"`}\r\n` +
        `${contentType === null ? '' : `Content-Type: ${contentType}\r\n`}\r\n`,
    ),
    Buffer.from(bytes),
    Buffer.from('\r\n'),
  ]);
const form = (label: string, ...parts: Buffer[]): FuzzVariant => ({
  label: `multipart: ${label}`,
  payload: Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]),
  contentType: MULTIPART,
});

/** Broken file uploads: parts missing, doubled, empty, mislabelled, cut short. */
export function multipartVariants(): FuzzVariant[] {
  return [
    form('no parts'),
    form('a field, no file', part('note', null, null, 'x')),
    form('file part without a filename', part('file', null, null, 'hello')),
    form('empty file', part('file', 'a.txt', 'text/plain', '')),
    form('two files', part('file', 'a.txt', 'text/plain', 'a'), part('file', 'b.txt', 'text/plain', 'b')),
    form(
      'filename with ../ and NUL',
      part('file', '../../etc/pa\u0000ss wd.pdf', 'application/pdf', '%PDF-1.7'),
    ),
    form('filename of 10,000 characters', part('file', `${'n'.repeat(10_000)}.txt`, 'text/plain', 'x')),
    form('non-UTF-8 filename', part('file', BAD_UTF8.toString('latin1'), 'text/plain', 'x')),
    form('content type that lies', part('file', 'a.jpg', 'image/jpeg', BAD_UTF8)),
    form('nonsense content type', part('file', 'a.bin', ';;;/=', 'x')),
    form('file named __proto__', part('__proto__', 'a.txt', 'text/plain', 'x')),
    {
      label: 'multipart: cut short',
      payload: part('file', 'a.txt', 'text/plain', 'unfinished'),
      contentType: MULTIPART,
    },
    {
      label: 'multipart: no boundary',
      payload: part('file', 'a.txt', 'text/plain', 'x'),
      contentType: 'multipart/form-data',
    },
  ];
}

const hostileFilenames: Array<[string, string]> = [
  ['plain', 'menu.pdf'],
  ['no extension', 'menu'],
  ['dot files', '..'],
  ['traversal', '..\\..\\windows\\win.ini'],
  ['control characters', 'a\u0001\u001b.txt'],
  ['quote', 'a".txt'],
  ['unicode', '\u65e5\u672c\u{1f600}.png'],
  ['bidi override', '\u202egnp.exe'],
  ['1,000 characters', `${'f'.repeat(1000)}.jpg`],
  ['empty', ''],
];
const hostileFileTypes: Array<[string, string | null]> = [
  ['none', null],
  ['PDF', 'application/pdf'],
  ['JPEG', 'image/jpeg'],
  ['octet-stream', 'application/octet-stream'],
  ['HTML', 'text/html'],
  ['SVG', 'image/svg+xml'],
  ['with parameters', 'image/png; charset=utf-8; x=y'],
  ['unknown', 'application/x-zz'],
  ['not a type', 'zz'],
];
const hostileFileBytes: Array<[string, () => string | Buffer]> = [
  ['empty', () => ''],
  ['text', () => 'hello'],
  ['non-UTF-8 bytes', () => BAD_UTF8],
  ['PDF header only', () => '%PDF-1.7\n'],
  ['PNG header only', () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['zip header only', () => Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0])],
  ['SVG with a script', () => '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
  ['100 KB of NUL', () => Buffer.alloc(100_000)],
  ['a boundary inside', () => `--${BOUNDARY}\r\nx`],
];

/** A random upload: a file (or a field) with a drawn name, type and content, maybe twice. */
export function randomUpload(pick: <T>(items: readonly T[]) => T): FuzzVariant {
  const [nameLabel, filename] = pick(hostileFilenames);
  const [typeLabel, type] = pick(hostileFileTypes);
  const [bytesLabel, bytes] = pick(hostileFileBytes);
  const field = pick(['file', 'file', 'files', '', 'FILE']);
  const parts = [part(field, filename, type, bytes())];
  const extra = pick(['none', 'a field', 'a second file']);
  if (extra === 'a field') parts.unshift(part('purpose', null, null, 'x'.repeat(pick([1, 10_000]))));
  if (extra === 'a second file') parts.push(part('file', 'b.txt', 'text/plain', 'b'));
  return form(
    `field "${field}", filename ${nameLabel}, type ${typeLabel}, ${bytesLabel}, ${extra}`,
    ...parts,
  );
}
