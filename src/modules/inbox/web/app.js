import { HealthBanner } from './health-banner.js';
import { Inbox } from './inbox.js';
import {
  call,
  callAnonymous,
  Dialog,
  html,
  isAdmin,
  isTyping,
  Link,
  navigate,
  parley,
  session,
  setSession,
  useRoute,
  useSession,
} from './lib.js';
import { AvailabilitySwitch } from './teamops.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * Live events for the whole page: one stream per session. Views subscribe with `live.on(fn)`;
 * `live.state` is shown in the header so a lost connection is never silent.
 */
export const live = {
  handlers: new Set(),
  state: 'connecting',
  detail: '',
  stateListeners: new Set(),
  on(fn) {
    this.handlers.add(fn);
    return () => this.handlers.delete(fn);
  },
  setState(state, detail = '') {
    this.state = state;
    this.detail = detail;
    for (const fn of this.stateListeners) fn();
  },
  /** @type {import('./vendor/sdk/browser.js').LiveEvents | null} */
  stream: null,
};

function useLiveState() {
  const [, force] = useState(0);
  useEffect(() => {
    const fn = () => force((n) => n + 1);
    live.stateListeners.add(fn);
    return () => live.stateListeners.delete(fn);
  }, []);
  return live;
}

export function App() {
  const current = useSession();
  const route = useRoute();
  if (!current) return html`<${LoginPage} />`;
  if (route.path === '/app/login') {
    navigate('/app', { replace: true });
    return null;
  }
  // A workspace that requires a second factor gives a person without one a session that can only enrol.
  if (current.two_factor_enrolment_required)
    return html`<${Lazy} load=${loadSecurity} name="EnrolmentRequired" route=${route} />`;
  return html`<${Shell} route=${route} />`;
}

/** What the sign-in form says when the server refuses: never which of email or password was wrong. */
function signInError(err, twoFactor, codeAsked) {
  if (twoFactor)
    return codeAsked
      ? 'Wrong or already used code.'
      : 'Enter the code from your authenticator app (or a recovery code).';
  return err.status === 401 ? 'Wrong email or password.' : err.message;
}

/** The code typed as the sign-in asks for it: 6 digits are a TOTP code, anything else a recovery code. */
function secondFactor(code) {
  if (!code) return {};
  const c = code.trim();
  return /^\d{6}$/.test(c) ? { totp_code: c } : { recovery_code: c };
}

function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // Asked for once the server says the account uses two-factor sign-in.
  const [code, setCode] = useState(/** @type {string | null} */ (null));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [sso, setSso] = useState(false);
  const notice = session.notice;
  const signedIn = (res) => {
    const next = sessionStorage.getItem('parley.next');
    sessionStorage.removeItem('parley.next');
    history.replaceState(null, '', next?.startsWith('/app') && next !== '/app/login' ? next : '/app');
    setSession(res);
  };
  useEffect(() => {
    // For the benchmark (and anyone profiling): when the sign-in form is on screen.
    performance.mark('parley:sign-in-ready');
    document.title = 'Sign in · Parley';
    // Back from the identity provider: a one-time code for the session, or why it was refused.
    const back = ssoReturn();
    if (back?.code) {
      setBusy(true);
      callAnonymous('post', '/v1/auth/sso/exchange', { body: { code: back.code } }).then(signedIn, (err) => {
        setError(err.message);
        setBusy(false);
      });
    } else if (back?.error) {
      setSso(true);
      setError(back.error);
    }
    if (location.pathname !== '/app/login') {
      // Remember where the user was going; a deep link opens once signed in.
      sessionStorage.setItem('parley.next', location.pathname + location.search);
      history.replaceState(null, '', '/app/login');
    }
  }, []);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const second = secondFactor(code);
      signedIn(await callAnonymous('post', '/v1/auth/login', { body: { email, password, ...second } }));
    } catch (err) {
      // One message for a wrong email or password: the page never says which.
      const twoFactor = err.status === 401 && /two-factor/i.test(err.message);
      if (twoFactor && code === null) setCode('');
      setError(signInError(err, twoFactor, code !== null));
      setBusy(false);
    }
  };
  if (sso)
    return html`<${SsoSignIn} error=${error} busy=${busy} onPassword=${() => {
      setSso(false);
      setError('');
    }} />`;
  return html`<main class="login">
    <form class="card login-card" onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title"><span class="logo" aria-hidden="true"></span> Parley inbox</h1>
      ${notice && !error ? html`<p class="notice" role="status">${notice}</p>` : null}
      <label>Email<input type="email" name="email" autocomplete="username" required value=${email}
        onInput=${(e) => setEmail(e.currentTarget.value)} /></label>
      <label>Password<input type="password" name="password" autocomplete="current-password" required
        value=${password} onInput=${(e) => setPassword(e.currentTarget.value)} /></label>
      ${
        code !== null
          ? html`<label>Two-factor code<input name="totp" inputmode="numeric" autocomplete="one-time-code" required
            value=${code} onInput=${(e) => setCode(e.currentTarget.value)} /></label>`
          : null
      }
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button class="primary" type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <button type="button" class="ghost" onClick=${() => {
        setSso(true);
        setError('');
      }}>Use single sign-on (SSO)</button>
    </form>
  </main>`;
}

