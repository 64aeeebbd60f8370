import { call, html } from './lib.js';
import { FILTERS } from './store.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * The list's saved views (GET/POST/DELETE /v1/saved-views): a person's named filters and those
 * shared with the workspace, opened from the "Saved views" button (this file loads on its first
 * click, so the inbox's first screen does not wait for it). Choosing one sets the tab and every
 * filter at once.
 */
export function SavedViews({ view, filters, setQuery, me, onClose }) {
  const [views, setViews] = useState(null);
  const [error, setError] = useState('');
  const reload = () =>
    call('get', '/v1/saved-views').then(
      (r) => setViews(r.data),
      (err) => setError(err.message),
    );
  useEffect(() => {
    reload();
  }, []);
  const current = {
    ...(view !== 'all' ? { view } : {}),
    ...Object.fromEntries(FILTERS.filter((f) => filters[f]).map((f) => [f, filters[f]])),
  };
  const choose = (v) => {
    setQuery(
      Object.fromEntries([['view', v.filters.view ?? ''], ...FILTERS.map((f) => [f, v.filters[f] ?? ''])]),
    );
    onClose();
  };
  const save = async (e) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const name = String(data.get('name') ?? '').trim();
    if (!name) return;
    setError('');
    try {
      await call('post', '/v1/saved-views', {
        body: { name, filters: current, shared: data.get('shared') === 'on' },
      });
      e.currentTarget?.reset?.();
      await reload();
    } catch (err) {
      setError(err.message);
    }
  };
  const remove = async (v) => {
    if (!confirm(`Delete the saved view “${v.name}”?`)) return;
    setError('');
    try {
      await call('delete', '/v1/saved-views/{id}', { params: { id: v.id } });
      await reload();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<div class="saved-views-menu card pad" role="dialog" aria-label="Saved views"
    onKeyDown=${(e) => e.key === 'Escape' && onClose()}>
    ${views === null && !error ? html`<p class="muted small">Loading…</p>` : null}
    ${views?.length === 0 ? html`<p class="muted small">No saved views yet.</p>` : null}
    <ul class="plain">
      ${(views ?? []).map(
        (v) => html`<li key=${v.id}>
          <button type="button" class="link" onClick=${() => choose(v)}>${v.name}</button>
          ${v.shared ? html`<span class="badge">shared</span>` : null}
          ${v.user_id === me ? html`<button type="button" class="ghost small" aria-label=${`Delete view ${v.name}`} onClick=${() => remove(v)}>×</button>` : null}
        </li>`,
      )}
    </ul>
    <form class="row" onSubmit=${save} aria-label="Save this view">
      <input name="name" aria-label="Name of this view" placeholder="Name this view" maxlength="80" required />
      <label class="small"><input type="checkbox" name="shared" /> Shared</label>
      <button type="submit" disabled=${!Object.keys(current).length}>Save view</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </div>`;
}
