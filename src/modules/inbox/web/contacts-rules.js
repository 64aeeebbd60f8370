/**
 * The Contacts page's pure rules (no DOM, no imports), so they run in node as in the browser:
 * the filters in the URL, the list API's query for them, and the CSV export.
 */

/**
 * The list's filters from the page's URL, so a filtered list is a link: `q`, `tag`, `attr`
 * (`key=value`) and `page`.
 */
export function filtersOf(query) {
  return {
    q: query.get('q') ?? '',
    tag: query.get('tag') ?? '',
    attr: query.get('attr') ?? '',
    page: Math.max(1, Number(query.get('page')) || 1),
  };
}

/** The list API's query for the filters: `attr` "plan = premium" is `attributes.plan=premium`. */
export function listQuery(filters, page, perPage) {
  const params = new URLSearchParams({ page: String(page), per_page: String(perPage) });
  if (filters.q.trim()) params.set('q', filters.q.trim());
  if (filters.tag.trim()) params.set('tag', filters.tag.trim());
  const eq = filters.attr.indexOf('=');
  if (eq > 0) params.set(`attributes.${filters.attr.slice(0, eq).trim()}`, filters.attr.slice(eq + 1).trim());
  return params;
}

/**
 * A CSV cell: quoted when it must be, and never read as a formula by a spreadsheet (a cell that
 * starts with = + - or @ gets a leading '), but for a plain number such as a phone in E.164.
 */
const cell = (value) => {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^[+-]?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function contactsCsv(contacts) {
  const head = ['id', 'name', 'phone', 'email', 'tags', 'attributes', 'dnd', 'opted_out', 'created_at'];
  const rows = contacts.map((c) =>
    [
      c.id,
      c.name,
      c.phone,
      c.email,
      c.tags.join(';'),
      JSON.stringify(c.attributes ?? {}),
      c.dnd,
      c.opted_out,
      c.created_at,
    ]
      .map(cell)
      .join(','),
  );
  return `${[head.join(','), ...rows].join('\r\n')}\r\n`;
}