/** What the identity provider's return put in the address (`#sso_code=` or `#sso_error=`), read once and cleared. */
function ssoReturn() {
  if (!location.hash.includes('sso_')) return null;
  const params = new URLSearchParams(location.hash.slice(1));
  history.replaceState(null, '', location.pathname + location.search);
  const code = params.get('sso_code');
  if (code) return { code };
  return { error: params.get('message') || 'Single sign-on was refused.' };
}

/** Sign in with SSO: the person's work email (or their workspace's id) finds their identity provider. */
function SsoSignIn({ error: shown, busy: exchanging, onPassword }) {
  const [who, setWho] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const value = who.trim();
      const body = /^ws_/.test(value) ? { workspace_id: value } : { email: value };
      const found = await callAnonymous('post', '/v1/auth/sso/lookup', { body });
      if (!found.enabled) {
        setError('No single sign-on is set up for this address: sign in with your password.');
        setBusy(false);
        return;
      }
      location.assign(found.start_url);
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  };
  const message = error || shown;
  return html`<main class="login">
    <form class="card login-card" onSubmit=${submit} aria-labelledby="sso-title">
      <h1 id="sso-title"><span class="logo" aria-hidden="true"></span> Single sign-on</h1>
      <label>Work email or workspace id<input name="sso" autocomplete="username" required value=${who}
        onInput=${(e) => setWho(e.currentTarget.value)} /></label>
      ${message ? html`<p class="error" role="alert">${message}</p>` : null}
      <button class="primary" type="submit" disabled=${busy || exchanging}>${busy || exchanging ? 'Signing in…' : 'Continue'}</button>
      <button type="button" class="ghost" onClick=${onPassword}>Back to password</button>
    </form>
  </main>`;
}

function ConnectionBadge() {
  const state = useLiveState();
  const label =
    state.state === 'live' ? 'Live' : state.state === 'connecting' ? 'Connecting…' : 'Reconnecting…';
  return html`<span class=${`conn conn-${state.state}`} role="status" aria-live="polite" title=${state.detail || label}
    data-state=${state.state}><span class="dot" aria-hidden="true"></span>${label}</span>`;
}

/** The availability switch, read again whenever the live connection (the presence) changes state. */
function Availability() {
  const state = useLiveState();
  return html`<${AvailabilitySwitch} connection=${state.state} />`;
}

