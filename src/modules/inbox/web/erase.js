import { call, Dialog, html, isAdmin } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** What an erasure takes away, as docs/privacy.md says it, for the person who confirms it. */
const ERASED = [
  'the contact: name, phone, email, tags and attributes',
  'the text, files and addresses of their messages, in every conversation',
  'their calls’ recordings and transcripts, the AI’s analyses',
  'the details of their leads, the notes of their bookings, their CSAT comments',
  'their consents and audience memberships',
];

export const contactName = (c) => c?.name || c?.phone || c?.email || 'this person';

/**
 * "Erase this person" (admins: `privacy:erase`), confirmed in a dialog that says what goes and asks
 * for the person's name or ERASE typed out. `onErased(erasure)` is called with the API's answer.
 */
export function EraseButton({ contact, onErased }) {
  const [open, setOpen] = useState(false);
  if (!isAdmin()) return null;
  return html`<button type="button" class="danger" onClick=${() => setOpen(true)}>Erase this person…</button>
    ${
      open
        ? html`<${EraseDialog} contact=${contact} onClose=${() => setOpen(false)} onDone=${(done) => {
            setOpen(false);
            onErased(done);
          }} />`
        : null
    }`;
}

/** An erasure's state (running, then completed when the `contact.erased` live event says so). */
export function ErasureStatus({ erasure: started, name, live }) {
  const [erasure, setErasure] = useState(started);
  useEffect(() => {
    if (erasure.status === 'completed' || !live) return;
    const stop = live.on((e) => {
      if (e.event === 'contact.erased' && e.data?.erasure_id === erasure.id)
        setErasure({ ...erasure, status: 'completed' });
    });
    // The event may have come before this page listened: the erasure says where it is.
    call('get', '/v1/erasures/{id}', { params: { id: erasure.id } }).then(
      (now) => now.status === 'completed' && setErasure(now),
      () => {},
    );
    return stop;
  }, [erasure.id, erasure.status]);
  return html`<p class="notice" role="status" data-testid="erasure">
    ${name} was erased${erasure.status === 'completed' ? ': nothing of them is left.' : ': their messages, calls and the rest are being erased…'}
    <span class="muted small"> (erasure ${erasure.id}, ${erasure.status})</span></p>`;
}

function EraseDialog({ contact, onClose, onDone }) {
  const name = contactName(contact);
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('The person asked for their data to be erased');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const confirmed = typed.trim() === 'ERASE' || (contact.name && typed.trim() === contact.name.trim());
  const submit = async (e) => {
    e.preventDefault();
    if (!confirmed) return;
    setBusy(true);
    setError('');
    try {
      onDone(await call('post', '/v1/contacts/{id}/erase', { params: { id: contact.id }, body: { reason } }));
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Dialog} title=${`Erase ${name}?`} onClose=${onClose}>
    <form class="stack" onSubmit=${submit} aria-label="Erase this person">
      <p>This cannot be undone. Everything that identifies ${name} goes:</p>
      <ul class="mini">${ERASED.map((line) => html`<li>${line}</li>`)}</ul>
      <p class="muted small">Counts stay (reports, conversations and messages without their content).</p>
      <label>Reason (kept on the erasure record)<input value=${reason} required maxlength="500" onInput=${(e) => setReason(e.currentTarget.value)} /></label>
      <label>Type ${contact.name ? html`<strong>${contact.name}</strong> or ` : null}<strong>ERASE</strong> to confirm<input value=${typed} autocomplete="off" onInput=${(e) => setTyped(e.currentTarget.value)} /></label>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <div class="row">
        <button type="submit" class="danger" disabled=${!confirmed || busy}>Erase ${name}</button>
        <button type="button" onClick=${onClose}>Cancel</button>
      </div>
    </form>
  <//>`;
}
