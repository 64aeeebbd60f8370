import { call, copy, fullTime, html, relativeTime, setSession } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** The signed-in person's sign-in security: their second factor and their open sessions. */
export function SecurityPanel() {
  return html`<section aria-label="Security">
    <h2>Two-factor sign-in</h2>
    <${TwoFactor} />
    <h2>Where I am signed in</h2>
    <${Sessions} />
  </section>`;
}

/**
 * The whole page for a session that can only enrol (the workspace requires a second factor): set
 * it up, store the recovery codes, then sign in again with a code, which opens the inbox.
 */
export function EnrolmentRequired() {
  const signOut = (notice) => {
    call('post', '/v1/auth/logout').catch(() => {});
    setSession(null, notice);
  };
  return html`<main class="login">
    <section class="card login-card stack" aria-labelledby="enrol-title">
      <h1 id="enrol-title">Set up two-factor sign-in</h1>
      <p>Your workspace requires a second factor: a code from an authenticator app on your phone. Set it up to open the inbox.</p>
      <${TwoFactor} onDone=${() => signOut('Two-factor sign-in is on. Sign in again with a code from your app.')} />
      <button type="button" class="ghost" onClick=${() => signOut('You signed out.')}>Sign out</button>
    </section>
  </main>`;
}

/** A base32 secret in groups of four, easier to type into an app that cannot scan. */
const grouped = (secret) => secret.replace(/(.{4})(?=.)/g, '$1 ');

/** @param {{ onDone?: () => void }} props `onDone`: called once the recovery codes are stored. */
function TwoFactor({ onDone }) {
  const [enabled, setEnabled] = useState(null);
  const [enrolment, setEnrolment] = useState(null);
  const [codes, setCodes] = useState(null);
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const load = () =>
    call('get', '/v1/me/two-factor').then(
      (r) => setEnabled(r.enabled),
      (err) => setError(err.message),
    );
  useEffect(() => {
    load();
  }, []);
  const act = async (fn) => {
    setBusy(true);
    setError('');
    setStatus('');
    try {
      await fn();
    } catch (err) {
      setError(err.fieldErrors?.length ? `The code ${err.fieldErrors[0].message}.` : err.message);
    } finally {
      setBusy(false);
    }
  };
  const start = () => act(async () => setEnrolment(await call('post', '/v1/me/two-factor')));
  const confirm = (e) => {
    e.preventDefault();
    act(async () => {
      const r = await call('post', '/v1/me/two-factor/confirm', { body: { totp_code: code.trim() } });
      setCodes(r.recovery_codes ?? []);
      setEnrolment(null);
      setCode('');
      setEnabled(true);
    });
  };
  const disable = (e) => {
    e.preventDefault();
    act(async () => {
      const body = useRecovery ? { recovery_code: code.trim() } : { totp_code: code.trim() };
      await call('post', '/v1/me/two-factor/disable', { body });
      setCode('');
      setEnabled(false);
      setStatus('Two-factor sign-in is off: your password alone signs you in.');
    });
  };
  const line = error
    ? html`<p class="error" role="alert">${error}</p>`
    : status
      ? html`<p class="muted small" role="status">${status}</p>`
      : null;
  if (codes)
    return html`<${RecoveryCodes} codes=${codes} onDone=${() => {
      setCodes(null);
      onDone?.();
    }} />`;
  if (enabled === null) return line ?? html`<p class="muted small">Loading…</p>`;
  if (enrolment)
    return html`<form class="stack" onSubmit=${confirm} aria-label="Confirm two-factor sign-in">
      <p>Scan this code with an authenticator app (Google Authenticator, 1Password, Authy…), then type the 6-digit code it shows.</p>
      <img class="qr" width="200" height="200" alt="QR code for your authenticator app" src=${`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qr_svg)}`} />
      <p class="small">Cannot scan? Type this key into the app: <code data-testid="totp-secret" data-secret=${enrolment.secret}>${grouped(enrolment.secret)}</code></p>
      <label>Code from the app<input value=${code} inputmode="numeric" autocomplete="one-time-code" maxlength="10" required onInput=${(e) => setCode(e.currentTarget.value)} /></label>
      ${line}
      <div class="row"><button class="primary" type="submit" disabled=${busy}>Turn on two-factor sign-in</button><button type="button" onClick=${() => setEnrolment(null)}>Cancel</button></div>
    </form>`;
  if (!enabled)
    return html`<p>Off: your password alone signs you in. A second factor keeps your account safe if the password leaks.</p>
      ${line}
      <button type="button" class="primary" disabled=${busy} onClick=${start}>Set up two-factor sign-in</button>`;
  return html`<p><strong>On.</strong> Signing in asks for a code from your authenticator app.</p>
    <form class="inline" onSubmit=${disable} aria-label="Turn off two-factor sign-in">
      <label>${useRecovery ? 'Recovery code' : 'Current code from the app'}<input value=${code} autocomplete="one-time-code" maxlength="20" required onInput=${(e) => setCode(e.currentTarget.value)} /></label>
      <button type="submit" disabled=${busy}>Turn off</button>
      <button type="button" class="link" onClick=${() => setUseRecovery(!useRecovery)}>${useRecovery ? 'Use a code from the app' : 'Use a recovery code'}</button>
    </form>
    ${line}`;
}

