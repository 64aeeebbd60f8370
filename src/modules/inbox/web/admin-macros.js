import { CrudPage } from './admin-kit.js';
import { html } from './lib.js';

/** Manage → Macros: named lists of actions people run on a conversation from the composer. */
export const ACTIONS_HELP =
  'A JSON list, run in order. Types: assign_team {team_id}, assign_user {user_id}, add_tags {tags}, remove_tags {tags}, set_priority {priority}, send_canned {canned_response_id}, send_template {template}, handoff {reason?, team_id?}, snooze {minutes}, close, add_note {text}, webhook {url}.';

const fields = [
  { name: 'name', label: 'Name', required: true, placeholder: 'Refund: tag and close' },
  {
    name: 'actions',
    label: 'Actions',
    type: 'json',
    rows: 7,
    default: [{ type: 'add_tags', tags: ['refund'] }],
    help: ACTIONS_HELP,
  },
];

export function MacrosAdmin() {
  return html`<${CrudPage} path="/v1/macros" fields=${fields} noun="macro"
    summary=${(m) => html`<strong>${m.name}</strong><span class="muted small">${m.actions.map((a) => a.type.replace('_', ' ')).join(' → ')}</span>`} />`;
}
