import { call, html, navigate } from './lib.js';
import { addToast, noticeFor } from './notify-rules.js';
import { loadPeople } from './thread.js';
import { render } from './vendor/preact.mjs';

/** The defaults the server answers for a person who never set preferences. */
const DEFAULTS = {
  events: { assigned: true, mentioned: true, handoff: true, waiting: true, sla: true },
  in_app: true,
  browser: true,
  push: true,
};

/** The service worker shows Web Push and opens the conversation when a notification is clicked. */
export function registerWorker() {
  if (!('serviceWorker' in navigator)) return Promise.resolve(null);
  return navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => null);
}

let toasts = [];
let root = null;
function drawToasts() {
  if (!root) {
    root = document.createElement('div');
    root.className = 'toasts';
    root.setAttribute('role', 'status');
    root.setAttribute('aria-live', 'polite');
    document.body.append(root);
  }
  render(
    html`${toasts.map(
      (t) =>
        html`<button type="button" class="toast" onClick=${() => {
          dismiss(t);
          navigate(t.url);
        }}><strong>${t.title}</strong>${t.body ? html`<span>${t.body}</span>` : null}</button>`,
    )}`,
    root,
  );
}
function dismiss(t) {
  toasts = toasts.filter((x) => x !== t);
  drawToasts();
}

/** The preferences in force (the settings page changes them through applyPreferences). */
let prefs = DEFAULTS;
/** One listener however often the person signs in again in this page. */
let stopListening = null;
export const applyPreferences = (next) => {
  prefs = next;
};

/**
 * Tells the signed-in person about what concerns them while the inbox is open: a toast when the
 * tab is in front, the browser's notification when it is not (if allowed).
 */
export async function startNotifications(live, user) {
  prefs = await call('get', '/v1/me/notifications').catch(() => DEFAULTS);
  // My teams: a team's handoffs and SLA misses are told to its members only.
  const me = { ...user };
  const mine = (teams) => {
    me.team_ids = teams.filter((t) => t.member_ids?.includes(user.id)).map((t) => t.id);
  };
  // The teams the list already read for its names; read again when a team changes.
  mine((await loadPeople()).teams);
  const loadTeams = () =>
    call('get', '/v1/teams', { query: { per_page: 100 } }).then(
      (page) => mine(page.data),
      () => {},
    );
  const worker = await registerWorker();
  stopListening?.();
  // Said on the page once listening (the browser tests wait for it, not for a time).
  document.documentElement.dataset.notifications = 'on';
  stopListening = live.on((event) => {
    if (event.event.startsWith('team.')) loadTeams();
    const n = noticeFor(event, me);
    if (!n || !prefs.events[n.kind]) return;
    if (document.visibilityState === 'visible') {
      if (!prefs.in_app) return;
      toasts = addToast(toasts, n);
      drawToasts();
      // Each toast stays 8 s after its last news (a burst's one toast counts from the newest).
      const shown = toasts.find((t) => t.kind === n.kind && (t.tag === n.tag || t.tags?.includes(n.tag)));
      setTimeout(() => {
        if (toasts.includes(shown)) dismiss(shown);
      }, 8000);
    } else if (prefs.browser && 'Notification' in window && Notification.permission === 'granted') {
      const options = { body: n.body, tag: n.tag, data: { url: n.url } };
      if (worker) worker.showNotification(n.title, options);
      else new Notification(n.title, options).onclick = () => navigate(n.url);
    }
  });
}