/** The recovery codes, shown once: copy or download them before leaving. */
function RecoveryCodes({ codes, onDone }) {
  const [copied, setCopied] = useState(false);
  const text = `Parley recovery codes (each works once)\n\n${codes.join('\n')}\n`;
  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'parley-recovery-codes.txt';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return html`<div class="notice stack" role="status" aria-label="Recovery codes">
    <strong>Two-factor sign-in is on. Your recovery codes: shown only now.</strong>
    <p class="small">Each signs you in once without your phone. Keep them somewhere safe, away from this computer.</p>
    <ul class="codes" data-testid="recovery-codes">${codes.map((c) => html`<li><code>${c}</code></li>`)}</ul>
    <div class="row">
      <button type="button" onClick=${async () => setCopied(await copy(text))}>${copied ? 'Copied' : 'Copy'}</button>
      <button type="button" onClick=${download}>Download</button>
      <button type="button" class="primary" onClick=${onDone}>I have stored them</button>
    </div>
  </div>`;
}

/** @type {Array<[RegExp, string]>} */
const BROWSERS = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
/** @type {Array<[RegExp, string]>} */
const SYSTEMS = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X/, 'macOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome on Linux" from a user agent: enough to tell one's own devices apart. */
export function deviceOf(userAgent) {
  if (!userAgent) return 'An unknown browser';
  const browser =
    BROWSERS.find(([re]) => re.test(userAgent))?.[1] ?? (userAgent.split(/[ /]/)[0] || 'A browser');
  const os = SYSTEMS.find(([re]) => re.test(userAgent))?.[1];
  return os ? `${browser} on ${os}` : browser;
}

function Sessions() {
  const [sessions, setSessions] = useState(null);
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');
  const load = () =>
    call('get', '/v1/me/sessions').then(
      (r) => setSessions(r.data),
      (err) => setError(err.message),
    );
  useEffect(() => {
    load();
  }, []);
  const revoke = async (ids) => {
    setError('');
    setStatus('');
    try {
      for (const id of ids) await call('delete', '/v1/me/sessions/{id}', { params: { id } });
      setStatus(ids.length === 1 ? 'Signed out there.' : `Signed out of ${ids.length} other sessions.`);
    } catch (err) {
      setError(err.message);
    }
    load();
  };
  if (!sessions) return html`<p class="muted small">${error || 'Loading…'}</p>`;
  const others = sessions.filter((s) => !s.current).map((s) => s.id);
  return html`<table aria-label="My sessions"><thead><tr><th>Device</th><th>Address</th><th>Signed in</th><th>Last used</th><th></th></tr></thead><tbody>
      ${sessions.map(
        (s) => html`<tr data-session=${s.id}>
          <td title=${s.user_agent ?? ''}>${deviceOf(s.user_agent)} ${s.current ? html`<span class="badge">This device</span>` : null}</td>
          <td>${s.ip ?? '—'}</td>
          <td>${fullTime(s.created_at)}</td>
          <td>${relativeTime(s.last_seen_at)}</td>
          <td>${s.current ? null : html`<button type="button" aria-label=${`Sign out ${deviceOf(s.user_agent)} (${s.ip ?? 'unknown address'}, signed in ${fullTime(s.created_at)})`} onClick=${() => revoke([s.id])}>Sign out</button>`}</td>
        </tr>`,
      )}
    </tbody></table>
    ${others.length ? html`<button type="button" onClick=${() => revoke(others)}>Sign out everywhere else</button>` : html`<p class="muted small">Signed in only here.</p>`}
    ${error ? html`<p class="error" role="alert">${error}</p>` : status ? html`<p class="muted small" role="status">${status}</p>` : null}`;
}
