import { type RawBuilder, type SqlBool, sql } from 'kysely';

/**
 * `column LIKE '%text%'` where `text` is matched as it is written: its `%`, `_` and `\` are
 * escaped (a search for "50%" or "first_name" means those characters, and "%" alone matches only
 * a percent sign). The `ESCAPE` clause is explicit: SQLite has no default escape character.
 * With `lower`, the column is lower-cased and so is the text.
 */
export function likeContains(
  column: string,
  text: string,
  opts: { lower?: boolean } = {},
): RawBuilder<SqlBool> {
  const t = opts.lower ? text.toLowerCase() : text;
  const pattern = `%${t.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
  const col = opts.lower ? sql`lower(${sql.ref(column)})` : sql.ref(column);
  return sql<SqlBool>`${col} like ${pattern} escape '\\'`;
}
