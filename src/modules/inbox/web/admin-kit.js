import { api, call, copy, html } from './lib.js';

/** @typedef {import('./lib.js').ListState} ListState */
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * What the team-operations admin pages share: a list loaded from the API, and a form described by
 * its fields whose API errors are shown next to the field they name (`errors[].field`, dotted for
 * nested ones: `actions.1.canned_response_id` shows beside "Actions").
 *
 * A field: `{name, label, type, options?, help?, placeholder?, required?}` where `type` is `text`,
 * `textarea`, `number` (empty is null), `password` (a secret typed unseen), `checkbox`, `select`, `checks` (a closed list, one checkbox each), `list` (words separated by commas), `rows` (a list of objects edited as a
 * table: `columns`, `toRows(value)`, `fromRows(rows)`, `blank`; an error on `actions.1.tags` shows
 * in row 2) or `json` (parsed before sending; a parse error is shown at the field and nothing is
 * sent; kept for free-form values only). `name` may be dotted (`out_of_hours.message`):
 * the body gets the nested object.
 */

/** The field an error belongs to: the longest field name that is the error's field or a prefix of it. */
export function fieldOf(errorField, names) {
  let best = null;
  for (const n of names)
    if ((errorField === n || errorField.startsWith(`${n}.`)) && (!best || n.length > best.length)) best = n;
  return best;
}

/** Sorts the API's errors onto the form's fields; what matches none goes on the form's top. */
export function errorsByField(errors, names) {
  const byField = {};
  const rest = [];
  for (const e of errors ?? []) {
    const f = fieldOf(e.field ?? '', names);
    const text = f && e.field !== f ? `${e.field.slice(f.length + 1)}: ${e.message}` : e.message;
    if (f) byField[f] = byField[f] ? `${byField[f]}; ${text}` : text;
    else rest.push(e.field ? `${e.field}: ${e.message}` : e.message);
  }
  return { byField, rest };
}

const get = (obj, path) => path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj);
function set(obj, path, value) {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]] = value;
}

/** The form's values from an item (or the defaults for a new one), as the inputs hold them. */
export function valuesOf(fields, item) {
  const out = {};
  for (const f of fields) {
    const v = item ? get(item, f.name) : f.default;
    if (f.type === 'checkbox') out[f.name] = !!(v ?? f.default);
    else if (f.type === 'json') out[f.name] = JSON.stringify(v ?? f.default ?? null, null, 2);
    else if (f.type === 'rows') out[f.name] = f.toRows(v ?? f.default ?? []);
    else if (f.type === 'list') out[f.name] = (v ?? f.default ?? []).join(', ');
    else if (f.type === 'checks') out[f.name] = [...(v ?? f.default ?? [])];
    else out[f.name] = v == null ? '' : String(v);
  }
  return out;
}

/** The request body from the inputs; throws `{field, message}` when a JSON field does not parse. */
export function bodyOf(fields, values) {
  const body = {};
  for (const f of fields) {
    if (f.readOnly) continue;
    const raw = values[f.name];
    if (f.omitEmpty && raw === '') continue;
    set(body, f.name, inputValue(f, raw));
  }
  return body;
}

/** One input's value as the API takes it. */
function inputValue(f, raw) {
  switch (f.type) {
    case 'checkbox':
      return !!raw;
    case 'number':
      return raw === '' ? null : Number(raw);
    case 'rows':
      return f.fromRows(raw);
    case 'checks':
      return raw;
    case 'list':
      return String(raw ?? '')
        .split(',')
        .map((w) => w.trim())
        .filter(Boolean);
    case 'json':
      try {
        return JSON.parse(raw || 'null');
      } catch (err) {
        throw { field: f.name, message: `is not valid JSON (${err.message})` };
      }
    default:
      return f.emptyIsNull && raw === '' ? null : raw;
  }
}

/**
 * A list from the API with its reload: `path` is a GET route's template (checked against the
 * OpenAPI document), `options` its `params` and `query` as `call()` takes them. `data` is null
 * while loading (again when the path or options change), `status` the HTTP status when it failed.
 * A null `path` is an empty list (nothing to load yet).
 * @template {import('./vendor/sdk/browser.js').PathsWith<'get'>} P
 * @param {P | null} path
 * @param {{ params?: Record<string, string>, query?: Record<string, unknown> }} [options]
 * @returns {[ListState, () => Promise<void>]}
 */
