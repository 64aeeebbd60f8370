import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, timestamp } from '../../platform/http/schemas.ts';

const role = describe(
  z.enum(['admin', 'agent']),
  '`admin` may do everything; `agent` works conversations and contacts (see the login route).',
  'agent',
);
const password = describe(
  z.string().min(8).max(200),
  'Password for inbox sign-in (at least 8 characters); write-only, stored as a scrypt hash.',
  'correct horse battery',
);
const name = describe(z.string().trim().min(1).max(200), 'Full name.', 'Priya Sharma');
const email = describe(
  z.email().max(254),
  'Email address, unique in the workspace and mode; the sign-in name.',
  'priya@glowsalon.in',
);

export const createUserBody = z.strictObject({
  name,
  email,
  role: role.default('agent'),
  password: password.optional(),
});

export const updateUserBody = z.strictObject({
  name: name.optional(),
  email: email.optional(),
  role: role.optional(),
  password: describe(
    password.nullable(),
    'New password; null removes it (the user can no longer sign in).',
    'correct horse battery',
  ).optional(),
});

export const userObject = z.object({
  ...baseObject('usr', 'user'),
  name: describe(z.string(), 'Full name.', 'Priya Sharma'),
  email: describe(z.string(), 'Email address (lower case).', 'priya@glowsalon.in'),
  role: describe(z.enum(['admin', 'agent']), 'Role.', 'agent'),
  has_password: describe(z.boolean(), 'Whether the user can sign in to the inbox.', true),
});

export const listUsersQuery = listQuery({
  role: describe(z.enum(['admin', 'agent']).optional(), 'Only users with this role.', 'agent'),
  team_id: describe(z.string().optional(), 'Only members of this team.', 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
});

export const teamMembersQuery = listQuery({
  role: describe(z.enum(['admin', 'agent']).optional(), 'Only members with this role.', 'agent'),
});

const userIds = describe(z.array(idOf('usr')).min(1).max(500), 'Users to add.', [
  'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
]);

export const createTeamBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(200), 'Team name.', 'Front desk'),
  user_ids: describe(z.array(idOf('usr')).max(500), 'Initial members.', [
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ]).optional(),
});

export const updateTeamBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(200), 'Team name.', 'Front desk').optional(),
});

export const addMembersBody = z.strictObject({ user_ids: userIds });

export const teamObject = z.object({
  ...baseObject('team', 'team'),
  name: describe(z.string(), 'Team name.', 'Front desk'),
  member_ids: describe(z.array(z.string()), 'Ids of the users in the team.', [
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ]),
});

export const memberParams = z.object({ id: idOf('team'), user_id: idOf('usr') });

export const loginBody = z.strictObject({
  email: describe(z.string().max(254), 'Email of the user.', 'priya@glowsalon.in'),
  password: describe(z.string().max(200), 'Password.', 'correct horse battery'),
  workspace_id: describe(
    idOf('ws'),
    'The workspace, when the email signs in to several.',
    'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
  mode: describe(z.enum(['live', 'test']), 'The mode, when the email has a user in both.', 'live').optional(),
});

export const loginResponse = z.object({
  token: describe(
    z.string(),
    'Session token (JWT, HS256). Send it as `Authorization: Bearer <token>`.',
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
  ),
  expires_at: timestamp('When the token stops working'),
  user: describe(userObject, 'The signed-in user.'),
});
