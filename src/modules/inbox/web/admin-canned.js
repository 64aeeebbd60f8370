import { CrudPage } from './admin-kit.js';
import { forgetCanned } from './canned.js';
import { html } from './lib.js';

/** Manage → Canned responses: the saved replies people pick with `/` in the composer. */
const fields = [
  {
    name: 'short_code',
    label: 'Short code',
    required: true,
    placeholder: 'hours',
    help: 'Typed after / in the reply box: letters, digits, - and _.',
  },
  { name: 'title', label: 'Title', required: true, placeholder: 'Opening hours' },
  {
    name: 'content',
    label: 'Content',
    type: 'textarea',
    rows: 4,
    placeholder: 'Hi {{contact.name}}, we are open 10:00-19:00.',
    help: 'Variables: {{contact.name}}, {{contact.phone}}, {{user.name}}, {{agent.name}}, {{business.address}}.',
  },
];

export function CannedAdmin() {
  return html`<${CrudPage} path="/v1/canned-responses" fields=${fields} noun="canned response" onChange=${forgetCanned}
    summary=${(c) => html`<code>/${c.short_code}</code><strong>${c.title}</strong><span class="muted small canned-preview">${c.content}</span>`} />`;
}
