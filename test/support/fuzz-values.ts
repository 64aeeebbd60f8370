/**
 * The hostile values test/support/fuzz.ts draws from: for body properties (any type), query
 * parameters, path ids and the Idempotency-Key header, each with a name for the failure report.
 */

export const HUGE = 'x'.repeat(100_000);
/** Placeholders replaced after JSON.stringify: text JSON cannot carry as a value, and raw bytes. */
const RAW = (text: string) => `@@raw:${text}@@`;
export const BYTES = '@@bytes@@';
export const BAD_UTF8 = Buffer.from([
  0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc,
]);

export const nest = (depth: number, leaf: unknown, kind: 'array' | 'object'): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
};
const protoKeys = () =>
  JSON.parse(
    '{"__proto__": {"polluted": true, "admin": true}, "constructor": {"prototype": {"polluted": true}}}',
  );

/** Hostile values of any type, by name. */
export const anyHostile: Array<[string, () => unknown]> = [
  ['null', () => null],
  ['100 KB string', () => HUGE],
  ['NUL', () => 'a\u0000b'],
  ['control characters', () => '\u0001\u0007\u001b[31m\r\n\t\u007f\u0085'],
  ['line and paragraph separators', () => 'a\u2028b\u2029c'],
  ['bidi override and zero-width', () => '\u202etxt.exe\u200b\ufeff'],
  ['lone high surrogate', () => '\ud800'],
  ['lone low surrogate', () => 'x\udfffy'],
  ['reversed surrogates', () => '\udc00\ud800'],
  ['non-UTF-8 bytes', () => BYTES],
  ['emoji x 1000', () => '\u{1f600}'.repeat(1000)],
  ['empty string', () => ''],
  ['whitespace', () => ' \t '],
  ['"constructor"', () => 'constructor'],
  ['"__proto__"', () => '__proto__'],
  ['path traversal', () => '../../../etc/passwd'],
  ['SQL', () => "' OR '1'='1'; --"],
  ['template', () => '{{secret.shop_token}} $' + '{process.env} <script>alert(1)</script>'],
  ['1e308', () => 1e308],
  ['-1e308', () => -1e308],
  ['1e400 (Infinity)', () => RAW('1e400')],
  ['-0', () => RAW('-0')],
  ['-1', () => -1],
  ['0', () => 0],
  ['fraction', () => 1.5],
  ['2^63', () => 2 ** 63],
  ['-(2^63)', () => -(2 ** 63)],
  ['2^64 as digits', () => RAW('18446744073709551616')],
  ['5e-324', () => 5e-324],
  ['"NaN"', () => 'NaN'],
  ['"Infinity"', () => 'Infinity'],
  ['numeric string', () => '12'],
  ['true', () => true],
  ['false', () => false],
  ['"true"', () => 'true'],
  ['empty object', () => ({})],
  ['empty array', () => []],
  ['array of null', () => [null]],
  ['array of arrays', () => [[[]]]],
  ['10,000 items', () => Array.from({ length: 10_000 }, (_, i) => i)],
  ['prototype keys', protoKeys],
  ['toString keys', () => ({ toString: 'x', valueOf: 1, hasOwnProperty: null })],
  ['1,000-deep arrays', () => nest(1000, 1, 'array')],
  ['1,000-deep objects', () => nest(1000, 1, 'object')],
  ['year 275760', () => '275760-09-14T00:00:00Z'],
  ['February 30th', () => '2026-02-30T10:00:00Z'],
  ['negative year', () => '-000001-01-01T00:00:00Z'],
  ['leap second', () => '2026-12-31T23:59:60Z'],
  ['bad time zone', () => 'Mars/Olympus_Mons'],
  ['wrong id prefix', () => 'zz_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
  ['decimal string 1e308', () => '1e308'],
  ['hex string', () => '0x1F'],
  ['Arabic-Indic digits', () => '\u0661\u0662\u0663'],
  ['long decimal', () => '99999999999999999999.999999999999'],
  ['file URL', () => 'file:///etc/passwd'],
  ['javascript URL', () => 'javascript:alert(1)'],
  ['URL with a bad port', () => 'http://[::1]:99999/x'],
  ['URL to the metadata service', () => 'http://169.254.169.254/latest/meta-data/'],
  ['invalid regex', () => '([a-z'],
  ['schema with a recursive $ref', () => ({ $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/a' } } })],
  ['schema with a remote $ref', () => ({ $ref: 'http://127.0.0.1:9/schema.json' })],
  ['schema with a bad pattern', () => ({ type: 'string', pattern: '([a-z' })],
  ['schema with an unknown type', () => ({ type: 'zz', properties: { a: { type: ['null', 'zz'] } } })],
];

/** Bad values for a query parameter, already URL-encoded. */
export const queryHostile: Array<[string, (name: string) => string]> = [
  ['repeated', (q) => `${q}=1&${q}=2`],
  ['bracket object', (q) => `${q}[a]=1`],
  ['bracket __proto__', (q) => `${q}[__proto__][polluted]=1`],
  ['-1', (q) => `${q}=-1`],
  ['0', (q) => `${q}=0`],
  ['1e308', (q) => `${q}=1e308`],
  ['2^63', (q) => `${q}=9223372036854775808`],
  ['26 digits', (q) => `${q}=99999999999999999999999999`],
  ['fraction', (q) => `${q}=1.5`],
  ['NaN', (q) => `${q}=NaN`],
  ['Infinity', (q) => `${q}=Infinity`],
  ['NUL', (q) => `${q}=%00`],
  ['control characters', (q) => `${q}=%01%1B%7F`],
  ['empty', (q) => `${q}=`],
  ['no value', (q) => q],
  ['10 KB', (q) => `${q}=${'x'.repeat(10_000)}`],
  ['100 KB', (q) => `${q}=${'y'.repeat(100_000)}`],
  ['broken percent escape', (q) => `${q}=%E0%A4%A`],
  ['non-UTF-8 bytes', (q) => `${q}=%FF%FE%C3%28`],
  ['lone surrogate', (q) => `${q}=%ED%A0%80`],
  ['unicode', (q) => `${q}=%C3%BC%E6%97%A5%F0%9F%98%80`],
  ['"constructor"', (q) => `${q}=constructor`],
  ['"__proto__"', (q) => `${q}=__proto__`],
  ['year 275760', (q) => `${q}=275760-09-14T00:00:00Z`],
  ['February 30th', (q) => `${q}=2026-02-30`],
  ['from after to', () => 'from=2026-06-01&to=2026-01-01'],
  ['bad time zone', (q) => `${q}=Mars%2FOlympus_Mons`],
  ['"true"', (q) => `${q}=true`],
  ['JSON', (q) => `${q}=%7B%22a%22%3A1%7D`],
  ['wrong id prefix', (q) => `${q}=zz_01JD5Z8Q4X3N2M1K0H9G8F7E6D`],
];

/** Bad path ids, already URL-encoded. */
export const idHostile: Array<[string, string]> = [
  ['2,000 characters', 'a'.repeat(2000)],
  ['200 characters', `ct_${'0'.repeat(197)}`],
  ['unicode', '%C3%BC%E6%97%A5%F0%9F%98%80'],
  ['encoded ../', '..%2F..%2Fv1%2Fsecrets'],
  ['..', '..'],
  ['%2e%2e', '%2e%2e'],
  ['NUL', '%00'],
  ['non-UTF-8 byte', '%FF'],
  ['lone surrogate', '%ED%A0%80'],
  ['broken percent escape', '%E0%A4%A'],
  ['"constructor"', 'constructor'],
  ['"__proto__"', '__proto__'],
  ['prefix only', 'ct_'],
  ['wrong prefix', 'zz_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
  ['lowercase ulid', 'ct_01jd5z8q4x3n2m1k0h9g8f7e6d'],
  ['SQL', "'%20OR%20'1'%3D'1"],
  ['space', '%20'],
  ['-1', '-1'],
  ['1e308', '1e308'],
];

export const idempotencyHostile: Array<[string, string]> = [
  ['1,000 characters', 'k'.repeat(1000)],
  ['empty', ''],
  ['latin-1', '\u00fc\u00e9'],
  ['spaces', '   '],
];
