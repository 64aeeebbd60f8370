import { api, contactLabel, html, Link, relativeTime } from './lib.js';
import { snippetParts } from './store.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * A search's Messages and Contacts tabs (the Conversations tab is the inbox's own list). Messages:
 * each matching message of the search's conversations (GET /v1/search keeps up to 3 a
 * conversation), newest first, with its words marked; Contacts: the contacts whose name, phone or
 * email matches (GET /v1/contacts?q=), each opening that customer's conversations in any status.
 */
export function SearchResults({ tab, list, filters, setQuery, search, now }) {
  return tab === 'contacts'
    ? html`<${ContactResults} q=${filters.q} setQuery=${setQuery} />`
    : html`<${MessageResults} list=${list} search=${search} now=${now} />`;
}

const who = (m) => (m.direction === 'inbound' ? 'Customer' : m.sender_type === 'ai' ? 'AI' : 'Team');

function MessageResults({ list, search, now }) {
  const rows = list
    .flatMap((conv) => (conv.matches ?? []).map((m) => ({ conv, m })))
    .sort((a, b) => (a.m.created_at < b.m.created_at ? 1 : -1));
  if (!rows.length) return html`<p class="muted pad" role="status">No message matches.</p>`;
  return html`<ul class="conv-list search-messages" aria-label="Matching messages">
    ${rows.map(
      ({ conv, m }) => html`<li key=${m.message_id}>
        <${Link} class="card" href=${`/app/c/${conv.id}${search}`} data-message=${m.message_id}>
          <span class="row">
            <strong class="name">${contactLabel(conv)}</strong>
            <span class="muted small">${who(m)}${conv.status !== 'active' ? ` · ${conv.status}` : ''}</span>
            <time datetime=${m.created_at}>${relativeTime(m.created_at, now)}</time>
          </span>
          <span class="preview match">${snippetParts(m.snippet, m.highlights).map((p) => (p.mark ? html`<mark>${p.text}</mark>` : p.text))}</span>
        <//>
      </li>`,
    )}
  </ul>`;
}

function ContactResults({ q, setQuery }) {
  const [state, setState] = useState({ data: null, total: 0, error: '' });
  useEffect(() => {
    let gone = false;
    setState({ data: null, total: 0, error: '' });
    api('GET', `/v1/contacts?${new URLSearchParams({ q, per_page: '25' })}`).then(
      (r) => !gone && setState({ data: r.data, total: r.meta.total, error: '' }),
      (err) => !gone && setState({ data: [], total: 0, error: err.message }),
    );
    return () => {
      gone = true;
    };
  }, [q]);
  if (state.error) return html`<p class="error pad" role="alert">${state.error}</p>`;
  if (!state.data) return html`<p class="muted pad">Loading…</p>`;
  if (!state.data.length) return html`<p class="muted pad" role="status">No contact matches.</p>`;
  const open = (c) => setQuery({ q: '', in: '', status: 'any', contact: c.id });
  return html`<ul class="conv-list search-contacts" aria-label="Matching contacts">
    ${state.data.map(
      (c) => html`<li key=${c.id}>
        <button type="button" class="card" onClick=${() => open(c)}>
          <span class="row"><strong class="name">${c.name || c.phone || c.email || 'Unnamed'}</strong></span>
          <span class="preview">${[c.phone, c.email].filter(Boolean).join(' · ') || c.id}</span>
        </button>
      </li>`,
    )}
  </ul>
  ${state.total > state.data.length ? html`<p class="muted small pad">${state.total - state.data.length} more: <${Link} href=${`/app/contacts?${new URLSearchParams({ q })}`}>open them on the Contacts page<//>.</p>` : null}`;
}
