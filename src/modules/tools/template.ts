/**
 * Tool request templates. `{{args.order_id}}`, `{{contact.phone}}`, `{{conversation.id}}`,
 * `{{agent.name}}`, `{{secret.shop_token}}`; in a URL, `{order_id}` is short for
 * `{{args.order_id}}`. A value is bound by Parley from where its namespace says: only `args` come
 * from the model, so the customer's phone is the contact's, never one the model chose.
 */
export const namespaces = ['args', 'contact', 'conversation', 'agent', 'secret', 'result'] as const;
export type Namespace = (typeof namespaces)[number];

export interface Placeholder {
  ns: string;
  path: string;
  /** The whole text as written (`{{args.x}}` or `{x}`). */
  raw: string;
}

const DOUBLE = /\{\{\s*([A-Za-z_][\w]*)\.([\w.]+)\s*\}\}/g;
const ANY_DOUBLE = /\{\{([^}]*)\}\}/g;
const SINGLE = /(?<!\{)\{([A-Za-z_]\w*)\}(?!\})/g;

/** Every placeholder in `text`; `{{…}}` that is not `ns.path` comes back with ns '' (an error). */
export function placeholdersIn(text: string, opts: { single?: boolean } = {}): Placeholder[] {
  const out: Placeholder[] = [];
  for (const m of text.matchAll(ANY_DOUBLE)) {
    const inner = /^\s*([A-Za-z_]\w*)\.([\w.]+)\s*$/.exec(m[1]!);
    out.push(inner ? { ns: inner[1]!, path: inner[2]!, raw: m[0] } : { ns: '', path: m[1]!, raw: m[0] });
  }
  if (opts.single) for (const m of text.matchAll(SINGLE)) out.push({ ns: 'args', path: m[1]!, raw: m[0] });
  return out;
}

/** The values a request is built from, by namespace; a path reads nested objects (`attributes.tier`). */
export type Bindings = Partial<Record<Namespace, Record<string, unknown>>>;

export function lookup(bindings: Bindings, ns: string, path: string): unknown {
  let v: unknown = bindings[ns as Namespace];
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const asText = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** Fills a template; `encode` escapes each value (a URL's path and query). */
export function render(
  text: string,
  bindings: Bindings,
  opts: { single?: boolean; encode?: (s: string) => string } = {},
): string {
  const enc = opts.encode ?? ((s: string) => s);
  let out = text.replace(DOUBLE, (_, ns: string, path: string) => enc(asText(lookup(bindings, ns, path))));
  if (opts.single)
    out = out.replace(SINGLE, (_, name: string) => enc(asText(lookup(bindings, 'args', name))));
  return out;
}

/** A JSON body: each string is a template; a string that is one placeholder keeps its value's type. */
export function renderJson(value: unknown, bindings: Bindings): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{\s*([A-Za-z_]\w*)\.([\w.]+)\s*\}\}$/.exec(value);
    if (whole) return lookup(bindings, whole[1]!, whole[2]!) ?? null;
    return render(value, bindings);
  }
  if (Array.isArray(value)) return value.map((v) => renderJson(v, bindings));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, bindings)]));
  return value;
}

/** Every string in a JSON value (the body's templates). */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}
