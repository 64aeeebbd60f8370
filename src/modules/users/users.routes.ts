import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { deletedResponse, idParams, listQuery, listResponse } from '../../platform/http/schemas.ts';
import { presentUserIds } from './availability.ts';
import { resolveRoleFor } from './roles.service.ts';
import {
  addMembersBody,
  createTeamBody,
  createUserBody,
  listUsersQuery,
  loginBody,
  loginResponse,
  memberParams,
  teamMembersQuery,
  teamObject,
  updateTeamBody,
  updateUserBody,
  userObject,
} from './users.schemas.ts';
import {
  AGENT_SCOPES,
  addTeamMembers,
  createTeam,
  createUser,
  deleteTeam,
  deleteUser,
  getTeam,
  getTeamRow,
  getUserRow,
  listTeams,
  listUsers,
  presentUser,
  removeTeamMember,
  SESSION_TTL_SECONDS,
  updateTeam,
  updateUser,
} from './users.service.ts';
import { login, logout } from './users.sessions.ts';

export const userRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/auth/login',
    summary: 'Sign in to the inbox',
    description: `No API key. Answers a session token valid ${SESSION_TTL_SECONDS / 3600} hours, usable as \`Authorization: Bearer <token>\` on the API with the user's role: admins have every scope; agents have ${AGENT_SCOPES.map((s) => `\`${s}\``).join(', ')}. A wrong email or password is the same 401. Failed sign-ins are limited per email and client address together (\`PARLEY_LOGIN_MAX_ATTEMPTS\` in 15 minutes, each attempt after the second failure waiting longer: 1 s, 2 s, 4 s, ...), so failures from one address never lock the user out from another; per email from all addresses together (\`PARLEY_LOGIN_MAX_ATTEMPTS_PER_EMAIL\`, a higher ceiling); and attempts per client address (\`PARLEY_LOGIN_MAX_ATTEMPTS_PER_CLIENT\`). Past any of them the answer is 429 \`rate_limited\` with \`Retry-After\`, whether or not the email exists. In a workspace that signs in with single sign-on only (\`PUT /v1/sso-settings\`), a right password is a 403 \`forbidden\` (\`sso_only: true\`) for everyone but the break-glass admin.`,
    tags: ['Users'],
    auth: 'none',
    body: loginBody,
    responses: { 200: loginResponse },
    errors: ['unauthorized', 'forbidden', 'rate_limited'],
    handler: ok(({ ctx, body, request }) =>
      login(ctx, ctx.modules.users.sessionSecret, body, request.ip, request.headers['user-agent']),
    ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/auth/logout',
    summary: 'Sign out of the inbox',
    description:
      'Ends every open session of the signed-in user, on every device: their session tokens are refused (401) from now on. A password change or a role change (`PATCH /v1/users/{id}`) ends them the same way. Only an inbox session can sign out (an API key is revoked with `DELETE /v1/api-keys/{id}`: 422 `unprocessable`).',
    tags: ['Users'],
    auth: 'key',
    responses: { 204: null },
    errors: ['unprocessable'],
    handler: async ({ ctx, auth }) => {
      await logout(ctx, auth);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/users',
    summary: 'List users',
    description:
      "The workspace's human agents (inbox users), with their role (`admin` or `agent`). Passwords are never returned (`has_password` says whether one is set).",
    tags: ['Users'],
    auth: 'key',
    scope: 'users:read',
    query: listUsersQuery,
    responses: { 200: listResponse(userObject) },
    handler: ok(({ ctx, auth, query }) => listUsers(ctx, auth, query, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/users',
    summary: 'Create a user (a human agent of the inbox)',
    description: 'A duplicate email in the workspace and mode is a 409 `conflict` with `existing_id`.',
    tags: ['Users'],
    auth: 'key',
    scope: 'users:write',
    body: createUserBody,
    responses: { 201: userObject },
    errors: ['conflict'],
    handler: async ({ ctx, auth, body }) => ({
      status: 201,
      body: await createUser(ctx, auth, { ...body, role: await resolveRoleFor(ctx.db, auth, body.role) }),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/users/:id',
    summary: 'Get a user',
    description:
      'One inbox user: name, email, role, and whether a password is set (the password itself is never returned).',
    tags: ['Users'],
    auth: 'key',
    scope: 'users:read',
    params: idParams('usr'),
    responses: { 200: userObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentUser(
        await getUserRow(ctx.db, auth, params.id),
        (await presentUserIds(ctx.db, [params.id], ctx.clock.now())).has(params.id),
      ),
    }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/users/:id',
    summary: 'Update a user',
    description:
      "Changes a user's name, email, role or password; fields left out stay as they are. A new password or a new role ends the user's open inbox sessions (their tokens get 401; they sign in again).",
    tags: ['Users'],
    auth: 'key',
    scope: 'users:write',
    params: idParams('usr'),
    body: updateUserBody,
    responses: { 200: userObject },
    errors: ['conflict'],
    handler: ok(async ({ ctx, auth, params, body }) =>
      updateUser(ctx, auth, params.id, {
        ...body,
        role: body.role === undefined ? undefined : await resolveRoleFor(ctx.db, auth, body.role),
      }),
    ),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/users/:id',
    summary: 'Delete a user',
    description:
      'Removes the user from their teams and unassigns their conversations (`conversation.assigned` with no assignee); their sessions stop working at once. A signed-in admin cannot delete themselves (409).',
    tags: ['Users'],
    auth: 'key',
    scope: 'users:write',
    params: idParams('usr'),
    responses: { 200: deletedResponse('usr', 'user') },
    errors: ['conflict'],
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await deleteUser(ctx, auth, params.id) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/teams',
    summary: 'List teams',
    description:
      'Teams of the workspace with their members. A conversation can be assigned to a team (`POST /v1/conversations/{id}/assign` with `team_id`).',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:read',
    query: listQuery({}),
    responses: { 200: listResponse(teamObject) },
    handler: ok(({ ctx, auth, query }) => listTeams(ctx, auth, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/teams',
    summary: 'Create a team',
    description:
      'Creates a team, optionally with its first members (`user_ids`); an id that is not a user of this workspace and mode is a 400 `validation_failed` naming it (`user_ids.<i>`).',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:write',
    body: createTeamBody,
    responses: { 201: teamObject },
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createTeam(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/teams/:id',
    summary: 'Get a team',
    description:
      'One team of the workspace with its members (ids and names). Conversations are assigned to it with `POST /v1/conversations/{id}/assign` and `team_id`.',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:read',
    params: idParams('team'),
    responses: { 200: teamObject },
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await getTeam(ctx, auth, params.id) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/teams/:id',
    summary: 'Rename a team or change its assignment rule',
    description:
      'Renames the team or changes its `assignment` rule (a new rule gives out what waits in its queue at once). Members are changed with `POST /v1/teams/{id}/members` and `DELETE /v1/teams/{id}/members/{user_id}`.',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:write',
    params: idParams('team'),
    body: updateTeamBody,
    responses: { 200: teamObject },
    handler: ok(({ ctx, auth, params, body }) => updateTeam(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/teams/:id',
    summary: 'Delete a team',
    description: 'Deletes the team and unassigns its conversations. Its users stay in the workspace.',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:write',
    params: idParams('team'),
    responses: { 200: deletedResponse('team', 'team') },
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await deleteTeam(ctx, auth, params.id) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/teams/:id/members',
    summary: "List a team's members",
    description: 'The users of the team, as `GET /v1/users?team_id=` lists them (filter by `role` too).',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:read',
    params: idParams('team'),
    query: teamMembersQuery,
    responses: { 200: listResponse(userObject) },
    handler: async ({ ctx, auth, params, query }) => {
      // An unknown team is a 404, not an empty list.
      await getTeamRow(ctx.db, auth, params.id);
      return {
        status: 200,
        body: await listUsers(ctx, auth, { role: query.role, team_id: params.id }, pageRequest(query)),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/teams/:id/members',
    summary: 'Add users to a team',
    description:
      'Users already in the team stay; an id that is not a user of this workspace and mode (whatever its form, `usr_nope` too) is a 400 `validation_failed` naming it (`user_ids.<i>`).',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:write',
    params: idParams('team'),
    body: addMembersBody,
    responses: { 200: teamObject },
    handler: ok(({ ctx, auth, params, body }) => addTeamMembers(ctx, auth, params.id, body.user_ids)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/teams/:id/members/:user_id',
    summary: 'Remove a user from a team',
    description:
      'Takes the user out of the team (the user stays in the workspace). A user who is not a member is a 404.',
    tags: ['Teams'],
    auth: 'key',
    scope: 'teams:write',
    params: memberParams,
    responses: { 200: teamObject },
    handler: ok(({ ctx, auth, params }) => removeTeamMember(ctx, auth, params.id, params.user_id)),
  }),
];
