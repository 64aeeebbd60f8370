import { call, html } from './lib.js';
import { FILTERS } from './store.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * The list's saved views (GET/POST/DELETE /v1/saved-views): a person's named filters, and those
 * shared with the workspace. Choosing one sets the tab and every filter at once.
 */
export function SavedViews({ view, filters, setQuery }) {
  const [views, setViews] = useState([]);
  const [error, setError] = useState('');
  const reload = () =>
    call('get', '/v1/saved-views').then(
      (r) => setViews(r.data),
      () => setViews([]),
    );
  useEffect(() => {
    reload();
  }, []);
  const current = {
    ...(view !== 'all' ? { view } : {}),
    ...Object.fromEntries(FILTERS.filter((f) => filters[f]).map((f) => [f, filters[f]])),
  };
  const key = (f) => JSON.stringify(Object.entries(f).sort());
  const chosen = views.find((v) => key(v.filters) === key(current));
  const choose = (id) => {
    const v = views.find((x) => x.id === id);
    if (!v) return;
    setQuery(
      Object.fromEntries([['view', v.filters.view ?? ''], ...FILTERS.map((f) => [f, v.filters[f] ?? ''])]),
    );
  };
  const save = async () => {
    const name = prompt('Name this view');
    if (!name?.trim()) return;
    const shared = confirm('Share it with everyone in the workspace? (Cancel: only you)');
    setError('');
    try {
      await call('post', '/v1/saved-views', { body: { name: name.trim(), filters: current, shared } });
      await reload();
    } catch (err) {
      setError(err.message);
    }
  };
  const remove = async () => {
    if (!chosen || !confirm(`Delete the saved view “${chosen.name}”?`)) return;
    setError('');
    try {
      await call('delete', '/v1/saved-views/{id}', { params: { id: chosen.id } });
      await reload();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<div class="saved-views">
    <select aria-label="Saved views" value=${chosen?.id ?? ''} onChange=${(e) => choose(e.currentTarget.value)}>
      <option value="">${views.length ? 'Saved views…' : 'No saved views'}</option>
      ${views.map((v) => html`<option value=${v.id}>${v.name}${v.shared ? ' (shared)' : ''}</option>`)}
    </select>
    <button type="button" class="ghost" onClick=${save} disabled=${!Object.keys(current).length}>Save view</button>
    ${chosen ? html`<button type="button" class="ghost" onClick=${remove}>Delete view</button>` : null}
    ${error ? html`<span class="error" role="alert">${error}</span>` : null}
  </div>`;
}
