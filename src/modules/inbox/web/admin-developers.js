import { ErrorLine, formValues, SecretOnce, useAction, useList } from './admin-kit.js';
import { call, fullTime, html } from './lib.js';
import { useState } from './vendor/hooks.mjs';

/** Manage's pages for developers: API keys, and webhooks with their delivery log. */

export function Keys() {
  const [list, reload] = useList('/v1/api-keys', { query: { per_page: 100 } });
  const [created, setCreated] = useState(null);
  const form = useAction();
  const create = (e) => {
    e.preventDefault();
    const { name, scopes } = formValues(e);
    const target = e.currentTarget;
    form.run(async () => {
      const body = { name };
      const s = String(scopes)
        .split(/[\s,]+/)
        .filter(Boolean);
      if (s.length) body.scopes = s;
      setCreated(await call('post', '/v1/api-keys', { body }));
      target.reset();
      reload();
    });
  };
  const revoke = (k) =>
    confirm(`Revoke ${k.name ?? k.prefix}? Programs using it stop working at once.`) &&
    form.run(async () => {
      await call('delete', '/v1/api-keys/{id}', { params: { id: k.id } });
      reload();
    });
  return html`<section>
    ${created ? html`<${SecretOnce} label=${`Key ${created.name ?? created.prefix}`} value=${created.key} onDone=${() => setCreated(null)} />` : null}
    <form class="inline" onSubmit=${create} aria-label="Create an API key">
      <label>Name<input name="name" required placeholder="CRM integration" /></label>
      <label>Scopes (optional)<input name="scopes" placeholder="* or messages:write conversations:read" /></label>
      <button class="primary" type="submit" disabled=${form.busy}>Create key</button>
    </form>
    <${ErrorLine} error=${form.error || list.error} />
    <p class="muted small">Keys of this mode only: a session in test mode manages test keys.</p>
    <table><thead><tr><th>Name</th><th>Prefix</th><th>Scopes</th><th>Last used</th><th>Status</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (k) => html`<tr>
          <td>${k.name ?? '—'}</td><td><code>${k.prefix}…</code></td><td>${k.scopes.join(' ')}</td>
          <td>${fullTime(k.last_used_at) || 'never'}</td><td>${k.revoked_at ? `revoked ${fullTime(k.revoked_at)}` : 'active'}</td>
          <td>${k.revoked_at ? null : html`<button type="button" class="danger" onClick=${() => revoke(k)} aria-label=${`Revoke ${k.name ?? k.prefix}`}>Revoke</button>`}</td>
        </tr>`,
      )}
    </tbody></table>
  </section>`;
}

export function Webhooks() {
  const [list, reload] = useList('/v1/webhooks', { query: { per_page: 100 } });
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(null);
  const form = useAction();
  const create = (e) => {
    e.preventDefault();
    const { url, events, description } = formValues(e);
    const target = e.currentTarget;
    form.run(async () => {
      // The event names as typed (`*` and `message.*` included): the API checks each one.
      /** @type {any[]} */
      const ev = String(events)
        .split(/[\s,]+/)
        .filter(Boolean);
      const wh = await call('post', '/v1/webhooks', {
        body: { url, events: ev.length ? ev : ['*'], ...(description ? { description } : {}) },
      });
      setSecret({ label: `Signing secret of ${wh.url}`, value: wh.secret });
      target.reset();
      reload();
    });
  };
  const act = (fn) =>
    form.run(async () => {
      await fn();
      reload();
    });
  return html`<section>
    ${secret ? html`<${SecretOnce} label=${secret.label} value=${secret.value} onDone=${() => setSecret(null)} />` : null}
    <form class="inline" onSubmit=${create} aria-label="Create a webhook">
      <label>URL<input name="url" type="url" required placeholder="https://example.com/parley/webhooks" size="36" /></label>
      <label>Events (default all)<input name="events" placeholder="message.received conversation.escalated" size="30" /></label>
      <label>Description<input name="description" placeholder="CRM sync" /></label>
      <button class="primary" type="submit" disabled=${form.busy}>Create webhook</button>
    </form>
    <${ErrorLine} error=${form.error || list.error} />
    <table><thead><tr><th>URL</th><th>Events</th><th>Status</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (w) => html`<tr>
          <td>${w.url}${w.description ? html`<br /><span class="muted small">${w.description}</span>` : null}</td>
          <td>${w.events.join(' ')}</td><td>${w.status}</td>
          <td class="row">
            <button type="button" aria-expanded=${open === w.id} onClick=${() => setOpen(open === w.id ? null : w.id)}>Deliveries</button>
            <button type="button" onClick=${() => act(() => call('post', '/v1/webhooks/{id}/test', { params: { id: w.id } }))}>Send test</button>
            <button type="button" onClick=${() =>
              form.run(async () => {
                const r = await call('post', '/v1/webhooks/{id}/rotate-secret', {
                  params: { id: w.id },
                  body: {},
                });
                setSecret({ label: `New signing secret of ${w.url}`, value: r.secret });
              })}>Rotate secret</button>
            <button type="button" onClick=${() => act(() => call('patch', '/v1/webhooks/{id}', { params: { id: w.id }, body: { status: w.status === 'enabled' ? 'disabled' : 'enabled' } }))}>${w.status === 'enabled' ? 'Disable' : 'Enable'}</button>
            <button type="button" class="danger" onClick=${() => confirm(`Delete the webhook to ${w.url}?`) && act(() => call('delete', '/v1/webhooks/{id}', { params: { id: w.id } }))}>Delete</button>
          </td>
        </tr>
        ${open === w.id ? html`<tr><td colspan="4"><${Deliveries} id=${w.id} /></td></tr>` : null}`,
      )}
    </tbody></table>
  </section>`;
}

function Deliveries({ id }) {
  const [list, reload] = useList('/v1/webhooks/{id}/deliveries', { params: { id }, query: { per_page: 50 } });
  const form = useAction();
  return html`<div>
    <div class="row"><strong>Delivery log</strong><button type="button" onClick=${reload}>Refresh</button></div>
    <${ErrorLine} error=${form.error || list.error} />
    ${list.data?.length === 0 ? html`<p class="muted">No deliveries yet.</p>` : null}
    <table><thead><tr><th>Event</th><th>State</th><th>Attempts</th><th></th></tr></thead><tbody>
      ${(list.data ?? []).map(
        (d) => html`<tr>
          <td>${d.event_type}<br /><code class="small">${d.event_id}</code></td><td>${d.state}</td>
          <td>${(d.attempts ?? []).map((a) => html`<div class="small">${fullTime(a.at)} · ${a.status_code ?? '—'} · ${a.duration_ms ?? '—'} ms${a.error ? ` · ${a.error}` : ''}</div>`)}</td>
          <td><button type="button" onClick=${() =>
            form.run(async () => {
              await call('post', '/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver', {
                params: { id, delivery_id: d.id },
              });
              reload();
            })}>Redeliver</button></td>
        </tr>`,
      )}
    </tbody></table>
  </div>`;
}
