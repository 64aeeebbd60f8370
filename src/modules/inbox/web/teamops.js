import { call, html } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/**
 * Team operations in the inbox: the availability switch of the header (online while the inbox is
 * open, or busy/offline set by hand) and the SLA badge of a conversation card.
 */
export function AvailabilitySwitch({ connection }) {
  const [state, setState] = useState(null);
  const [error, setError] = useState('');
  // Read again when the live connection (the presence) comes up: read only once, at mount, it said
  // offline for as long as the page stayed open. The server records the presence just after the
  // stream opens, so an answer without the open inbox is asked again a few times.
  useEffect(() => {
    // Read once the stream is up (or failing): read while it connects, it would be read twice.
    if (connection === 'connecting') return;
    let stop = false;
    let timer;
    const read = (tries) =>
      call('get', '/v1/me/availability').then(
        (s) => {
          if (stop) return;
          setState(s);
          if (connection === 'live' && !s.inbox_open && tries > 0)
            timer = setTimeout(() => read(tries - 1), 500);
        },
        (err) => !stop && setError(err.message),
      );
    read(6);
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [connection]);
  if (error || !state) return null;
  const value = state.set_by_hand ? state.availability : 'auto';
  const change = async (e) => {
    const next = e.currentTarget.value;
    try {
      setState(await call('put', '/v1/me/availability', { body: { availability: next } }));
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<label class=${`availability avail-${state.availability}`} title="Routing gives conversations to online people only">
    <span class="dot" aria-hidden="true"></span>
    <select aria-label="Availability" value=${value} onChange=${change}>
      <option value="auto">${state.inbox_open ? 'Online (auto)' : 'Auto'}</option>
      <option value="online">Online</option>
      <option value="busy">Busy</option>
      <option value="offline">Offline</option>
    </select>
  </label>`;
}

const labels = { first_response: 'first reply', next_response: 'next reply', resolution: 'resolution' };

/** The SLA of a card: a breach in red, else the nearest due time. */
export function SlaBadge({ sla, now }) {
  if (!sla) return null;
  if (sla.breached.length)
    return html`<span class="badge sla breached" title="SLA breached">SLA breached: ${sla.breached.map((b) => labels[b] ?? b).join(', ')}</span>`;
  const due = [
    ['first_response', sla.first_response_due_at],
    ['next_response', sla.next_response_due_at],
    ['resolution', sla.resolution_due_at],
  ].filter(([, at]) => at);
  if (!due.length) return null;
  const [kind, at] = due.sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]))[0];
  const mins = Math.round((Date.parse(at) - now) / 60_000);
  return html`<span class=${`badge sla ${mins < 15 ? 'soon' : ''}`} title=${`SLA ${labels[kind]} due ${at}`}>SLA ${labels[kind]} ${mins >= 0 ? `in ${mins} min` : `${-mins} min late`}</span>`;
}
