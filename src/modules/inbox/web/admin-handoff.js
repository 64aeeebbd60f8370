import { ApiForm, useList } from './admin-kit.js';
import { call, html } from './lib.js';
import { useEffect, useState } from './vendor/hooks.mjs';

/** Manage → Handoff policy: who owns a handoff, and what happens when nobody replies in time. */
const ON_TIMEOUT = [
  ['reassign', 'Reassign to the next member'],
  ['ai_resume', 'Let the AI take it back'],
  ['callback', 'Tag it for a callback'],
  ['notify', 'Only notify'],
];

export function HandoffAdmin() {
  const [teams] = useList('/v1/teams', { query: { per_page: 100 } });
  const [policy, setPolicy] = useState(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState('');
  useEffect(() => {
    call('get', '/v1/handoff-policy').then(setPolicy, (err) => setError(err.message));
  }, []);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!policy || !teams.data) return html`<p class="muted">Loading…</p>`;
  const fields = [
    {
      name: 'team_id',
      label: 'Handoffs go to',
      type: 'select',
      emptyIsNull: true,
      options: [['', 'No team (left unassigned)'], ...teams.data.map((t) => [t.id, t.name])],
      help: 'A channel or an agent may name its own team; this is the default.',
    },
    {
      name: 'reply_within_minutes',
      label: 'A person replies within (minutes)',
      type: 'number',
      help: 'Counted in business hours when the agent has some.',
    },
    { name: 'on_timeout', label: 'When nobody replies in time', type: 'select', options: ON_TIMEOUT },
    { name: 'max_reassignments', label: 'At most this many reassignments', type: 'number' },
    {
      name: 'urgent_to_person',
      label: 'A conversation marked urgent goes to a person at once',
      type: 'checkbox',
      help: 'When a macro or an automation sets the priority to urgent while the AI is answering.',
    },
    {
      name: 'out_of_hours.message',
      label: 'Out-of-hours message',
      type: 'textarea',
      emptyIsNull: true,
      placeholder: 'Empty: the built-in message, in the customer’s language',
      help: '{{next_opening}} is replaced by the next opening time.',
    },
    { name: 'out_of_hours.ai_continues', label: 'The AI keeps helping out of hours', type: 'checkbox' },
  ];
  return html`<section class="stack">
    <p class="muted">Every handoff is owned and answered: a reply timer starts, and when it runs out Parley acts as set here.</p>
    ${saved ? html`<p class="notice" role="status">${saved}</p>` : null}
    <${ApiForm} key=${JSON.stringify(policy)} fields=${fields} item=${policy} label="Handoff policy" submitLabel="Save policy"
      submit=${(body) => call('put', '/v1/handoff-policy', { body })}
      onDone=${(p) => {
        setPolicy(p);
        setSaved('Saved. It applies to handoffs from now on.');
      }} />
  </section>`;
}
