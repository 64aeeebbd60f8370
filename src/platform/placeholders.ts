/**
 * The one `{{…}}` syntax of every text a user writes with variables in it: broadcasts, canned
 * responses, voice flows, greetings (and voicemail and screener messages), out-of-hours text and
 * templates. `{{key}}` is the value of `key`; `{{key|default}}` is the default when the value is
 * missing or empty (`{{contact.name|there}}`); `contact.`, `vars.` and `variables.` in front of a
 * key are optional (`{{contact.name}}` and `{{name}}` are the same value). Each place decides
 * which keys it knows; they all read and fill placeholders here, so the same input renders the
 * same way everywhere (test/app/placeholders.test.ts).
 */

/** `{{ key }}` or `{{ key | default }}`: group 1 the key, group 2 the default. */
export const PLACEHOLDER = /\{\{\s*([^{}|]*?)\s*(?:\|\s*([^{}]*?)\s*)?\}\}/g;

export type PlaceholderValue = string | number | boolean | null | undefined;
export type Lookup = (key: string) => PlaceholderValue;

const ALIAS = /^(contact|vars|variables)\./;

/** A lookup over plain values, each key also found without its `contact.`/`vars.` prefix. */
export function lookupIn(values: Record<string, PlaceholderValue | unknown>): Lookup {
  return (key) => {
    const v = values[key] ?? values[key.replace(ALIAS, '')] ?? values[`contact.${key}`];
    return v === undefined || v === null || typeof v === 'object' ? undefined : (v as PlaceholderValue);
  };
}

/** The placeholders of a text, in order: their keys and defaults. */
export function placeholdersOf(text: string): Array<{ key: string; fallback: string | null }> {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({ key: m[1]!, fallback: m[2] ?? null }));
}

const present = (v: PlaceholderValue) => (v === undefined || v === null ? '' : String(v).trim());

/** A placeholder's value: the lookup's, else its default, else empty. */
export function placeholderValue(lookup: Lookup, key: string, fallback: string | null | undefined): string {
  return present(lookup(key)) || (fallback ?? '').trim();
}

/**
 * Fills a text's placeholders. As prose (the default): a placeholder left empty takes the
 * space and comma before it along ("Welcome, {{name}}." reads "Welcome."), runs of spaces and
 * spaces before punctuation are tidied and the first letter is a capital. `prose: false` fills
 * values only (a value stored in another variable, a URL).
 */
export function renderPlaceholders(template: string, lookup: Lookup, opts: { prose?: boolean } = {}): string {
  if (opts.prose === false)
    return template.replace(PLACEHOLDER, (_, key: string, fallback?: string) =>
      placeholderValue(lookup, key, fallback),
    );
  const out = template
    .replace(
      /([ \t]*[,;:]?[ \t]*)\{\{\s*([^{}|]*?)\s*(?:\|\s*([^{}]*?)\s*)?\}\}/g,
      (_, before: string, key: string, fallback?: string) => {
        const value = placeholderValue(lookup, key, fallback);
        return value ? before + value : '';
      },
    )
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/[ \t]+([,.!?])/g, '$1')
    .replace(/([,;:])(?=[.!?])/g, '')
    .replace(/^[\s,;:.!?]+/, '')
    .trim();
  return out.charAt(0).toUpperCase() + out.slice(1);
}
