import { call, fullTime, html, zonedTime } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** Today's date (YYYY-MM-DD) in a timezone. */
function todayIn(timezone) {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: timezone }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

/**
 * The contact's bookings beside the thread: a person books, moves and cancels them from the
 * conversation, picking from the same free slots the AI offers (`GET /v1/agents/{id}/availability`).
 */
export function BookingsPanel({ conv, bookings, onChanged }) {
  const [agent, setAgent] = useState(null);
  // `null`: no picker; `{ mode: 'book' }` or `{ mode: 'move', booking }`.
  const [picker, setPicker] = useState(null);
  const [date, setDate] = useState('');
  const [serviceId, setServiceId] = useState('');
  const [slots, setSlots] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState('');

  useEffect(() => {
    let gone = false;
    const load = conv.agent_id
      ? call('get', '/v1/agents/{id}', { params: { id: conv.agent_id } })
      : call('get', '/v1/agents', { query: { per_page: 1 } }).then((r) => r.data[0] ?? null);
    load.then(
      (a) => {
        if (gone || !a) return;
        setAgent(a);
        setDate(todayIn(a.business?.timezone));
      },
      () => {},
    );
    return () => {
      gone = true;
    };
  }, [conv.agent_id]);

  useEffect(() => {
    if (!picker || !agent || !date) return undefined;
    let gone = false;
    setSlots(null);
    call('get', '/v1/agents/{id}/availability', {
      params: { id: agent.id },
      query: { date, ...(serviceId ? { service_id: serviceId } : {}) },
    }).then(
      (r) => !gone && setSlots(r),
      (err) => !gone && setError(err.message),
    );
    return () => {
      gone = true;
    };
  }, [picker, agent?.id, date, serviceId]);

  const run = async (what, call) => {
    setBusy(true);
    setError('');
    setDone('');
    try {
      await call();
      setDone(what);
      setPicker(null);
      onChanged?.();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  const pick = (slot) =>
    picker?.mode === 'move'
      ? run('Moved.', () =>
          call('post', '/v1/bookings/{id}/reschedule', {
            params: { id: picker.booking.id },
            body: { start_at: slot.start_at, ...(serviceId ? { service_id: serviceId } : {}) },
          }),
        )
      : run('Booked.', () =>
          call('post', '/v1/bookings', {
            body: {
              agent_id: agent.id,
              conversation_id: conv.id,
              start_at: slot.start_at,
              // The slot's own length: the service's, or 30 minutes without one.
              ...(serviceId ? { service_id: serviceId } : { end_at: slot.end_at }),
            },
          }),
        );
  const cancel = (b) =>
    run('Cancelled.', () => call('post', '/v1/bookings/{id}/cancel', { params: { id: b.id }, body: {} }));
  const when = (b) => (b.timezone ? zonedTime(b.start_at, b.timezone) : fullTime(b.start_at));
  const upcoming = (b) => b.status === 'confirmed' && b.start_at > new Date().toISOString();
  const services = agent?.business?.services ?? [];

  return html`<section class="bookings-panel" aria-label="Bookings">
    <h3>Bookings</h3>
    ${
      bookings.length
        ? html`<ul class="mini">${bookings.map(
            (
              b,
            ) => html`<li data-booking=${b.id}>${when(b)}${b.service_name ? ` · ${b.service_name}` : ''} · ${b.status}
              ${
                upcoming(b)
                  ? html`<span class="row"><button type="button" class="link" disabled=${busy} onClick=${() => {
                      setServiceId(b.service_id ?? '');
                      setPicker({ mode: 'move', booking: b });
                    }}>Move</button>
                  <button type="button" class="link danger" disabled=${busy} onClick=${() => cancel(b)}>Cancel booking</button></span>`
                  : null
              }
              ${b.notes ? html`<br /><span class="muted small">${b.notes}</span>` : null}</li>`,
          )}</ul>`
        : html`<p class="muted small">None yet: an appointment booked in a message, a call or here shows at once.</p>`
    }
    ${agent && !picker ? html`<button type="button" onClick=${() => setPicker({ mode: 'book' })}>Book an appointment</button>` : null}
    ${
      picker
        ? html`<div class="stack slot-picker">
          <strong>${picker.mode === 'move' ? `Move the booking of ${when(picker.booking)}` : 'New booking'}</strong>
          ${
            services.length
              ? html`<label>Service<select value=${serviceId} onChange=${(e) => setServiceId(e.currentTarget.value)}>
                  <option value="">(no service, 30 min)</option>
                  ${services.map((s) => html`<option value=${s.id}>${s.name}</option>`)}
                </select></label>`
              : null
          }
          <label>Day<input type="date" value=${date} onChange=${(e) => setDate(e.currentTarget.value)} /></label>
          ${
            !slots
              ? html`<p class="muted small">Loading free times…</p>`
              : slots.closed || !slots.slots.length
                ? html`<p class="muted small">${slots.closed ? 'Closed that day.' : 'No free time that day.'}</p>`
                : html`<div class="slots" role="group" aria-label="Free times">${slots.slots.map(
                    (s) =>
                      html`<button type="button" class="slot" disabled=${busy} onClick=${() => pick(s)}>${s.local_start.slice(11, 16)}</button>`,
                  )}</div>`
          }
          <button type="button" onClick=${() => setPicker(null)}>Close</button>
        </div>`
        : null
    }
    ${error ? html`<p class="error" role="alert">${error}</p>` : done ? html`<p class="muted small" role="status">${done}</p>` : null}
  </section>`;
}
