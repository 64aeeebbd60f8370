import { useEffect, useRef, useState } from './vendor/hooks.mjs';
import htm from './vendor/htm.mjs';
import { h } from './vendor/preact.mjs';
import { Parley, ParleyError } from './vendor/sdk/browser.js';

export const html = htm.bind(h);

/**
 * The API's shapes: the SDK's types, generated from the OpenAPI document (`npm run openapi`).
 * @typedef {import('./vendor/sdk/browser.js').components['schemas']} Schemas
 * @typedef {Schemas['Conversation']} Conversation
 * @typedef {Schemas['Message']} Message
 * @typedef {Schemas['User']} User
 * @typedef {import('./vendor/sdk/browser.js').ParleyEvent} ParleyEvent
 * @typedef {{ token: string, expires_at: string, user: User, two_factor_enrolment_required?: boolean }} Session what POST /v1/auth/login answers
 * @typedef {{ data: any[] | null, error: string, status?: number }} ListState a list loading (data null) or loaded
 */

// Session: the token lives in memory and in sessionStorage (this tab only; never localStorage).

const SESSION_KEY = 'parley.session';
const listeners = new Set();
export const session = {
  /** @type {Session | null} */
  current: null,
  /** Why the last session ended, shown on the sign-in page. */
  notice: '',
};
try {
  session.current = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  if (session.current && Date.parse(session.current.expires_at) <= Date.now()) session.current = null;
} catch {
  session.current = null;
}

export function setSession(value, notice = '') {
  session.current = value;
  session.notice = notice;
  if (value) sessionStorage.setItem(SESSION_KEY, JSON.stringify(value));
  else sessionStorage.removeItem(SESSION_KEY);
  for (const fn of listeners) fn();
}

export function useSession() {
  const [, force] = useState(0);
  useEffect(() => {
    const fn = () => force((n) => n + 1);
    listeners.add(fn);
    return () => listeners.delete(fn);
  }, []);
  return session.current;
}

export const isAdmin = () => session.current?.user.role === 'admin';

/**
 * The API client: the SDK's browser build, with the session's token read on every call. It never
 * retries (a person clicks again), so POSTs need no idempotency key, and an upload takes as long as
 * it takes. Errors are the SDK's `ParleyError` (`status`, `code`, `message`, `fieldErrors`).
 */
const clientOptions = { baseUrl: location.origin, maxRetries: 0, autoIdempotencyKey: false, timeoutMs: 0 };
export const parley = new Parley({ ...clientOptions, apiKey: () => session.current?.token });
/** For the calls made without a session (signing in). */
const anonymous = new Parley(clientOptions);

/**
 * Calls the API with the session by a path built at run time (`path` may carry a query string;
 * `body` is JSON or a FormData) and answers the parsed body, untyped, or null for an empty one.
 * Only for paths no template names (a list's filters, a page's collection): everything else
 * calls `call()`. A 401 ends the session and goes back to sign-in. A failure is a ParleyError
 * with a message a person can read.
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export function api(method, path, body) {
  return guarded(
    parley
      .raw(/** @type {import('./vendor/sdk/browser.js').HttpMethod} */ (method.toLowerCase()), path, { body })
      .then((res) => res.data ?? null),
  );
}

/**
 * The typed call: the route by its method and path template, its path parameters, query and body
 * checked against the OpenAPI document (the SDK's `request`), and the answer typed. New code calls
 * the API with this; `api()` is for paths built at run time.
 * @type {Parley['request']}
 */
// The wrapper passes its arguments through untouched: its callers get the SDK's own signature.
export const call = (method, path, ...options) =>
  guarded(/** @type {any} */ (parley).request(method, path, ...options));

/**
 * The typed call without a session (signing in): a 401 is the call's own answer, not a session
 * that ended.
 * @type {Parley['request']}
 */
export const callAnonymous = (method, path, ...options) =>
  guarded(/** @type {any} */ (anonymous).request(method, path, ...options), true);

/**
 * A call's errors as a person reads them; a 401 ends the session and goes back to sign-in.
 * @template T
 * @param {Promise<T>} promise
 * @param {boolean} [anonymousCall]
 * @returns {Promise<T>}
 */
async function guarded(promise, anonymousCall = false) {
  try {
    return await promise;
  } catch (err) {
    if (!(err instanceof ParleyError)) throw err;
    if (err.status === 401 && !anonymousCall) {
      setSession(null, 'Your session has ended. Sign in again.');
      navigate('/app/login');
    }
    throw readable(err);
  }
}

/** The SDK's client-side errors, said for a person: the API's own errors are shown as they are. */
function readable(err) {
  const message =
    err.code === 'connection_failed'
      ? 'The server cannot be reached. Check your connection.'
      : err.code === 'unexpected_response'
        ? `The server answered ${err.status}.`
        : null;
  if (!message) return err;
  return new ParleyError({
    code: err.code,
    message,
    status: err.status,
    requestId: err.requestId,
    cause: err,
  });
}

// Routing: History API; every screen has its own URL (deep links work, filters are shareable).

const routeListeners = new Set();
export function navigate(url, { replace = false } = {}) {
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const fn of routeListeners) fn();
}
addEventListener('popstate', () => {
  for (const fn of routeListeners) fn();
});

export function useRoute() {
  const [, force] = useState(0);
  useEffect(() => {
    const fn = () => force((n) => n + 1);
    routeListeners.add(fn);
    return () => routeListeners.delete(fn);
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** A link that navigates without reloading (and still opens in a new tab with a middle click). */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}

// Formatting

export function relativeTime(iso, now = Date.now()) {
  if (!iso) return '';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 45) return 'now';
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return new Date(iso).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export const clockTime = (iso) =>
  iso ? new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : '';

export const fullTime = (iso) => (iso ? new Date(iso).toLocaleString() : '');

/** A time in another place's zone (a booking in the business's), with the zone named. */
export function zonedTime(iso, timeZone) {
  if (!iso) return '';
  try {
    const text = new Date(iso).toLocaleString(undefined, {
      timeZone,
      dateStyle: 'medium',
      timeStyle: 'short',
    });
    return `${text} (${timeZone})`;
  } catch {
    return fullTime(iso);
  }
}

export function contactLabel(c) {
  const address = c?.contact_address;
  const web = address?.startsWith('web:')
    ? webCallerLabel(address.slice(4))
    : // A website visitor who gave no name: never the raw visitor id.
      address?.startsWith('vis_')
      ? `Website visitor ${address.slice(-6)}`
      : null;
  return c?.contact?.name || c?.contact?.phone || web || address || c?.contact?.email || 'Unknown';
}

/** A web caller has no number: "Web caller" and the end of its contact id, never the raw id. */
export function webCallerLabel(contactId) {
  return `Web caller ${String(contactId ?? '').slice(-6)}`.trim();
}

/** Copies text; falls back to selecting it when the clipboard is not available. */
export async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function isTyping(e) {
  const t = e.target;
  return t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
}

export function Dialog({ title, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    el?.showModal?.();
    const close = () => onClose();
    el?.addEventListener('close', close);
    return () => el?.removeEventListener('close', close);
  }, []);
  return html`<dialog ref=${ref} aria-labelledby="dialog-title" class="dialog">
    <header><h2 id="dialog-title">${title}</h2>
      <button class="ghost" type="button" aria-label="Close" onClick=${() => ref.current?.close()}>×</button></header>
    ${children}
  </dialog>`;
}
