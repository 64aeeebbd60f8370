import { CrudPage } from './admin-kit.js';
import { actionField, conditionField } from './admin-rows.js';
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
  conditionField,
  actionField(),
];

export function AutomationsAdmin() {
  return html`<${CrudPage} path="/v1/automations" fields=${fields} noun="automation"
    intro="Events caused by an automation never start another one, and each runs at most once per event."
    summary=${(
      a,
    ) => html`<strong>${a.name}</strong><span class="badge">${a.event}</span>${a.active ? null : html`<span class="badge">inactive</span>`}
      <span class="muted small">${a.conditions.length} condition${a.conditions.length === 1 ? '' : 's'} · ${a.actions.map((x) => x.type.replace('_', ' ')).join(' → ')}</span>`} />`;
}
