/** An element tag (`<p>`, `</div>`, `<script ...>`, `<br/>`): text holding one is treated as HTML. */
const TAG = /<\/?[a-z][a-z0-9-]*(\s[^<>]*)?\/?>/i;

/**
 * What an email body says, as plain text: text with HTML in it (a knowledge document's markup
 * that an AI answer quoted, a pasted snippet) is converted to its text, scripts and styles
 * dropped, never sent as raw markup. Plain text (with a lone `<` or `a < b`) is left alone.
 */
export function plainEmailText(text: string, htmlToText: (html: string, o: object) => string): string {
  if (!TAG.test(text)) return text;
  return htmlToText(text, {
    wordwrap: false,
    selectors: [
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    ],
  });
}
