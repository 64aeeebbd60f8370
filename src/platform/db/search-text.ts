/**
 * Order, invoice and ticket numbers ("GF-77341", "INV-2026-001", "A/55/9", "v2.3.1"): ASCII
 * letters and digits joined by `-`, `/`, `.` or `_`, with at least one digit. Both search
 * indexes split them into their parts; the text they index also holds each code joined
 * ("gf77341"), so a code is found whole, joined or by its parts. ASCII only, so SQLite (this
 * file) and PostgreSQL (`parley_search_text`, messaging.migrations.ts 0241) read the same codes
 * whatever the database's locale.
 */
export const CODE = /[A-Za-z0-9]+(?:[-/._][A-Za-z0-9]+)+/g;
const SEPARATORS = /[-/._]/g;

/** Whether a token holds a separator (a run of CODE's, not a plain word). */
export const hasSeparator = (token: string) => /[-/._]/.test(token);

/** Whether a token is a code: letters and digits joined by separators, with a digit ("zebra-crossing" is not). */
export const isCode = (token: string) => hasSeparator(token) && /[0-9]/.test(token);

/** A code without its separators: "GF-77341" → "GF77341". */
export const joinedCode = (code: string) => code.replace(SEPARATORS, '');

/** The parts of a code: "INV-2026-001" → ["INV", "2026", "001"]. */
export const codeParts = (code: string) => code.split(SEPARATORS);

/**
 * The text a message is indexed by: its text, then each of its codes joined. SQLite calls it as
 * `parley_search_text(text)` (registered on every connection, database.ts) from the search
 * index's triggers; its unicode61 tokenizer already splits the codes into their parts. The index
 * removes a message's words by indexing this text again: a change here needs a migration that
 * rebuilds the index (as 0241 does), or old messages' words would not come out.
 */
export function searchText(text: string): string {
  const joined = (text.match(CODE) ?? []).filter(isCode).map(joinedCode);
  return joined.length === 0 ? text : `${text}\n${joined.join(' ')}`;
}

/**
 * Registers `parley_search_text` on a SQLite connection. The search index's triggers call it, so
 * every connection that writes `messages` needs it: the app's (database.ts), and a script's or a
 * drill's own `DatabaseSync` (a shell such as `sqlite3` that writes messages has no such function
 * and is refused: write messages through Parley).
 */
export function registerSearchText(db: {
  function(name: string, options: { deterministic: boolean }, fn: (text: unknown) => string | null): void;
}) {
  db.function('parley_search_text', { deterministic: true }, (text) =>
    typeof text === 'string' ? searchText(text) : null,
  );
}