export function useList(path, options) {
  const [state, setState] = useState(/** @type {ListState} */ ({ data: null, error: '' }));
  const key = path ? JSON.stringify([path, options]) : '';
  const reload = async () => {
    if (!path) return setState({ data: [], error: '' });
    // The template is checked where useList is called; the list's items are the page's to read.
    /** @type {Promise<any>} */
    const loading = call('get', /** @type {any} */ (path), /** @type {any} */ (options));
    await loading.then(
      (r) => setState({ data: r.data ?? r, error: '' }),
      (err) => setState({ data: [], error: err.message, status: err.status }),
    );
  };
  useEffect(() => {
    setState({ data: null, error: '' });
    reload();
  }, [key]);
  return [state, reload];
}

/**
 * An action's busy and error state, for the buttons and the short forms of a page: `run(fn)`
 * answers what `fn` answers, or undefined when it threw (the error, with the API's field errors,
 * is then in `error`); inputs stay as typed when the API refuses.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  /**
   * @template T
   * @param {() => Promise<T>} fn
   * @returns {Promise<T | undefined>}
   */
  const run = async (fn) => {
    setBusy(true);
    setError('');
    try {
      return await fn();
    } catch (err) {
      const fields = err.fieldErrors?.length
        ? ` (${err.fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; ')})`
        : '';
      setError(err.message + fields);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}

/** A page's error line (nothing when there is none). */
export const ErrorLine = ({ error }) => (error ? html`<p class="error" role="alert">${error}</p>` : null);

/** A submitted form's inputs by name (the event's form). */
export const formValues = (e) =>
  /** @type {Record<string, any>} */ (Object.fromEntries(new FormData(e.currentTarget).entries()));

/** A secret shown once, with a copy button and a plain warning. */
export function SecretOnce({ label, value, onDone }) {
  const [copied, setCopied] = useState(false);
  return html`<div class="notice stack" role="status">
    <strong>${label}: shown only now. Store it somewhere safe.</strong>
    <code class="secret" data-testid="secret">${value}</code>
    <div class="row">
      <button type="button" onClick=${async () => setCopied(await copy(value))}>${copied ? 'Copied' : 'Copy'}</button>
      <button type="button" onClick=${onDone}>Done</button>
    </div>
  </div>`;
}

/**
 * The fields an edit sends: those whose input changed, with every field under the same top-level
 * key (`applies_to.tags` changed sends `applies_to.channels` too, as the API replaces the object).
 */
function changedFields(fields, values, shown) {
  const top = (f) => f.name.split('.')[0];
  const changed = new Set(
    fields.filter((f) => JSON.stringify(values[f.name]) !== JSON.stringify(shown[f.name])).map(top),
  );
  return fields.filter((f) => !f.readOnly && changed.has(top(f)));
}

/**
 * A form of `fields`: `submit(body)` is called with the body; when the API refuses, its errors
 * are shown beside the fields they name and the values stay as typed.
 */
export function ApiForm({ fields, item, submit, onDone, onCancel, label, submitLabel = 'Save' }) {
  const [values, setValues] = useState(() => valuesOf(fields, item));
  // What the form showed at first: an edit sends only what the person changed.
  const [shown] = useState(() => values);
  const [errors, setErrors] = useState({ byField: {}, rest: [], raw: [] });
  const [busy, setBusy] = useState(false);
  const names = fields.map((f) => f.name);
  const { errorAt } = errorFinder(errors.raw ?? []);
  const onSubmit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErrors({ byField: {}, rest: [], raw: [] });
    try {
      const sent = item ? changedFields(fields, values, shown) : fields;
      // Saved unchanged: nothing is sent, nothing changes.
      const saved = item && !sent.length ? item : await submit(bodyOf(sent, values));
      onDone?.(saved);
    } catch (err) {
      if (err.field) setErrors({ byField: { [err.field]: err.message }, rest: [], raw: [] });
      else {
        const sorted = errorsByField(err.fieldErrors, names);
        if (!sorted.rest.length && !Object.keys(sorted.byField).length) sorted.rest.push(err.message);
        else if (sorted.rest.length || err.code !== 'validation_failed') sorted.rest.unshift(err.message);
        setErrors({ ...sorted, raw: err.fieldErrors ?? [] });
      }
    } finally {
      setBusy(false);
    }
  };
  const change = (name, v) => setValues((old) => ({ ...old, [name]: v }));
  const input = (f) =>
    f.type === 'rows'
      ? html`<div class="field"><${RowsTable} label=${f.label} rows=${values[f.name]} columns=${f.columns} path=${f.name} errorAt=${errorAt}
          onChange=${(v) => change(f.name, v)} blank=${f.blank} addLabel=${f.addLabel} />${f.help ? html`<span class="muted small">${f.help}</span>` : null}</div>`
      : html`<${Field} f=${f} id=${`f-${label.replace(/\W+/g, '-')}-${f.name.replace(/\W+/g, '-')}`} value=${values[f.name]}
      error=${errors.byField[f.name]} onChange=${(v) => change(f.name, v)} />`;
  return html`<form class="admin-form card pad" aria-label=${label} onSubmit=${onSubmit} novalidate>
    ${errors.rest.length ? html`<p class="error" role="alert">${errors.rest.join(' ')}</p>` : null}
    ${fields.map(input)}
    <div class="row">
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Saving…' : submitLabel}</button>
      ${onCancel ? html`<button type="button" onClick=${onCancel}>Cancel</button>` : null}
    </div>
  </form>`;
}

