import { useList } from './admin-kit.js';
import { call, html } from './lib.js';
import { useState } from './vendor/hooks.mjs';

/**
 * Manage → Channels: each channel with the channel doctor's result (`POST /v1/channels/{id}/check`,
 * a list of checks, each passed or not with what to do). The doctor asks Meta about a WhatsApp
 * number, so only those channels offer it; the others say so in a plain note, as does a server
 * without the doctor (404).
 */
export function ChannelsAdmin() {
  const [list] = useList('/v1/channels', { query: { per_page: 100 } });
  return html`<section class="stack">
    <p class="muted">Channels are added with the API (<code>POST /v1/channels</code>) or the CLI; check one to see whether it can send and receive.</p>
    ${list.error ? html`<p class="error" role="alert">${list.error}</p>` : null}
    ${list.data === null ? html`<p class="muted">Loading…</p>` : null}
    ${list.data?.length === 0 ? html`<p class="muted">No channel yet.</p>` : null}
    ${(list.data ?? []).map((c) => html`<${ChannelCard} key=${c.id} c=${c} />`)}
  </section>`;
}

const passed = (check) =>
  check.ok === true || check.status === 'ok' || check.status === 'pass' || check.status === 'passed';

function ChannelCard({ c }) {
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      setResult({
        checks: (await call('post', '/v1/channels/{id}/check', { params: { id: c.id } }))?.checks ?? [],
      });
    } catch (err) {
      setResult(err.status === 404 ? { unavailable: true } : { error: err.message });
    } finally {
      setBusy(false);
    }
  };
  const checkable = c.type === 'whatsapp' && c.provider === 'meta';
  return html`<article class="card pad stack" aria-label=${`Channel ${c.address}`}>
    <div class="row"><strong>${c.address}</strong><span class="badge">${c.type}</span><span class="badge">${c.provider}</span>
      <span class="muted small">${c.status}</span><span class="spacer"></span>
      ${checkable ? html`<button type="button" onClick=${run} disabled=${busy}>${busy ? 'Checking…' : 'Check'}</button>` : null}</div>
    ${checkable ? null : html`<p class="muted small" role="status">The channel doctor checks WhatsApp numbers on Meta's Cloud API; this channel has nothing for it to check.</p>`}
    ${result?.unavailable ? html`<p class="muted" role="status">This server has no channel check yet.</p>` : null}
    ${result?.error ? html`<p class="error" role="alert">${result.error}</p>` : null}
    ${
      result?.checks
        ? html`<ul class="checks" aria-label=${`Checks of ${c.address}`}>${result.checks.map(
            (k) => html`<li class=${passed(k) ? 'ok' : 'bad'}>
              <span aria-hidden="true">${passed(k) ? '✓' : '✗'}</span> <strong>${k.title ?? k.name ?? k.id ?? 'Check'}</strong>
              ${k.message || k.detail ? html` · <span>${k.message ?? k.detail}</span>` : null}
              ${!passed(k) && (k.fix || k.hint) ? html`<div class="muted small">${k.fix ?? k.hint}</div>` : null}
            </li>`,
          )}</ul>`
        : null
    }
  </article>`;
}
