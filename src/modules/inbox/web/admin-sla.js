import { CrudPage } from './admin-kit.js';
import { html } from './lib.js';
import { channelKinds, priorities } from './vendor/vocabulary.mjs';

/** Manage → SLA policies: reply and resolution targets, with due times on each conversation. */
const minutes = (name, label) => ({ name, label, type: 'number', help: 'Minutes; empty for no target.' });
const fields = [
  { name: 'name', label: 'Name', required: true, placeholder: 'WhatsApp VIP' },
  minutes('first_response_minutes', 'First reply within'),
  minutes('next_response_minutes', 'Next reply within'),
  minutes('resolution_minutes', 'Resolve within'),
  {
    name: 'business_hours',
    label: "Count only the agent's business hours",
    type: 'checkbox',
    default: false,
  },
  {
    name: 'counts_ai_replies',
    label: 'An AI reply counts as a reply (the targets apply from the start)',
    type: 'checkbox',
    default: false,
  },
  {
    name: 'applies_to.channels',
    label: 'Channels',
    type: 'checks',
    options: channelKinds.map((c) => [c, c]),
    help: 'None checked: every channel.',
  },
  { name: 'applies_to.tags', label: 'Tags', type: 'list', help: 'Any of these tags; empty: any.' },
  {
    name: 'applies_to.priorities',
    label: 'Priorities',
    type: 'checks',
    options: priorities.map((p) => [p, p]),
    help: 'None checked: any.',
  },
];

const target = (label, m) => (m ? html`<span class="badge">${label} ${m} min</span>` : null);

export function SlaAdmin() {
  return html`<${CrudPage} path="/v1/sla-policies" fields=${fields} noun="SLA policy"
    intro="A conversation gets the oldest policy that applies to it, when it is created or first tagged."
    summary=${(
      p,
    ) => html`<strong>${p.name}</strong>${target('first reply', p.first_response_minutes)}${target('next reply', p.next_response_minutes)}${target('resolve', p.resolution_minutes)}
      ${p.business_hours ? html`<span class="muted small">business hours</span>` : null}`} />`;
}
