import { CrudPage } from './admin-kit.js';
import { ACTIONS_HELP } from './admin-macros.js';
import { html } from './lib.js';
import { automationEvents } from './vendor/vocabulary.mjs';

/** Manage → Automations: on an event, when the conditions hold, run the actions. */
const fields = [
  { name: 'name', label: 'Name', required: true, placeholder: 'VIP to the priority team' },
  { name: 'active', label: 'Active', type: 'checkbox', default: true },
  {
    name: 'event',
    label: 'When',
    type: 'select',
    default: automationEvents[0],
    options: automationEvents.map((e) => [e, e]),
  },
  {
    name: 'conditions',
    label: 'Conditions',
    type: 'json',
    rows: 4,
    default: [],
    help: 'A JSON list of {field, op, value}, all must hold. Fields: channel, text, tags, agent_id, priority, status, within_business_hours, contact.<name>. Ops: eq, neq, contains, in, gt, lt, exists.',
  },
  {
    name: 'actions',
    label: 'Actions',
    type: 'json',
    rows: 6,
    default: [{ type: 'add_tags', tags: ['vip'] }],
    help: ACTIONS_HELP,
  },
];

export function AutomationsAdmin() {
  return html`<${CrudPage} path="/v1/automations" fields=${fields} noun="automation"
    intro="Events caused by an automation never start another one, and each runs at most once per event."
    summary=${(
      a,
    ) => html`<strong>${a.name}</strong><span class="badge">${a.event}</span>${a.active ? null : html`<span class="badge">inactive</span>`}
      <span class="muted small">${a.conditions.length} condition${a.conditions.length === 1 ? '' : 's'} · ${a.actions.map((x) => x.type.replace('_', ' ')).join(' → ')}</span>`} />`;
}
