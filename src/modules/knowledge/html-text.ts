import { createRequire } from 'node:module';

type HtmlToText = typeof import('html-to-text');
type Formatter = NonNullable<NonNullable<Parameters<HtmlToText['convert']>[1]>['formatters']>[string];
type Node = { type: string; name?: string; attribs?: Record<string, string>; children?: Node[] };

/** A heading as markdown (`## Prices`), so the chunker titles the passages under it. */
const markdownHeading: Formatter = (elem, walk, builder, options) => {
  builder.openBlock({ leadingLineBreaks: 2 });
  builder.addLiteral(`${'#'.repeat(Number((options as { level?: number }).level ?? 1))} `);
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: 2 });
};

/**
 * A table as one line per row, its cells separated by ` | ` ("Keratin | 3000"), not its cells'
 * text run together ("ServicePriceKeratin3000").
 */
const rowTable: Formatter = (elem, walk, builder) => {
  builder.openTable();
  const visit = (node: Node) => {
    if (node.type !== 'tag') return;
    if (['thead', 'tbody', 'tfoot'].includes(node.name ?? '')) return void node.children?.forEach(visit);
    if (node.name !== 'tr') return;
    builder.openTableRow();
    for (const cell of node.children ?? []) {
      if (cell.type !== 'tag' || (cell.name !== 'td' && cell.name !== 'th')) continue;
      builder.openTableCell({ maxColumnWidth: 10_000 });
      walk(cell.children as never, builder);
      builder.closeTableCell({ colspan: 1, rowspan: 1 });
    }
    builder.closeTableRow();
  };
  (elem.children as Node[]).forEach(visit);
  builder.closeTable({
    tableToString: (rows) =>
      rows
        .map((cells) =>
          cells
            .map((c) => c.text.replace(/\s+/g, ' ').trim())
            .filter(Boolean)
            .join(' | '),
        )
        .filter(Boolean)
        .join('\n'),
    leadingLineBreaks: 2,
    trailingLineBreaks: 2,
  });
};

export function htmlToText(html: string): string {
  // Loaded on first use: html-to-text is large and only knowledge pages need it.
  const { convert } = createRequire(import.meta.url)('html-to-text') as HtmlToText;
  return convert(html, {
    wordwrap: false,
    formatters: { markdownHeading, rowTable },
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'nav', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'table', format: 'rowTable' },
      ...[1, 2, 3, 4, 5, 6].map((level) => ({
        selector: `h${level}`,
        format: 'markdownHeading',
        options: { level },
      })),
    ],
  }).trim();
}
