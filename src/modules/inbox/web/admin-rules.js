import { CrudPage } from './admin-kit.js';
import { html } from './lib.js';

/** Manage → Assignment rules: how each team gives out its conversations. */
const MODES = [
  ['manual', 'Manual: wait in the queue until someone takes it'],
  ['round_robin', 'Round robin: the next member in turn'],
  ['balanced', 'Balanced: the member with the fewest open'],
];
const fields = [
  { name: 'name', label: 'Team name', required: true },
  { name: 'assignment.mode', label: 'Assignment', type: 'select', default: 'manual', options: MODES },
  {
    name: 'assignment.only_online',
    label: 'Only to online members (never to busy ones)',
    type: 'checkbox',
    default: true,
  },
  {
    name: 'assignment.max_per_user',
    label: 'Most open conversations per member',
    type: 'number',
    help: 'Empty: no team limit (each person’s own capacity still applies).',
  },
];

export function RulesAdmin() {
  return html`<${CrudPage} path="/v1/teams" fields=${fields} noun="team"
    intro="Members are added under Users and teams. Conversations wait in the team's queue while every member is full, busy or away."
    summary=${(
      t,
    ) => html`<strong>${t.name}</strong><span class="badge">${t.assignment.mode.replace('_', ' ')}</span>
      <span class="muted small">${t.assignment.only_online ? 'online members only' : 'offline members too'}${t.assignment.max_per_user ? ` · at most ${t.assignment.max_per_user} each` : ''}</span>`} />`;
}
