import { contactsCsv, filtersOf, listQuery } from './contacts-rules.js';
import { contactName, EraseButton, ErasureStatus } from './erase.js';
import { api, call, fullTime, html, isAdmin, navigate } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

const PER_PAGE = 25;
/** Rows a CSV export reads at most (100 pages of the list API). */
const EXPORT_MAX_PAGES = 100;

/** The Contacts page: the workspace's contacts, searched and filtered, their duplicates, merge, export, erase. */
export function ContactsPage({ route, live }) {
  const filters = filtersOf(route.query);
  const [result, setResult] = useState({ data: null, meta: null, error: '' });
  const [tab, setTab] = useState(route.query.get('view') === 'duplicates' ? 'duplicates' : 'list');
  const [erased, setErased] = useState([]);
  const [status, setStatus] = useState('');
  const key = JSON.stringify(filters);
  useEffect(() => {
    document.title = 'Contacts · Parley';
  }, []);
  useEffect(() => {
    let gone = false;
    setResult((r) => ({ ...r, data: null, error: '' }));
    api('GET', `/v1/contacts?${listQuery(filters, filters.page, PER_PAGE)}`).then(
      (r) => !gone && setResult({ data: r.data, meta: r.meta, error: '' }),
      (err) => !gone && setResult({ data: [], meta: null, error: err.message }),
    );
    return () => {
      gone = true;
    };
  }, [key]);
  const go = (next) => {
    const merged = { ...filters, ...next };
    const params = new URLSearchParams();
    for (const k of ['q', 'tag', 'attr']) if (merged[k]) params.set(k, merged[k]);
    if (merged.page > 1) params.set('page', String(merged.page));
    navigate(`/app/contacts${params.size ? `?${params}` : ''}`, { replace: true });
  };
  const submit = (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const attr = String(form.get('attr') ?? '').trim();
    if (attr && !/^[A-Za-z0-9_-]{1,64}\s*=/.test(attr)) {
      setResult((r) => ({ ...r, error: 'An attribute filter is key = value, e.g. plan = premium.' }));
      return;
    }
    go({ q: String(form.get('q') ?? ''), tag: String(form.get('tag') ?? ''), attr, page: 1 });
  };
  const exportCsv = async () => {
    setStatus('Exporting…');
    try {
      const all = [];
      for (let page = 1; page <= EXPORT_MAX_PAGES; page++) {
        const r = await api('GET', `/v1/contacts?${listQuery(filters, page, 100)}`);
        all.push(...r.data);
        if (page >= r.meta.total_pages) break;
      }
      const url = URL.createObjectURL(new Blob([contactsCsv(all)], { type: 'text/csv' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'contacts.csv';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus(`Exported ${all.length} contacts (CSV).`);
    } catch (err) {
      setStatus('');
      setResult((r) => ({ ...r, error: err.message }));
    }
  };
  const meta = result.meta;
  return html`<section class="pad contacts-page" aria-label="Contacts">
    <h1>Contacts</h1>
    <div class="row" role="tablist" aria-label="Contacts views">
      <button type="button" role="tab" aria-selected=${tab === 'list'} onClick=${() => setTab('list')}>All contacts</button>
      <button type="button" role="tab" aria-selected=${tab === 'duplicates'} onClick=${() => setTab('duplicates')}>Duplicates</button>
    </div>
    ${
      tab === 'duplicates'
        ? html`<${DuplicateGroups} />`
        : html`<form class="row filters" role="search" aria-label="Find contacts" onSubmit=${submit} key=${key}>
        <label>Search<input name="q" type="search" value=${filters.q} placeholder="Name, phone or email" /></label>
        <label>Tag<input name="tag" value=${filters.tag} placeholder="vip" /></label>
        <label>Attribute<input name="attr" value=${filters.attr} placeholder="plan = premium" /></label>
        <button type="submit" class="primary">Filter</button>
        <button type="button" onClick=${exportCsv}>Export CSV</button>
      </form>
      ${result.error ? html`<p class="error" role="alert">${result.error}</p>` : status ? html`<p class="muted small" role="status">${status}</p>` : null}
      ${erased.map((e) => html`<${ErasureStatus} erasure=${e.erasure} name=${e.name} live=${live} />`)}
      ${
        result.data === null
          ? html`<p class="muted">Loading…</p>`
          : result.data.length
            ? html`<table aria-label="Contacts list"><thead><tr><th>Name</th><th>Phone</th><th>Email</th><th>Tags</th><th>Added</th>${isAdmin() ? html`<th></th>` : null}</tr></thead><tbody>
            ${result.data.map(
              (
                c,
              ) => html`<tr data-contact=${c.id}><td>${c.name ?? '—'}</td><td>${c.phone ?? '—'}</td><td>${c.email ?? '—'}</td>
                <td>${c.tags.map((t) => html`<span class="tag">${t}</span> `)}</td><td>${fullTime(c.created_at)}</td>
                ${
                  isAdmin()
                    ? html`<td><${EraseButton} contact=${c} onErased=${(done) => {
                        setErased((list) => [...list, { erasure: done, name: contactName(c) }]);
                        setResult((r) => ({ ...r, data: r.data.filter((x) => x.id !== c.id) }));
                      }} /></td>`
                    : null
                }</tr>`,
            )}
          </tbody></table>`
            : html`<p class="muted">No contacts match these filters.</p>`
      }
      <${Pager} meta=${meta} go=${go} />`
    }
  </section>`;
}

/** Previous and next pages of the list, or its count when it fits one page. */
function Pager({ meta, go }) {
  if (!meta) return null;
  if (meta.total_pages <= 1)
    return html`<p class="muted small">${meta.total} contact${meta.total === 1 ? '' : 's'}</p>`;
  return html`<nav class="row" aria-label="Pages">
    <button type="button" disabled=${meta.page <= 1} onClick=${() => go({ page: meta.page - 1 })}>Previous</button>
    <span>Page ${meta.page} of ${meta.total_pages} (${meta.total} contacts)</span>
    <button type="button" disabled=${meta.page >= meta.total_pages} onClick=${() => go({ page: meta.page + 1 })}>Next</button>
  </nav>`;
}

const REASONS = { email: 'same email', phone: 'same phone number', name: 'same name' };
const MERGE_REFUSED =
  'You cannot merge contacts: merging needs the privacy:merge permission, which admins hold (a merge cannot be undone). Ask an admin.';

/** The workspace's possible duplicates in groups; an admin keeps one contact of a group and merges the others into it. */
function DuplicateGroups() {
  const [groups, setGroups] = useState(null);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [keep, setKeep] = useState({});
  const [busy, setBusy] = useState(false);
  const load = () =>
    call('get', '/v1/contacts/duplicates', { query: { limit: 100 } }).then(
      (r) => setGroups(r.data),
      (err) => setError(err.message),
    );
  useEffect(() => {
    load();
  }, []);
  const merge = async (group, i) => {
    const keptId = keep[i] ?? group.contacts[0].id;
    const kept = group.contacts.find((c) => c.id === keptId);
    const others = group.contacts.filter((c) => c.id !== keptId);
    if (
      !confirm(
        `Merge ${others.map(contactName).join(', ')} into ${contactName(kept)}? Their conversations, calls, leads and bookings move; this cannot be undone.`,
      )
    )
      return;
    setBusy(true);
    setError('');
    setStatus('');
    try {
      for (const other of others)
        await call('post', '/v1/contacts/{id}/merge', {
          params: { id: keptId },
          body: { other_id: other.id },
        });
      setStatus(
        `Merged ${others.length} contact${others.length === 1 ? '' : 's'} into ${contactName(kept)}.`,
      );
      setKeep({});
    } catch (err) {
      setError(err.status === 403 ? MERGE_REFUSED : err.message);
    } finally {
      setBusy(false);
    }
    load();
  };
  const line = error
    ? html`<p class="error" role="alert">${error}</p>`
    : status
      ? html`<p class="muted small" role="status">${status}</p>`
      : null;
  if (!groups) return line ?? html`<p class="muted">Looking for duplicates…</p>`;
  return html`<div class="stack" aria-label="Duplicate groups">
    ${isAdmin() ? null : html`<p class="muted small">${MERGE_REFUSED}</p>`}
    ${line}
    ${groups.length ? null : html`<p class="muted">No possible duplicates: no two contacts share an email, a phone number or a name.</p>`}
    ${groups.map(
      (
        g,
        i,
      ) => html`<fieldset class="dup-group" aria-label=${`Duplicates: ${g.contacts.map(contactName).join(', ')}`}>
        <legend>${g.contacts.length} contacts · ${g.reasons.map((r) => REASONS[r] ?? r).join(', ')}</legend>
        ${g.contacts.map(
          (
            c,
            j,
          ) => html`<label class="check"><input type="radio" name=${`keep-${i}`} checked=${(keep[i] ?? g.contacts[0].id) === c.id} onChange=${() => setKeep({ ...keep, [i]: c.id })} disabled=${!isAdmin()} />
            Keep <strong>${contactName(c)}</strong> <span class="muted small">${[c.phone, c.email].filter(Boolean).join(' · ')} · added ${fullTime(c.created_at)}${j === 0 ? ' (newest)' : ''}</span></label>`,
        )}
        <button type="button" class="merge-kept" disabled=${busy} onClick=${() => merge(g, i)}>Merge into the one kept</button>
      </fieldset>`,
    )}
  </div>`;
}
