import { call, contactLabel, html, Link, navigate, session } from './lib.js';
import { loadPeople } from './thread.js';
import { useEffect, useRef, useState } from './vendor/hooks.mjs';

/**
 * The team queues (`/app/queue`): each team's waiting conversations, oldest first, with how long
 * each has waited (ticking), live: any assignment, resolve or handoff reloads them. A person takes
 * one (assigns it to themselves) and it opens.
 */

const RELOAD_ON = /^conversation\.(assigned|resolved|reopened|escalated|created|handoff_timeout)$/;

/** "45 s", "3 min 05 s", "2 h 04 min": seconds show while it is short, so the wait visibly runs. */
export function formatWait(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

function useSecondClock() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function QueuePage({ live }) {
  const me = session.current.user.id;
  const [teams, setTeams] = useState(null);
  const [queues, setQueues] = useState(new Map());
  const [names, setNames] = useState(new Map());
  const [error, setError] = useState('');
  const [taking, setTaking] = useState('');
  const now = useSecondClock();
  const teamsRef = useRef([]);

  const loadQueues = async (list = teamsRef.current) => {
    const entries = await Promise.all(
      list.map((t) =>
        call('get', '/v1/teams/{id}/queue', { params: { id: t.id } }).then(
          (q) => [t.id, q],
          (err) => [t.id, { error: err.message, data: [], members: [], total: 0 }],
        ),
      ),
    );
    setQueues(new Map(/** @type {Array<[string, any]>} */ (entries)));
  };

  useEffect(() => {
    document.title = 'Team queues · Parley';
    loadPeople().then((d) => setNames(new Map(d.users.map((u) => [u.id, u.name]))));
    call('get', '/v1/teams', { query: { per_page: 100 } }).then(
      async (r) => {
        teamsRef.current = r.data;
        setTeams(r.data);
        await loadQueues(r.data);
        performance.mark('parley:queue-ready');
      },
      (err) => setError(err.message),
    );
  }, []);

  useEffect(() => {
    let timer = null;
    const off = live.on((e) => {
      if (!RELOAD_ON.test(e.event) || timer) return;
      timer = setTimeout(() => {
        timer = null;
        loadQueues();
      }, 200);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, []);

  const take = async (conversationId) => {
    setTaking(conversationId);
    setError('');
    try {
      await call('post', '/v1/conversations/{id}/assign', {
        params: { id: conversationId },
        body: { user_id: me },
      });
      navigate(`/app/c/${conversationId}`);
    } catch (err) {
      setError(err.message);
      loadQueues();
    } finally {
      setTaking('');
    }
  };

  if (error && !teams) return html`<div class="queue-page"><p class="error" role="alert">${error}</p></div>`;
  if (!teams) return html`<div class="queue-page"><p class="muted">Loading the queues…</p></div>`;
  const mine = (t) => (queues.get(t.id)?.members ?? []).some((m) => m.user_id === me);
  const ordered = [...teams].sort(
    (a, b) => Number(mine(b)) - Number(mine(a)) || a.name.localeCompare(b.name),
  );
  return html`<div class="queue-page">
    <h1>Team queues</h1>
    <p class="muted">Conversations handed to a team wait here, urgent first then the longest wait, while every member is full, busy or away (or the team assigns by hand). Take one to answer it.</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    ${teams.length === 0 ? html`<p class="muted">No team yet.${session.current.user.role === 'admin' ? html` Create one under <${Link} href="/app/manage/users">Manage → Users and teams<//>.` : ' An admin creates teams.'}</p>` : null}
    ${ordered.map((t) => {
      const q = queues.get(t.id);
      return html`<section class="queue-team" aria-label=${`Queue of ${t.name}`} data-team=${t.id}>
        <header>
          <h2>${t.name}</h2>
          <span class="badge" data-testid="queue-total">${q ? `${q.total} waiting` : '…'}</span>
          ${q?.assignment ? html`<span class="muted small">${q.assignment.mode.replace('_', ' ')}</span>` : null}
          <span class="muted small">${(q?.members ?? []).map((m) => `${names.get(m.user_id) ?? m.user_id} (${m.availability}${m.capacity === null ? '' : `, ${m.capacity} max`})`).join(' · ') || 'no members'}</span>
          ${q?.data.length ? html`<button type="button" class="primary" disabled=${!!taking} onClick=${() => take(q.data[0].conversation_id)}>Take the next one</button>` : null}
        </header>
        ${q?.error ? html`<p class="error" role="alert">${q.error}</p>` : null}
        ${q && !q.data.length && !q.error ? html`<p class="muted small">Nobody waits.</p>` : null}
        <ol class="queue-list">
          ${(q?.data ?? []).map((e) => {
            // From the customer's first unanswered message: a reassignment does not restart it.
            const since = e.waiting_since ?? e.queued_at;
            const waited = (now - Date.parse(since)) / 1000;
            return html`<li class="queue-item" data-id=${e.conversation_id}>
              <span class="badge">${e.position}</span>
              <span class=${`chan chan-${e.channel}`}>${e.channel}</span>
              ${e.priority !== 'normal' ? html`<span class=${`badge prio-${e.priority}`}>${e.priority}</span>` : null}
              <strong class="queue-who">${contactLabel(e)}</strong>
              <span class="queue-preview"><${Link} href=${`/app/c/${e.conversation_id}`}>${e.last_message ?? '(no message)'}<//>${e.handoff_reason ? html` <span class="muted small">· ${e.handoff_reason}</span>` : null}</span>
              <span class=${`waiting ${waited > 600 ? 'long' : ''}`} title=${`Waiting since ${new Date(since).toLocaleString()}`}>Waiting ${formatWait(waited)}</span>
              <button type="button" disabled=${!!taking} onClick=${() => take(e.conversation_id)}>${taking === e.conversation_id ? 'Taking…' : 'Take'}</button>
            </li>`;
          })}
        </ol>
      </section>`;
    })}
  </div>`;
}
