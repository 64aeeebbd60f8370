import { AnalysisPanel } from './analysis.js';
import { BookingsPanel } from './bookings.js';
import { ContactCsat } from './csat.js';
import { contactName, EraseButton, ErasureStatus } from './erase.js';
import { call, fullTime, html, isAdmin, Link, relativeTime, session, webCallerLabel } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** Live events that change what the panel lists about a contact (a call that books, a lead captured). */
const RELATED_EVENT = /^(booking|lead)\.|^call\.(completed|failed)$/;

/** The customer beside the thread: fields (editable), DND and opt-out, leads, bookings, history. */
export function ContactPanel({ conv, ready, live }) {
  const contactId = conv.contact.id;
  const [contact, setContact] = useState(null);
  const [related, setRelated] = useState({
    leads: [],
    bookings: [],
    conversations: [],
    calls: null,
    duplicates: [],
  });
  const [merging, setMerging] = useState(null);
  const [edit, setEdit] = useState(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  // Set once an admin erased this person: the panel then shows only the erasure.
  const [erasure, setErasure] = useState(null);
  // Bumped by a live event about this contact: the related lists load again.
  const [version, setVersion] = useState(0);

  useEffect(
    () =>
      live?.on((event) => {
        const d = event.data ?? {};
        if (event.event === 'contact.updated' && d.id === contactId) setContact(d);
        else if (RELATED_EVENT.test(event.event) && d.contact_id === contactId) setVersion((n) => n + 1);
      }),
    [contactId],
  );

  useEffect(() => {
    // Loaded once the thread is on screen, so these calls never delay the messages.
    if (!ready) return;
    let gone = false;
    if (!version) setContact(null);
    call('get', '/v1/contacts/{id}', { params: { id: contactId } }).then(
      (c) => !gone && setContact(c),
      (err) => !gone && setError(err.message),
    );
    const list = (loading) =>
      loading.then(
        (r) => r.data,
        () => null,
      );
    Promise.all([
      list(call('get', '/v1/leads', { query: { contact_id: contactId, per_page: 10 } })),
      list(call('get', '/v1/bookings', { query: { contact_id: contactId, per_page: 10 } })),
      list(call('get', '/v1/conversations', { query: { contact_id: contactId, per_page: 10 } })),
      list(call('get', '/v1/calls', { query: { contact_id: contactId, per_page: 10 } })),
      list(call('get', '/v1/contacts/{id}/duplicates', { params: { id: contactId } })),
    ]).then(([leads, bookings, conversations, calls, duplicates]) => {
      if (gone) return;
      setRelated({
        leads: leads ?? [],
        bookings: bookings ?? [],
        conversations: (conversations ?? []).filter((c) => c.id !== conv.id),
        calls,
        duplicates: duplicates ?? [],
      });
    });
    return () => {
      gone = true;
    };
  }, [contactId, ready, version]);

  const patch = async (body) => {
    setError('');
    setSaved('');
    try {
      setContact(await call('patch', '/v1/contacts/{id}', { params: { id: contactId }, body }));
      setSaved('Saved.');
      return true;
    } catch (err) {
      setError(err.message);
      return false;
    }
  };

  const merge = async (other) => {
    setError('');
    try {
      setContact(
        await call('post', '/v1/contacts/{id}/merge', {
          params: { id: contactId },
          body: { other_id: other.id },
        }),
      );
      setSaved(`Merged ${other.name || other.phone || other.email} into this contact.`);
      setMerging(null);
      setVersion((n) => n + 1);
    } catch (err) {
      setError(err.message);
    }
  };

  const exportData = async (format) => {
    setError('');
    setSaved('');
    try {
      await downloadExport(contactId, format);
      setSaved(`Export downloaded (${format.toUpperCase()}).`);
    } catch (err) {
      setError(err.message);
    }
  };

  if (erasure?.erasure.contact_id === contactId)
    return html`<aside class="contact" aria-label="Contact"><h2>Erased</h2><${ErasureStatus} erasure=${erasure.erasure} name=${erasure.name} live=${live} /></aside>`;
  if (!contact)
    return html`<aside class="contact" aria-label="Contact">${error ? html`<p class="error" role="alert">${error}</p>` : html`<p class="muted">Loading…</p>`}</aside>`;

  const save = async (e) => {
    e.preventDefault();
    let attributes;
    try {
      attributes = JSON.parse(edit.attributes || '{}');
    } catch {
      setError('Attributes must be a JSON object, e.g. {"city": "Pune"}.');
      return;
    }
    // Attributes merge on update: a key taken out of the editor is removed with null.
    for (const k of Object.keys(contact.attributes ?? {})) if (!(k in attributes)) attributes[k] = null;
    const ok = await patch({
      name: edit.name || null,
      email: edit.email || null,
      tags: edit.tags
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      attributes,
    });
    if (ok) setEdit(null);
  };

  return html`<aside class="contact" aria-label="Contact">
    <h2>${contact.name || contact.phone || contact.email || webCallerLabel(contact.id)}</h2>
    ${
      edit
        ? html`<form class="stack" onSubmit=${save}>
          <label>Name<input value=${edit.name} onInput=${(e) => setEdit({ ...edit, name: e.currentTarget.value })} /></label>
          <label>Email<input type="email" value=${edit.email} onInput=${(e) => setEdit({ ...edit, email: e.currentTarget.value })} /></label>
          <label>Tags<input value=${edit.tags} onInput=${(e) => setEdit({ ...edit, tags: e.currentTarget.value })} /></label>
          <label>Attributes (JSON)<textarea rows="4" value=${edit.attributes} onInput=${(e) => setEdit({ ...edit, attributes: e.currentTarget.value })}></textarea></label>
          <div class="row"><button class="primary" type="submit">Save</button><button type="button" onClick=${() => setEdit(null)}>Cancel</button></div>
        </form>`
        : html`<dl class="fields">
          <dt>Phone</dt><dd>${contact.phone ?? '—'}</dd>
          <dt>Email</dt><dd>${contact.email ?? '—'}</dd>
          <dt>Tags</dt><dd>${contact.tags.length ? contact.tags.map((t) => html`<span class="tag">${t}</span>`) : '—'}</dd>
          ${Object.entries(contact.attributes ?? {}).map(([k, v]) => html`<dt>${k}</dt><dd>${typeof v === 'string' ? v : JSON.stringify(v)}</dd>`)}
        </dl>
        <button type="button" onClick=${() =>
          setEdit({
            name: contact.name ?? '',
            email: contact.email ?? '',
            tags: contact.tags.join(', '),
            attributes: JSON.stringify(contact.attributes ?? {}, null, 1),
          })}>Edit contact</button>`
    }
    <div class="switches">
      <label><input type="checkbox" checked=${contact.dnd} onChange=${(e) => patch({ dnd: e.currentTarget.checked })} /> Do not disturb</label>
      <label><input type="checkbox" checked=${contact.opted_out} onChange=${(e) => patch({ opted_out: e.currentTarget.checked })} /> Opted out</label>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : saved ? html`<p class="muted small" role="status">${saved}</p>` : null}
    ${related.duplicates.length ? html`<${Duplicates} duplicates=${related.duplicates} merging=${merging} setMerging=${setMerging} merge=${isAdmin() ? merge : null} />` : null}
    ${isAdmin() ? html`<p>Export this person's data: <button type="button" class="link" onClick=${() => exportData('json')}>JSON</button> · <button type="button" class="link" onClick=${() => exportData('zip')}>ZIP with files</button></p>` : null}
    <${EraseButton} contact=${contact} onErased=${(done) => setErasure({ erasure: done, name: contactName(contact) })} />
    <${AnalysisPanel} analysis=${conv.analysis} />
    <${ContactCsat} contactId=${contactId} live=${live} />
    <h3>Leads</h3>
    ${
      related.leads.length
        ? html`<ul class="mini">${related.leads.map((l) => html`<li><strong>${l.intent ?? 'Lead'}</strong> · ${l.status}<br /><span class="muted small">${fullTime(l.created_at)}</span></li>`)}</ul>`
        : html`<p class="muted small">None yet: leads the AI captures in this conversation show here.</p>`
    }
    <${BookingsPanel} conv=${conv} bookings=${related.bookings} onChanged=${() => setVersion((n) => n + 1)} />
    <h3>Other conversations</h3>
    ${
      related.conversations.length
        ? html`<ul class="mini">${related.conversations.map((c) => html`<li><${Link} href=${`/app/c/${c.id}`}>${c.channel} · ${c.status}<//> <span class="muted small">${relativeTime(c.last_message_at)}</span></li>`)}</ul>`
        : html`<p class="muted small">None</p>`
    }
    ${
      related.calls !== null
        ? html`<h3>Calls</h3>
        ${
          related.calls.length
            ? html`<ul class="mini">${related.calls.map((c) => html`<li>${c.direction} · ${c.status}${c.duration_seconds ? ` · ${c.duration_seconds} s` : ''}<br /><span class="muted small">${fullTime(c.queued_at ?? c.created_at)}</span></li>`)}</ul>`
            : html`<p class="muted small">None</p>`
        }`
        : null
    }
  </aside>`;
}

const REASONS = { email: 'same email', phone: 'same phone number', name: 'same name' };

/**
 * Contacts that may be this one, each with a merge that asks once before it moves everything.
 * Merging cannot be undone: admins only (`merge` is null for an agent, who is told so).
 */
function Duplicates({ duplicates, merging, setMerging, merge }) {
  const label = (c) => c.name || c.phone || c.email || c.id;
  return html`<section aria-label="Possible duplicates">
    <h3>Possible duplicates</h3>
    <ul class="mini">${duplicates.map(
      ({ contact: c, reasons }) =>
        html`<li>
          <strong>${label(c)}</strong> <span class="muted small">${[c.phone, c.email].filter(Boolean).join(' · ')} (${reasons.map((r) => REASONS[r] ?? r).join(', ')})</span>
          ${
            !merge
              ? null
              : merging?.id === c.id
                ? html`<p class="small" role="status">Merge ${label(c)} into this contact? Their conversations, calls, leads and bookings move here; this cannot be undone.</p>
                <div class="row"><button type="button" class="primary" onClick=${() => merge(c)}>Merge</button><button type="button" onClick=${() => setMerging(null)}>Cancel</button></div>`
                : html`<button type="button" onClick=${() => setMerging(c)} aria-label=${`Merge ${label(c)} into this contact`}>Merge…</button>`
          }
        </li>`,
    )}</ul>
    ${merge ? null : html`<p class="muted small">An admin can merge them (a merge cannot be undone).</p>`}
  </section>`;
}

/**
 * Everything held about the person (`GET /v1/contacts/{id}/export`, admins only), saved as a
 * file: fetched with the session (a plain link could not carry it) and handed to the browser as
 * a download; `zip` adds their media files and recordings.
 */
async function downloadExport(contactId, format) {
  const res = await fetch(`/v1/contacts/${contactId}/export?format=${format}`, {
    headers: { authorization: `Bearer ${session.current?.token ?? ''}` },
  });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new Error(body?.error?.message ?? `The export failed (${res.status}).`);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `${contactId}.${format}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
