/**
 * The `{{…}}` syntax as the server fills it (src/platform/placeholders.ts, prose mode): `{{key}}`,
 * `{{key|default}}` when the value is missing or empty, `contact.` / `vars.` in front of a key
 * optional; an empty placeholder takes the space and comma before it along ("Hi {{name}}," reads
 * "Hi,"). test/app/placeholders.test.ts renders the same inputs here and on the server.
 */
const ALIAS = /^(contact|vars|variables)\./;
const PLACEHOLDER_IN_PROSE = /([ \t]*[,;:]?[ \t]*)\{\{\s*([^{}|]*?)\s*(?:\|\s*([^{}]*?)\s*)?\}\}/g;

/** @param {Record<string, unknown>} values @param {string} key */
function lookupValue(values, key) {
  const v = values[key] ?? values[key.replace(ALIAS, '')] ?? values[`contact.${key}`];
  return v === undefined || v === null || typeof v === 'object' ? '' : String(v).trim();
}

/**
 * A canned response (or any text with variables) filled from `values`.
 * @param {string} content
 * @param {Record<string, unknown>} values
 */
export function fillVariables(content, values) {
  const out = content
    .replace(PLACEHOLDER_IN_PROSE, (_, before, key, fallback) => {
      const value = lookupValue(values, key) || (fallback ?? '').trim();
      return value ? before + value : '';
    })
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/[ \t]+([,.!?])/g, '$1')
    .replace(/([,;:])(?=[.!?])/g, '')
    .replace(/^[\s,;:.!?]+/, '')
    .trim();
  return out.charAt(0).toUpperCase() + out.slice(1);
}
