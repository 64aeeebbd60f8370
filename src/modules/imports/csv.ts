import { parse } from 'csv-parse/sync';

/** Why an upload is refused as a whole. */
export class UploadError extends Error {
  readonly kind: 'binary' | 'empty' | 'header';
  constructor(kind: 'binary' | 'empty' | 'header', message: string) {
    super(message);
    this.kind = kind;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const cp1252 = new TextDecoder('windows-1252');

/**
 * The upload as text without its byte-order mark. A NUL byte means a binary file (a spreadsheet,
 * an image); bytes that are not UTF-8 are read as Windows-1252, which is what Excel writes.
 */
export function decodeUpload(buf: Buffer): string {
  if (buf.indexOf(0) !== -1) {
    throw new UploadError(
      'binary',
      'The upload is a binary file, not a CSV. Export the sheet as CSV (UTF-8) and upload that.',
    );
  }
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    text = cp1252.decode(buf);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const DELIMITERS = [',', ';', '\t', '|'] as const;

/** The delimiter used most often outside quotes in the header line (comma on a tie or none). */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d;
  return best;
}

/**
 * Header names (lower-cased, spaces, dots and dashes as `_`) and the field each fills. Besides
 * Parley's own names, those of the exports and import sheets of WhatsApp BSPs (WATI, Interakt,
 * AiSensy, Gupshup): docs/coming-from/bsp.md lists them.
 */
const ALIASES: Record<string, ImportField> = {
  phone: 'phone',
  phone_number: 'phone',
  phonenumber: 'phone',
  phone_no: 'phone',
  mobile: 'phone',
  mobile_number: 'phone',
  mobile_no: 'phone',
  contact_number: 'phone',
  whatsapp: 'phone',
  whatsapp_number: 'phone',
  whatsappnumber: 'phone',
  wa_id: 'phone',
  waid: 'phone',
  number: 'phone',
  msisdn: 'phone',
  country_code: 'country_code',
  countrycode: 'country_code',
  dial_code: 'country_code',
  name: 'name',
  full_name: 'name',
  fullname: 'name',
  contact_name: 'name',
  user_name: 'name',
  first_name: 'first_name',
  firstname: 'first_name',
  last_name: 'last_name',
  lastname: 'last_name',
  email: 'email',
  email_address: 'email',
  email_id: 'email',
  e_mail: 'email',
  tags: 'tags',
  tag: 'tags',
  labels: 'tags',
  label: 'tags',
  // Columns that say the person opted out (true: marketing stopped).
  opted_out: 'opt_out',
  opt_out: 'opt_out',
  optout: 'opt_out',
  optedout: 'opt_out',
  unsubscribed: 'opt_out',
  marketing_opt_out: 'opt_out',
  whatsapp_opt_out: 'opt_out',
  blocked: 'opt_out',
  // Columns that say the person opted in (false: no marketing consent, so marketing stopped).
  opted_in: 'opt_in',
  optedin: 'opt_in',
  opt_in: 'opt_in',
  optin: 'opt_in',
  whatsapp_opted: 'opt_in',
  whatsapp_opted_in: 'opt_in',
  whatsapp_opt_in: 'opt_in',
  allow_broadcast: 'opt_in',
  allowbroadcast: 'opt_in',
  broadcast: 'opt_in',
  subscribed: 'opt_in',
  marketing_opt_in: 'opt_in',
};

type ImportField =
  | 'phone'
  | 'country_code'
  | 'name'
  | 'first_name'
  | 'last_name'
  | 'email'
  | 'tags'
  | 'opt_out'
  | 'opt_in';

const YES = new Set([
  'true',
  'yes',
  'y',
  '1',
  'opted in',
  'opted_in',
  'opted out',
  'opted_out',
  'blocked',
  'stop',
]);
const NO = new Set(['false', 'no', 'n', '0']);

/** A yes/no cell (TRUE, Yes, 1, ...): true, false, or undefined when it says neither. */
export function yesNo(cell: string): boolean | undefined {
  const v = cell.trim().toLowerCase();
  return YES.has(v) ? true : NO.has(v) ? false : undefined;
}

/**
 * The phone of a row from its phone cell and, in exports that keep them apart (Interakt, WATI),
 * its country code cell: `+<code><number>` unless the number already has a `+` or `00`.
 */
export function joinPhone(phone: string, countryCode: string | undefined): string {
  const p = phone.trim();
  const code = countryCode?.replace(/\D/g, '');
  if (!code || p.startsWith('+') || p.startsWith('00')) return p;
  const digits = p.replace(/\D/g, '').replace(/^0+/, '');
  return digits.startsWith(code) && digits.length > 10 ? `+${digits}` : `+${code}${digits}`;
}

const attributeKey = (s: string) =>
  s
    .trim()
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);

/**
 * Maps header names to contact fields: phone, name, email, tags (and common aliases such as
 * "Phone Number", "Mobile" or a BSP's "Country Code", "First Name", "WhatsApp Opted"),
 * `attributes.<key>`; any other column becomes an attribute of its own name.
 * Returns null for a column that maps to nothing (an empty header).
 */
export function mapColumn(header: string): string | null {
  const h = header.trim();
  if (/^attributes?\./i.test(h)) {
    const key = attributeKey(h.replace(/^attributes?\./i, ''));
    return key ? `attributes.${key}` : null;
  }
  const alias = ALIASES[h.toLowerCase().replace(/[\s.-]+/g, '_')];
  if (alias) return alias;
  const key = attributeKey(h);
  return key ? `attributes.${key}` : null;
}

export interface CsvLayout {
  delimiter: string;
  columns: (string | null)[];
}

/** Reads the header line; refuses files without one that names a phone or email column. */
export function readHeader(text: string): CsvLayout {
  const end = text.search(/\r?\n/);
  const line = end === -1 ? text : text.slice(0, end);
  if (!line.trim())
    throw new UploadError(
      'empty',
      'The file is empty: expected a header row (phone, name, email, tags, attributes.*) and data rows.',
    );
  const delimiter = detectDelimiter(line);
  let headers: string[];
  try {
    headers = (parse(line, { delimiter, relax_quotes: true }) as string[][])[0] ?? [];
  } catch (err) {
    throw new UploadError('header', `The header row is not valid CSV: ${(err as Error).message}`);
  }
  const columns = headers.map(mapColumn);
  if (!columns.includes('phone') && !columns.includes('email')) {
    throw new UploadError(
      'header',
      `The header row needs a phone or email column; found ${headers.map((h) => JSON.stringify(h)).join(', ') || 'nothing'}. Expected columns: phone, name, email, tags, attributes.<key> (comma, semicolon or tab separated).`,
    );
  }
  if (end === -1 || !text.slice(end).trim())
    throw new UploadError('empty', 'The file has a header row but no data rows.');
  return { delimiter, columns };
}

/** Tags in a cell are separated by `;`, `|` or `,` (a quoted cell may hold commas). */
export function splitTags(cell: string): string[] {
  return [
    ...new Set(
      cell
        .split(/[;|]/)
        .flatMap((t) => t.split(','))
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/** Splits text into chunks of at most `size` characters, for storage. */
export function* chunkText(text: string, size: number): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
