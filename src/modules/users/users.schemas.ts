import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, timestamp } from '../../platform/http/schemas.ts';
import { NUL_MESSAGE } from '../../platform/nul.ts';

const role = describe(
  z.string().trim().min(1).max(200),
  "The user's role: `admin` may do everything; `agent` works conversations and contacts (see the login route); or a role the business defined, by its id or name (`GET /v1/roles`). A role that grants what the caller lacks is refused (403).",
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

const capacity = describe(
  z.number().int().min(1).max(10_000).nullable(),
  'Capacity: the most open conversations routing gives this user (null: no limit). 0 is refused: set availability `busy` to take none.',
  3,
);

export const createUserBody = z.strictObject({
  name,
  email,
  role: role.default('agent'),
  password: password.optional(),
  max_open_conversations: capacity.optional(),
});

export const updateUserBody = z
  .strictObject({
    name: name.optional(),
    email: email.optional(),
    role: role.optional(),
    password: describe(
      password.nullable(),
      'New password; null removes it (the user can no longer sign in).',
      'correct horse battery',
    ).optional(),
    max_open_conversations: capacity.optional(),
  })
  .meta({ examples: [{ name: 'Priya Sharma', role: 'agent', max_open_conversations: 3 }] });

export const userObject = z.object({
  ...baseObject('usr', 'user'),
  name: describe(z.string(), 'Full name.', 'Priya Sharma'),
  email: describe(z.string(), 'Email address (lower case).', 'priya@glowsalon.in'),
  role: describe(
    z.string(),
    'Role: `admin`, `agent`, or the id of a role the business defined (`role_…`).',
    'agent',
  ),
  has_password: describe(z.boolean(), 'Whether the user can sign in to the inbox.', true),
  availability: describe(
    z.enum(['online', 'busy', 'offline']),
    'Online while the inbox is open (or set by hand with `PUT /v1/me/availability`, which wins); routing gives conversations to online users only.',
    'online',
  ),
  max_open_conversations: describe(
    z.number().int().nullable(),
    'Capacity: the most open conversations routing gives this user (null: no limit).',
    3,
  ),
});

export const listUsersQuery = listQuery({
  role: describe(
    z.string().max(200).optional(),
    'Only users with this role (`admin`, `agent` or a role id).',
    'agent',
  ),
  team_id: describe(z.string().optional(), 'Only members of this team.', 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
});

export const teamMembersQuery = listQuery({
  role: describe(
    z.string().max(200).optional(),
    'Only members with this role (`admin`, `agent` or a role id).',
    'agent',
  ),
});

/**
 * A user id in a team's members: any `usr_` id is taken here and checked against the workspace's
 * users by the service, so an unknown one (well formed or not, `usr_nope`) is the same 400
 * `validation_failed` naming `user_ids.<i>`, never a 404 that reads as "no such team".
 */
const memberId = describe(
  z.string().regex(/^usr_[A-Za-z0-9_-]{1,80}$/, 'must be a user id (`usr_` prefix)'),
  'Identifier (`usr_` prefix).',
  'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
);

const userIds = describe(z.array(memberId).min(1).max(500), 'Users to add.', [
  'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
]);

export const teamAssignment = describe(
  z.strictObject({
    mode: describe(
      z.enum(['manual', 'round_robin', 'balanced']),
      '`manual`: conversations routed to the team wait in its queue for someone to take them; `round_robin`: the next member in turn; `balanced`: the member with the fewest open conversations.',
      'balanced',
    ),
    only_online: describe(
      z.boolean(),
      'Give conversations only to online members (busy and offline ones are skipped). False also gives them to offline members, never to busy ones.',
      true,
    ).default(true),
    max_per_user: describe(
      z.number().int().min(1).max(10_000).nullable(),
      "The most open conversations a member takes from this team's routing (with the user's own capacity, the tighter one applies; null: none).",
      5,
    ).optional(),
  }),
  "How the team's conversations are given to its members. A team with no members is accepted: its conversations wait in its queue until someone joins.",
);

export const createTeamBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(200), 'Team name.', 'Front desk'),
  assignment: teamAssignment.optional(),
  user_ids: describe(z.array(memberId).max(500), 'Initial members.', [
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ]).optional(),
});

export const updateTeamBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(200), 'Team name.', 'Front desk').optional(),
  assignment: teamAssignment.optional(),
});

export const addMembersBody = z.strictObject({ user_ids: userIds });

/** A team's assignment rule as answered (every field present). */
export const assignmentObject = describe(
  z.object({
    mode: describe(
      z.enum(['manual', 'round_robin', 'balanced']),
      '`manual`: conversations wait in the queue for someone to take them; `round_robin`: members in turn; `balanced`: the member with the fewest open conversations.',
      'balanced',
    ),
    only_online: describe(z.boolean(), 'Only online members get conversations.', true),
    max_per_user: describe(
      z.number().int().nullable(),
      "The most open conversations a member takes from this team's routing (null: only the user's own capacity).",
      5,
    ),
  }),
  'How conversations routed to the team are given to its members.',
);

export const teamObject = z.object({
  ...baseObject('team', 'team'),
  name: describe(z.string(), 'Team name.', 'Front desk'),
  member_ids: describe(z.array(z.string()), 'Ids of the users in the team.', [
    'usr_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ]),
  assignment: assignmentObject,
});

export const memberParams = z.object({ id: idOf('team'), user_id: idOf('usr') });

export const loginBody = z
  .strictObject({
    // Sign-in has no API key, so the NUL rule of keyed routes (platform/nul.ts) is the schema's here.
    email: describe(
      z
        .string()
        .max(254)
        .refine((s) => !s.includes('\u0000'), NUL_MESSAGE),
      'Email of the user.',
      'priya@glowsalon.in',
    ),
    password: describe(z.string().max(200), 'Password.', 'correct horse battery'),
    workspace_id: describe(
      idOf('ws'),
      'The workspace, when the email signs in to several.',
      'ws_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    ).optional(),
    mode: describe(
      z.enum(['live', 'test']),
      'The mode, when the email has a user in both.',
      'live',
    ).optional(),
    totp_code: describe(
      z.string().trim().max(10),
      'The 6-digit code of the authenticator app, for a user with two-factor sign-in on.',
      '492039',
    ).optional(),
    recovery_code: describe(
      z.string().trim().max(20),
      'Instead of `totp_code`: one of the recovery codes (each works once).',
      'k3j9x-q2mp8',
    ).optional(),
  })
  .meta({ examples: [{ email: 'priya@glowsalon.in', password: 'correct horse battery' }] });

export const loginResponse = z.object({
  token: describe(
    z.string(),
    'Session token (JWT, HS256). Send it as `Authorization: Bearer <token>`.',
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
  ),
  expires_at: timestamp('When the token stops working'),
  user: describe(userObject, 'The signed-in user.'),
  two_factor_enrolment_required: describe(
    z.boolean(),
    'True when the workspace requires two-factor sign-in and this user has none yet: the session may only enrol (`POST /v1/me/two-factor`); every scoped route answers 403 until they sign in again with a code.',
    false,
  ),
});
