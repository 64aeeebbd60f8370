import { CrudPage } from './admin-kit.js';
import { actionField } from './admin-rows.js';
import { html } from './lib.js';

/** Manage → Macros: named lists of actions people run on a conversation from the composer. */
const fields = [
  { name: 'name', label: 'Name', required: true, placeholder: 'Refund: tag and close' },
  { ...actionField('Run in order.'), default: [{ type: 'add_tags', tags: ['refund'] }] },
];

export function MacrosAdmin() {
  return html`<${CrudPage} path="/v1/macros" fields=${fields} noun="macro"
    summary=${(m) => html`<strong>${m.name}</strong><span class="muted small">${m.actions.map((a) => a.type.replace('_', ' ')).join(' → ')}</span>`} />`;
}