function Shell({ route }) {
  const user = session.current.user;
  const token = session.current.token;
  const [help, setHelp] = useState(false);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let stream = null;
    let stopped = false;
    // The stream resumes from the newest event there is before any view loads its data, so an
    // event between a view's load and the stream's start is replayed, never lost.
    // A resume point that is slow to come must not hold the inbox back: after 3 s, start without.
    const resumePoint = Promise.race([
      call('get', '/v1/events', { query: { per_page: 1 } }).then(
        (r) => r.data[0]?.id ?? null,
        () => null,
      ),
      new Promise((resolve) => setTimeout(() => resolve(null), 3000)),
    ]);
    resumePoint.then((lastEventId) => {
      if (stopped) return;
      // The SDK's live stream: reconnects with backoff, resumes with Last-Event-ID, drops a
      // connection silent for 45 s (the server's heartbeat comes every 15 s), stops at a 401.
      stream = parley.events.live({
        lastEventId,
        onEvent: (e) => {
          for (const fn of live.handlers) fn(e);
        },
        onState: (s, { delayMs }) =>
          live.setState(
            s,
            s === 'reconnecting'
              ? `Connection lost. Reconnecting in ${Math.round(delayMs / 1000) || 1} s…`
              : '',
          ),
        onUnauthorized: () => {
          // Signed out meanwhile (the stream went without a token): nothing more to say.
          if (session.current) setSession(null, 'Your session has ended. Sign in again.');
        },
      });
      live.stream = stream;
      setReady(true);
      // Toasts and browser notifications load after the inbox is on screen (not in its first load).
      const later = window.requestIdleCallback ?? ((fn) => setTimeout(fn, 1500));
      later(() => import('./notify.js').then((m) => !stopped && m.startNotifications(live, user)), {
        timeout: 3000,
      });
    });
    const online = () => stream?.retrySoon();
    addEventListener('online', online);
    // The session's end is known in advance: sign out then rather than fail on the next click.
    const expires = Date.parse(session.current.expires_at) - Date.now();
    const timer = setTimeout(
      () => setSession(null, 'Your session has ended. Sign in again.'),
      Math.min(expires, 2 ** 31 - 1),
    );
    return () => {
      stopped = true;
      stream?.stop();
      removeEventListener('online', online);
      clearTimeout(timer);
    };
  }, [token]);
  useEffect(() => {
    const onKey = (e) => {
      if (e.key === '?' && !isTyping(e)) {
        e.preventDefault();
        setHelp(true);
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  const manage = route.path.startsWith('/app/manage');
  const reports = route.path.startsWith('/app/reports');
  const queue = route.path.startsWith('/app/queue');
  const mePage = route.path.startsWith('/app/me');
  const contacts = route.path.startsWith('/app/contacts');
  const signOut = () => {
    // The server ends this user's sessions everywhere (the request leaves with the token before
    // the page forgets it); the page signs out at once whatever the answer.
    call('post', '/v1/auth/logout').catch(() => {});
    setSession(null, 'You signed out.');
    navigate('/app/login');
  };
  return html`<div class="shell">
    <header class="topbar">
      <a class="skip" href="#main">Skip to content</a>
      <span class="brand"><span class="logo" aria-hidden="true"></span>Parley</span>
      <nav aria-label="Main">
        <${Link} href="/app" aria-current=${manage || reports || queue || mePage || contacts ? undefined : 'page'}>Inbox<//>
        <${Link} href="/app/queue" aria-current=${queue ? 'page' : undefined}>Queues<//>
        <${Link} href="/app/contacts" aria-current=${contacts ? 'page' : undefined}>Contacts<//>
        ${isAdmin() ? html`<${Link} href="/app/reports" aria-current=${reports ? 'page' : undefined}>Reports<//>` : null}
        ${isAdmin() ? html`<${Link} href="/app/manage/keys" aria-current=${manage ? 'page' : undefined}>Manage<//>` : null}
      </nav>
      <span class="spacer"></span>
      <${ConnectionBadge} />
      <${Availability} />
      <button class="ghost shortcuts" type="button" onClick=${() => setHelp(true)} aria-label="Keyboard shortcuts">?</button>
      <${Link} class="me" href="/app/me" title=${`${user.email}: notifications, mentions and security`} aria-current=${mePage ? 'page' : undefined}>${user.name} · ${user.role}<//>
      <button class="ghost" type="button" onClick=${signOut}>Sign out</button>
    </header>
    <${HealthBanner} />
    <div id="main" class="main">
      ${ready ? html`<${Page} route=${route} />` : html`<p class="muted pad">Loading…</p>`}
    </div>
    ${help ? html`<${HelpDialog} onClose=${() => setHelp(false)} />` : null}
  </div>`;
}

/** The page of a path: the inbox itself, or one loaded on first use. */
function Page({ route }) {
  const lazy = LAZY_PAGES.find(([prefix]) => route.path.startsWith(prefix));
  return lazy
    ? html`<${Lazy} load=${lazy[1]} name=${lazy[2]} route=${route} />`
    : html`<${Inbox} route=${route} live=${live} />`;
}

const loadManage = () => import('./manage.js');
const loadQueue = () => import('./queue.js');
const loadMe = () => import('./me.js');
const loadContacts = () => import('./contacts-page.js');
const loadSecurity = () => import('./security.js');
/** The Reports page brings its chart library with it, never with the inbox. */
const loadReports = () => import('./reports.js');
const LAZY_PAGES = [
  ['/app/manage', loadManage, 'Manage'],
  ['/app/reports', loadReports, 'Reports'],
  ['/app/queue', loadQueue, 'QueuePage'],
  ['/app/me', loadMe, 'MePage'],
  ['/app/contacts', loadContacts, 'ContactsPage'],
];

/** The manage pages, the queues and the Reports page load on first use, so the inbox's first load stays small. */
function Lazy({ load, name, route }) {
  const [mod, setMod] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    load().then(setMod, (err) => setError(err.message));
  }, [load]);
  if (error) return html`<p class="error" role="alert">This page could not load: ${error}</p>`;
  if (!mod) return html`<p class="muted pad">Loading…</p>`;
  const Page = mod[name];
  return html`<${Page} route=${route} live=${live} />`;
}

const shortcuts = [
  ['j / k', 'Next / previous conversation'],
  ['Enter', 'Open the selected conversation'],
  ['r', 'Reply (focus the reply box)'],
  ['n', 'Write a private note'],
  ['e', 'Close the conversation'],
  ['a', 'Assign to me'],
  ['s', 'Snooze for an hour'],
  ['h', 'Take over from the AI / hand back'],
  ['/', 'Search (in the reply box: canned responses)'],
  ['Esc', 'Leave the reply box'],
  ['?', 'This help'],
];

function HelpDialog({ onClose }) {
  return html`<${Dialog} title="Keyboard shortcuts" onClose=${onClose}>
    <dl class="shortcuts">${shortcuts.map(([k, v]) => html`<dt><kbd>${k}</kbd></dt><dd>${v}</dd>`)}</dl>
  <//>`;
}
