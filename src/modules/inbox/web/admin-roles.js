import { CrudPage } from './admin-kit.js';
import { html } from './lib.js';

/** The permissions a role picks from: the scopes API keys use, by what a person does. */
const PERMISSIONS = [
  ['conversations:*', 'Work conversations'],
  ['messages:*', 'Send and read messages'],
  ['contacts:*', 'Edit contacts'],
  ['contacts:read', 'Read contacts'],
  ['leads:*', 'Leads'],
  ['bookings:*', 'Bookings'],
  ['calls:read', 'Read calls'],
  ['reports:read', 'Reports and exports'],
  ['templates:read', 'Read templates'],
  ['agents:read', 'Read AI agents'],
  ['knowledge:read', 'Read knowledge'],
  ['audiences:read', 'Read audiences'],
  ['users:read', 'See users'],
  ['teams:read', 'See teams'],
  ['events:read', 'Live updates (needed by the inbox)'],
  ['tools:read', 'Read tools'],
  ['settings:*', 'Settings (roles, SCIM)'],
  ['privacy:*', 'Privacy (export, erase, merge)'],
];

const VISIBILITY = {
  all: 'All conversations',
  team: 'Their teams’ conversations',
  assigned: 'Conversations assigned to them',
};

/** Manage → Roles: roles the business defines, beside the built-in admin and agent. */
const fields = [
  { name: 'name', label: 'Name', required: true, placeholder: 'Outsourced support' },
  { name: 'description', label: 'Description', type: 'textarea', rows: 2, emptyIsNull: true },
  {
    name: 'permissions',
    label: 'Permissions',
    type: 'checks',
    options: PERMISSIONS,
    default: ['conversations:*', 'messages:*', 'contacts:read', 'users:read', 'teams:read', 'events:read'],
    help: 'You can grant only what your own role holds.',
  },
  {
    name: 'visibility',
    label: 'Sees',
    type: 'select',
    options: Object.entries(VISIBILITY),
    default: 'all',
    help: 'Everywhere: lists, search, exports, reports, live updates.',
  },
  {
    name: 'mask_contact_details',
    label: 'Mask customers’ phone numbers and emails',
    type: 'checkbox',
    default: false,
  },
];

const permissionCount = (p) =>
  p.includes('*') ? 'every permission' : `${p.length} permission${p.length === 1 ? '' : 's'}`;

export function RolesAdmin() {
  return html`<${CrudPage} path="/v1/roles" fields=${fields} noun="role" fixed=${(r) => r.built_in}
    intro="Give a role to a person under Users and teams. Admin and agent are built in."
    summary=${(r) => html`<strong>${r.name}</strong>
      <span class="muted small">${r.built_in ? 'built in · ' : ''}${VISIBILITY[r.visibility]}${r.mask_contact_details ? ' · contact details masked' : ''} · ${permissionCount(r.permissions)}</span>`} />`;
}
