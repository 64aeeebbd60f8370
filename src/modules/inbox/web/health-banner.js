import { call, html } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * A banner over the inbox while a WhatsApp number's account is unhealthy (Meta flagged its
 * quality, restricted, disabled or is about to disable the account, rejected its name): what is
 * wrong in Meta's words, for everyone working the inbox. Read every 5 minutes.
 */
export function HealthBanner() {
  const [bad, setBad] = useState([]);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      call('get', '/v1/channels/health')
        .then((r) => !stopped && setBad((r?.data ?? []).filter((h) => h.status === 'bad')))
        .catch(() => {});
    load();
    const timer = setInterval(load, 5 * 60_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  if (!bad.length) return null;
  return html`<div class="banner health" role="alert">
    ${bad.map(
      (h) =>
        html`<p key=${h.channel_id}><strong>WhatsApp ${h.address}:</strong> ${h.problems[0] ?? 'Meta reports a problem with this number.'}${h.problems.length > 1 ? ` (+${h.problems.length - 1} more)` : ''}</p>`,
    )}
  </div>`;
}
