import { call, fullTime, html, Link } from './lib.js';
import { applyPreferences, registerWorker } from './notify.js';
import { SecurityPanel } from './security.js';
import { useEffect, useState } from './vendor/hooks.mjs';

const KINDS = [
  ['assigned', 'A conversation is assigned to me'],
  ['mentioned', 'Someone mentions me (@name) in a private note'],
  ['handoff', 'A conversation is handed to people: mine, my team’s or nobody’s yet'],
  ['waiting', 'A customer writes in a handed-off conversation of mine'],
  ['sla', 'An SLA target is missed on a conversation of mine or my team’s'],
];

/** base64url → the bytes PushManager.subscribe wants as applicationServerKey. */
const keyBytes = (b64) =>
  Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

/** The signed-in person's page: what they are told about and how, their browsers, their mentions. */
export function MePage({ live }) {
  const [prefs, setPrefs] = useState(null);
  const [subs, setSubs] = useState([]);
  const [mentions, setMentions] = useState([]);
  const [status, setStatus] = useState('');
  const [error, setError] = useState('');
  const load = () =>
    Promise.all([
      call('get', '/v1/me/notifications').then(setPrefs),
      call('get', '/v1/me/push-subscriptions').then((r) => setSubs(r.data)),
      call('get', '/v1/me/mentions').then((r) => setMentions(r.data)),
    ]).catch((err) => setError(err.message));
  useEffect(() => {
    load();
    return live.on((e) => {
      if (e.event === 'message.note_added')
        call('get', '/v1/me/mentions').then(
          (r) => setMentions(r.data),
          () => {},
        );
    });
  }, []);
  const save = async (patch) => {
    setError('');
    try {
      const next = await call('put', '/v1/me/notifications', { body: patch });
      setPrefs(next);
      applyPreferences(next);
      setStatus('Saved.');
    } catch (err) {
      setError(err.message);
    }
  };
  const allowBrowser = async () => {
    const result = await Notification.requestPermission();
    setStatus(
      result === 'granted'
        ? 'This browser may show notifications.'
        : 'The browser did not allow notifications.',
    );
  };
  const subscribeHere = async () => {
    setError('');
    try {
      if ((await Notification.requestPermission()) !== 'granted')
        throw new Error('The browser did not allow notifications.');
      const reg = (await registerWorker()) ?? (await navigator.serviceWorker?.ready);
      if (!reg?.pushManager) throw new Error('This browser cannot receive Web Push.');
      const { public_key } = await call('get', '/v1/push/key');
      const sub = await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: keyBytes(public_key),
      });
      await call('post', '/v1/me/push-subscriptions', { body: sub.toJSON() });
      setStatus('Push is on for this browser.');
      load();
    } catch (err) {
      setError(err.message);
    }
  };
  const remove = async (id) => {
    await call('delete', '/v1/me/push-subscriptions/{id}', { params: { id } }).catch((err) =>
      setError(err.message),
    );
    load();
  };
  const readAll = async () => {
    await call('post', '/v1/me/mentions/read').catch(() => {});
    load();
  };
  if (!prefs) return html`<p class="muted pad">${error || 'Loading…'}</p>`;
  const unread = mentions.filter((m) => !m.read_at).length;
  return html`<div><section class="pad me-page" aria-label="My notifications">
    <h1>Notifications</h1>
    <fieldset>
      <legend>Tell me when</legend>
      ${KINDS.map(
        ([k, label]) =>
          html`<label class="check"><input type="checkbox" checked=${prefs.events[k]} onChange=${(e) => save({ events: { [k]: e.currentTarget.checked } })} /> ${label}</label>`,
      )}
    </fieldset>
    <fieldset>
      <legend>How</legend>
      <label class="check"><input type="checkbox" checked=${prefs.in_app} onChange=${(e) => save({ in_app: e.currentTarget.checked })} /> A toast in the open inbox</label>
      <label class="check"><input type="checkbox" checked=${prefs.browser} onChange=${(e) => save({ browser: e.currentTarget.checked })} /> The browser’s notification while the inbox is in another tab</label>
      <label class="check"><input type="checkbox" checked=${prefs.push} onChange=${(e) => save({ push: e.currentTarget.checked })} /> Push to my browsers, even with the inbox closed</label>
      <label>An email digest of these <select value=${prefs.email_digest ?? 'off'} onChange=${(e) => save({ email_digest: e.currentTarget.value })}>
        <option value="off">Off</option><option value="hourly">Every hour</option><option value="daily">Every day</option>
      </select></label>
      <div class="row">
        <button type="button" onClick=${allowBrowser}>Allow notifications in this browser</button>
        <button type="button" class="primary" onClick=${subscribeHere}>Turn on push for this browser</button>
      </div>
    </fieldset>
    ${error ? html`<p class="error" role="alert">${error}</p>` : status ? html`<p class="muted small" role="status">${status}</p>` : null}
    <h2>My browsers</h2>
    ${
      subs.length
        ? html`<ul class="mini">${subs.map((s) => html`<li>${s.user_agent ?? 'A browser'} <span class="muted small">since ${fullTime(s.created_at)}${s.last_error ? ` · last push failed: ${s.last_error}` : ''}</span> <button type="button" onClick=${() => remove(s.id)}>Remove</button></li>`)}</ul>`
        : html`<p class="muted small">None: turn push on above to be told with the inbox closed.</p>`
    }
    <h2 id="mentions">Mentions ${unread ? html`<span class="badge">${unread} new</span>` : null}</h2>
    ${unread ? html`<button type="button" onClick=${readAll}>Mark all read</button>` : null}
    ${
      mentions.length
        ? html`<ul class="mini" aria-label="Mentions">${mentions.map((m) => html`<li class=${m.read_at ? '' : 'unread'}><${Link} href=${`/app/c/${m.conversation_id}`}>${m.excerpt}<//> <span class="muted small">${fullTime(m.created_at)}</span></li>`)}</ul>`
        : html`<p class="muted small">Nobody has mentioned you yet. Write @name in a private note to call a teammate in.</p>`
    }
  </section>
  <section class="pad me-page" id="security"><h1>Security</h1><${SecurityPanel} /></section></div>`;
}
