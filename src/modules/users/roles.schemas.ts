import { z } from 'zod';
import { describe, idOf, listQuery, nullableTimestamp } from '../../platform/http/schemas.ts';
import { scopePattern } from '../workspaces/index.ts';

const permission = describe(
  z.string().regex(scopePattern, 'must be `*`, `resource:read`, `resource:write` or `resource:*`'),
  'A permission, as API keys carry them: `*`, or `resource:read|write|*` (write implies read).',
  'conversations:*',
);
const permissions = describe(
  z.array(permission).max(100),
  'What its people may do: the scopes API keys use (`conversations:*`, `contacts:read`, `reports:read`, `exports`... see the API keys doc). Only what the caller holds may be granted.',
  ['conversations:*', 'messages:*', 'contacts:read', 'users:read', 'teams:read', 'events:read'],
);
const visibility = describe(
  z.enum(['all', 'team', 'assigned']),
  'Which conversations its people see, everywhere (lists, search, exports, event streams, reports, MCP tools): `all`; `team`: those assigned to their teams, to them or to their teammates; `assigned`: those assigned to them.',
  'team',
);
const mask = describe(
  z.boolean(),
  "Whether customers' phone numbers and email addresses are shown masked (`+91•••••43210`, `p•••@example.com`) in everything its people read.",
  true,
);
const name = describe(
  z.string().trim().min(1).max(100),
  'A name, unique in the workspace and mode; `admin` and `agent` are taken by the built-ins.',
  'Outsourced support',
);
const description = describe(
  z.string().trim().max(500).nullable(),
  'What the role is for (null: none).',
  'Agents of our partner: their team only, no phone numbers.',
);

export const roleParams = z.object({
  id: describe(
    z.string().trim().min(1).max(200),
    "The role's id (`role_…`), its name, or `admin` / `agent`.",
    'role_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
});

export const createRoleBody = z.strictObject({
  name,
  description: description.optional(),
  permissions,
  visibility: visibility.default('all'),
  mask_contact_details: mask.default(false),
});

export const updateRoleBody = z
  .strictObject({
    name: name.optional(),
    description: description.optional(),
    permissions: permissions.optional(),
    visibility: visibility.optional(),
    mask_contact_details: mask.optional(),
  })
  .meta({ examples: [{ visibility: 'assigned', mask_contact_details: true }] });

export const listRolesQuery = listQuery({});

export const roleObject = z.object({
  id: describe(
    z.string(),
    'Identifier: `admin` and `agent` for the built-ins, `role_…` for a role the business defined.',
    'role_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  object: describe(z.literal('role'), 'The type of this object.', 'role'),
  name,
  description,
  built_in: describe(z.boolean(), 'True for `admin` and `agent`, which cannot be changed or deleted.', false),
  permissions,
  visibility,
  mask_contact_details: mask,
  created_at: nullableTimestamp('When it was created (null for a built-in)'),
  updated_at: nullableTimestamp('When it last changed (null for a built-in)'),
});

export const deletedRole = z.object({
  id: describe(z.string(), 'The deleted role.', 'role_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  object: describe(z.literal('role'), 'The type of the deleted object.', 'role'),
  deleted: describe(z.literal(true), 'Always true.', true),
});

export const scimTokenObject = z.object({
  id: describe(z.string(), 'Identifier (`scim_` prefix).', 'scim_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  object: describe(z.literal('scim_token'), 'The type of this object.', 'scim_token'),
  livemode: describe(z.boolean(), 'The mode whose users and teams it provisions.', true),
  name: describe(z.string().nullable(), 'A label (null: none).', 'Okta'),
  prefix: describe(z.string(), 'The first characters of the token, to tell tokens apart.', 'scim_live_a1B2'),
  last_used_at: nullableTimestamp('When the identity provider last used it (to the minute)'),
  revoked_at: nullableTimestamp('When it was revoked'),
  created_at: nullableTimestamp('When it was created'),
  updated_at: nullableTimestamp('When it last changed'),
});

export const createdScimTokenObject = scimTokenObject.extend({
  token: describe(
    z.string(),
    'The bearer token for the identity provider. Shown only in this response: store it now.',
    'scim_live_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6',
  ),
});

export const createScimTokenBody = z.strictObject({
  name: describe(
    z.string().trim().min(1).max(200),
    'A label, such as the identity provider’s name.',
    'Okta',
  ).optional(),
});

export const scimTokenParams = z.object({ id: idOf('scim') });

export const scimTokenList = z.object({
  data: describe(z.array(scimTokenObject), 'The tokens, newest first.'),
});