/**
 * A list of items with create, edit and delete: `path` is the collection (`/v1/macros`), `fields`
 * the form, `summary(item)` what a row shows, `noun` the thing's name ("macro").
 */
/** `fixed(item)`: an item shown without Edit and Delete (a built-in). */
export function CrudPage({ path, fields, editFields, summary, noun, intro, onChange, fixed }) {
  const [list, reload] = useList(path, { query: { per_page: 100 } });
  const [editing, setEditing] = useState(null);
  const [error, setError] = useState('');
  const done = () => {
    setEditing(null);
    reload();
    onChange?.();
  };
  const remove = async (item) => {
    if (!confirm(`Delete the ${noun} “${item.name ?? item.title ?? item.id}”?`)) return;
    setError('');
    try {
      await api('DELETE', `${path}/${item.id}`);
      reload();
      onChange?.();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<section class="stack">
    ${intro ? html`<p class="muted">${intro}</p>` : null}
    ${error || list.error ? html`<p class="error" role="alert">${error || list.error}</p>` : null}
    ${
      editing === 'new'
        ? html`<${ApiForm} fields=${fields} label=${`New ${noun}`} submitLabel=${`Create ${noun}`}
            submit=${(body) => api('POST', path, body)} onDone=${done} onCancel=${() => setEditing(null)} />`
        : html`<div class="row"><button type="button" class="primary" onClick=${() => setEditing('new')}>New ${noun}</button></div>`
    }
    ${list.data === null ? html`<p class="muted">Loading…</p>` : null}
    ${list.data?.length === 0 ? html`<p class="muted">No ${noun} yet.</p>` : null}
    ${(list.data ?? []).map((item) =>
      editing === item.id
        ? html`<${ApiForm} key=${item.id} fields=${editFields ?? fields} item=${item} label=${`Edit ${noun} ${item.name ?? item.title ?? item.id}`}
            submit=${(body) => api('PATCH', `${path}/${item.id}`, body)} onDone=${done} onCancel=${() => setEditing(null)} />`
        : html`<article key=${item.id} class="card pad" aria-label=${`${noun} ${item.name ?? item.title ?? item.id}`}>
            <div class="row">${summary(item)}<span class="spacer"></span>
              ${
                fixed?.(item)
                  ? null
                  : html`<button type="button" onClick=${() => setEditing(item.id)}>Edit</button>
              <button type="button" class="danger" onClick=${() => remove(item)}>Delete</button>`
              }
            </div>
          </article>`,
    )}
  </section>`;
}

/** The input of one field, its help, and the API's error for it. */
function Field({ f, id, value, error, onChange }) {
  const common = {
    id,
    name: f.name,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': error ? `${id}-error` : undefined,
    disabled: f.readOnly,
  };
  if (f.type === 'checks')
    return html`<${ChecksField} f=${f} id=${id} value=${value} error=${error} onChange=${onChange} />`;
  let control;
  if (f.type === 'checkbox')
    control = html`<input type="checkbox" ...${common} checked=${value} onChange=${(e) => onChange(e.currentTarget.checked)} />`;
  else if (f.type === 'select')
    control = html`<select ...${common} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
      ${f.options.map(([v, text]) => html`<option value=${v}>${text}</option>`)}
    </select>`;
  else if (f.type === 'textarea' || f.type === 'json')
    control = html`<textarea ...${common} class=${f.type === 'json' ? 'mono' : ''} rows=${f.rows ?? (f.type === 'json' ? 6 : 3)}
      placeholder=${f.placeholder ?? ''} value=${value} onInput=${(e) => onChange(e.currentTarget.value)}></textarea>`;
  else
    control = html`<input ...${common} type=${f.type === 'number' || f.type === 'password' ? f.type : 'text'} required=${!!f.required}
      placeholder=${f.placeholder ?? ''} value=${value} onInput=${(e) => onChange(e.currentTarget.value)} />`;
  return html`<div class="field">
    ${f.type === 'checkbox' ? html`<label for=${id}>${control} ${f.label}</label>` : html`<label for=${id}>${f.label}</label>${control}`}
    ${f.help ? html`<span class="muted small">${f.help}</span>` : null}
    ${error ? html`<span class="field-error" id=${`${id}-error`} role="alert">${error}</span>` : null}
  </div>`;
}

/** A closed list chosen by checkboxes (`options` as [value, text]); a stored value outside it stays checked. */
function ChecksField({ f, id, value, error, onChange }) {
  const options = [
    ...f.options,
    ...value.filter((v) => !f.options.some(([o]) => o === v)).map((v) => [v, v]),
  ];
  const toggle = (v, on) => onChange(on ? [...value, v] : value.filter((x) => x !== v));
  return html`<fieldset class="field checks" id=${id} aria-describedby=${error ? `${id}-error` : undefined}>
    <legend>${f.label}</legend>
    ${options.map(([v, text]) => html`<label><input type="checkbox" name=${f.name} value=${v} checked=${value.includes(v)} disabled=${f.readOnly} onChange=${(e) => toggle(v, e.currentTarget.checked)} /> ${text}</label>`)}
    ${f.help ? html`<span class="muted small">${f.help}</span>` : null}
    ${error ? html`<span class="field-error" id=${`${id}-error`} role="alert">${error}</span>` : null}
  </fieldset>`;
}

/**
 * `errorAt(path, exact?, unclaimedOnly?)`: the API's errors for `path` (and, unless exact, under
 * it), as one text with each nested field named relative to `path`. Each error shown is claimed, so
 * the form can say on its top what no input showed.
 */
export function errorFinder(errors) {
  const claimed = new Set();
  const errorAt = (path, exact = false, unclaimedOnly = false) => {
    const mine = errors.filter(
      (e) =>
        (e.field === path || (!exact && e.field.startsWith(`${path}.`))) &&
        !(unclaimedOnly && claimed.has(e)),
    );
    for (const e of mine) claimed.add(e);
    return mine
      .map((e) => (e.field === path ? e.message : `${e.field.slice(path.length + 1)}: ${e.message}`))
      .join('; ');
  };
  return { errorAt, claimed };
}

/**
 * A settings form whose inputs are drawn by the page (a week grid, a table of rows): it keeps the
 * value, sends `toBody(value)` with `save`, and hands `errorAt(path)` to the page, which shows the
 * API's errors for `path` and everything under it beside that input. What no shown input claims is
 * said on the form's top, so no error is ever lost.
 */
export function SettingsForm({ label, initial, save, toBody, onSaved, children, submitLabel = 'Save' }) {
  const [value, setValue] = useState(initial);
  const [errors, setErrors] = useState(/** @type {Array<{field: string, message: string}>} */ ([]));
  const [top, setTop] = useState('');
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const claimed = new Set();
  const errorAt = (path, exact = false) => {
    const mine = errors.filter((e) => e.field === path || (!exact && e.field.startsWith(`${path}.`)));
    for (const e of mine) claimed.add(e);
    return mine
      .map((e) => (e.field === path ? e.message : `${e.field.slice(path.length + 1)}: ${e.message}`))
      .join('; ');
  };
  const onSubmit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setErrors([]);
    setTop('');
    setSaved(false);
    try {
      onSaved?.(await save(toBody(value)));
      setSaved(true);
    } catch (err) {
      setErrors(err.fieldErrors ?? []);
      setTop(err.message);
    } finally {
      setBusy(false);
    }
  };
  const body = children(value, setValue, errorAt);
  const unclaimed = errors.filter((e) => !claimed.has(e));
  return html`<form class="admin-form card pad stack" aria-label=${label} onSubmit=${onSubmit} novalidate>
    <h3>${label}</h3>
    ${top && (unclaimed.length || !errors.length) ? html`<p class="error" role="alert">${top}${unclaimed.map((x) => ` ${x.field}: ${x.message}.`).join('')}</p>` : null}
    ${body}
    <div class="row">
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Saving…' : submitLabel}</button>
      ${saved ? html`<span class="muted small" role="status">Saved.</span>` : null}
    </div>
  </form>`;
}

/** The API's error beside an input (`id` ties it to the input's aria-describedby). */
export const FieldErrorText = ({ id, error }) =>
  error ? html`<span class="field-error" id=${id} role="alert">${error}</span>` : null;

/**
 * Rows of a list edited as a table (services, analysis fields, automation conditions): `columns`
 * are `{key, label, type?, options?, width?}`; `path` is the list's field path for errors, so an
 * error on `path.2.price` shows in row 3 beside its price.
 */
/** One cell's input: a column's type and options may depend on its row (a closed list for some fields only). */
function cellInput(r, c, common, change) {
  const v = r[c.key] ?? '';
  if (c.hidden?.(r)) return html`<span class="muted small">—</span>`;
  const type = typeof c.type === 'function' ? c.type(r) : c.type;
  if (type === 'select') {
    const options = typeof c.options === 'function' ? c.options(r) : c.options;
    // A value the list does not hold (stored by the API) stays shown and chosen.
    const choices = v !== '' && !options.some(([o]) => o === v) ? [[v, v], ...options] : options;
    return html`<select ...${common} value=${v} onChange=${(e) => change(e.currentTarget.value)}>${v === '' ? html`<option value="" disabled>Choose…</option>` : null}${choices.map(([o, t]) => html`<option value=${o}>${t}</option>`)}</select>`;
  }
  if (type === 'checkbox')
    return html`<input type="checkbox" ...${common} checked=${!!v} onChange=${(e) => change(e.currentTarget.checked)} />`;
  return html`<input ...${common} type=${type ?? 'text'} value=${v} list=${c.list} placeholder=${c.placeholder?.(r) ?? ''} onInput=${(e) => change(e.currentTarget.value)} />`;
}

export function RowsTable({ label, rows, columns, path, errorAt, onChange, blank, addLabel = 'Add a row' }) {
  const set = (i, key, v) => onChange(rows.map((r, n) => (n === i ? { ...r, [key]: v } : r)));
  const cell = (r, i, c) => {
    const id = `${path}-${i}-${c.key}`.replace(/\W+/g, '-');
    const error = errorAt(`${path}.${i}.${c.key}`);
    const common = {
      id,
      'aria-label': `${c.label} (row ${i + 1})`,
      'aria-invalid': error ? 'true' : undefined,
      'aria-describedby': error ? `${id}-error` : undefined,
    };
    const input = cellInput(r, c, common, (v) => set(i, c.key, v));
    return html`<td>${input}<${FieldErrorText} id=${`${id}-error`} error=${error} /></td>`;
  };
  const listError = errorAt(path, true);
  return html`<fieldset class="rows-table"><legend>${label}</legend>
    <table><thead><tr>${columns.map((c) => html`<th>${c.label}</th>`)}<th></th></tr></thead>
    <tbody>${rows.map(
      (r, i) => html`<tr>${columns.map((c) => cell(r, i, c))}
        <td><button type="button" class="ghost" aria-label=${`Remove row ${i + 1}`} onClick=${() => onChange(rows.filter((_, n) => n !== i))}>×</button>
          <${FieldErrorText} id=${`${path}-${i}-error`.replace(/\W+/g, '-')} error=${errorAt(`${path}.${i}`, false, true)} /></td></tr>`,
    )}</tbody></table>
    ${columns.filter((c) => c.list && c.suggestions).map((c) => html`<datalist id=${c.list}>${c.suggestions.map((o) => html`<option value=${o} />`)}</datalist>`)}
    ${rows.length === 0 ? html`<p class="muted small">None yet.</p>` : null}
    <button type="button" onClick=${() => onChange([...rows, { ...blank }])}>${addLabel}</button>
    <${FieldErrorText} id=${`${path}-error`.replace(/\W+/g, '-')} error=${listError} />
  </fieldset>`;
}
