import { call as callApi, fullTime, html, parley } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

const ACTIVE = ['queued', 'dialing', 'ringing', 'in_progress'];

/**
 * The calls of a voice conversation: status, the transcript growing live while the call runs
 * (interruptions marked), and the recording when one is kept.
 */
export function CallsPanel({ conv, live }) {
  const [calls, setCalls] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let gone = false;
    callApi('get', '/v1/calls', { query: { contact_id: conv.contact.id, per_page: 20 } }).then(
      (r) =>
        !gone &&
        setCalls((live) => {
          // Call events that arrived while the page was on its way may be newer than its copy.
          const page = r.data.filter((c) => c.conversation_id === conv.id);
          const ahead = (a, b) =>
            Number(!ACTIVE.includes(a.status)) - Number(!ACTIVE.includes(b.status)) ||
            a.transcript.length - b.transcript.length;
          const merged = page.map((c) => {
            const seen = live?.find((l) => l.id === c.id);
            return seen && ahead(seen, c) > 0 ? seen : c;
          });
          const extra = (live ?? []).filter((l) => !page.some((c) => c.id === l.id));
          return [...extra, ...merged].sort((a, b) => b.id.localeCompare(a.id));
        }),
      (err) => !gone && setError(err.status === 404 ? '' : err.message),
    );
    return () => {
      gone = true;
    };
  }, [conv.id]);
  useEffect(
    () =>
      live.on((e) => {
        const d = e.data;
        if (e.event.startsWith('call.') && d.conversation_id === conv.id) {
          setCalls((list) => {
            const rest = (list ?? []).filter((c) => c.id !== d.id);
            return [d, ...rest].sort((a, b) => b.id.localeCompare(a.id));
          });
        } else if (e.event.startsWith('message.') && d.call_id && d.conversation_id === conv.id) {
          // A turn of a running call: the transcript grows before the call object is saved again.
          setCalls((list) =>
            (list ?? []).map((c) =>
              c.id === d.call_id && !c.transcript.some((t) => t.start_ms === d.start_ms && t.text === d.text)
                ? {
                    ...c,
                    transcript: [
                      ...c.transcript,
                      {
                        role: d.direction === 'inbound' ? 'customer' : 'agent',
                        text: d.text,
                        start_ms: d.start_ms,
                        end_ms: d.end_ms,
                        interrupted: d.interrupted,
                      },
                    ],
                  }
                : c,
            ),
          );
        }
      }),
    [conv.id],
  );
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!calls?.length) return null;
  return html`<section class="calls" aria-label="Calls">
    ${calls.map((c) => html`<${Call} key=${c.id} call=${c} />`)}
  </section>`;
}

function Call({ call }) {
  const [error, setError] = useState('');
  const [open, setOpen] = useState(ACTIVE.includes(call.status));
  const active = ACTIVE.includes(call.status);
  const hangup = async () => {
    try {
      await callApi('post', '/v1/calls/{id}/hangup', { params: { id: call.id } });
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<article class=${`call ${active ? 'active' : ''}`} data-status=${call.status}>
    <div class="row">
      <strong>${call.direction === 'inbound' ? 'Incoming call' : 'Outgoing call'}</strong>
      <span class="badge" role="status">${call.status.replace('_', ' ')}</span>
      ${call.duration_seconds != null ? html`<span class="muted small">${call.duration_seconds} s</span>` : null}
      ${call.ended_reason ? html`<span class="muted small">${call.ended_reason.replaceAll('_', ' ')}</span>` : null}
      <span class="muted small">${fullTime(call.answered_at ?? call.queued_at)}</span>
      <span class="spacer"></span>
      ${active ? html`<button type="button" class="danger" onClick=${hangup}>Hang up</button>` : null}
      <button type="button" class="ghost" aria-expanded=${open} onClick=${() => setOpen(!open)}>Transcript (${call.transcript.length})</button>
    </div>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${call.recording_url ? html`<${Recording} url=${call.recording_url} />` : null}
    ${
      open
        ? html`<ol class="transcript" aria-live=${active ? 'polite' : 'off'}>
          ${call.transcript.map(
            (t) =>
              html`<li class=${`turn-${t.role}`}><span class="muted small">${t.role === 'customer' ? 'Customer' : 'Agent'}</span> ${t.text}${t.interrupted ? html` <span class="badge" title="The customer spoke over the agent">interrupted</span>` : null}</li>`,
          )}
          ${call.transcript.length ? null : html`<li class="muted">Nothing said yet.</li>`}
        </ol>`
        : null
    }
  </article>`;
}

/** Parley's own recordings need the session (an <audio src> cannot send it): fetched as a blob. */
function Recording({ url }) {
  const [src, setSrc] = useState(null);
  const [error, setError] = useState('');
  const own = url.startsWith('/') || url.startsWith(location.origin);
  useEffect(() => {
    if (!own) return;
    let objectUrl = null;
    parley
      .download(url.startsWith('/') ? url : url.slice(location.origin.length))
      .then(
        (body) => new Response(body).blob(),
        (err) => Promise.reject(new Error(`The recording could not be loaded (${err.status}).`)),
      )
      .then((b) => {
        objectUrl = URL.createObjectURL(b);
        setSrc(objectUrl);
      })
      .catch((err) => setError(err.message));
    return () => objectUrl && URL.revokeObjectURL(objectUrl);
  }, [url]);
  if (!own)
    return html`<p><a href=${url} target="_blank" rel="noopener noreferrer">Recording</a> (kept by the carrier)</p>`;
  if (error) return html`<p class="error small">${error}</p>`;
  return src
    ? html`<audio controls src=${src} aria-label="Call recording"></audio>`
    : html`<p class="muted small">Loading the recording…</p>`;
}
