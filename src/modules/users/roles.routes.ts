import { pageRequest } from '../../platform/http/pagination.ts';
import { defineRoute, ok } from '../../platform/http/route.ts';
import { listResponse } from '../../platform/http/schemas.ts';
import {
  createRoleBody,
  deletedRole,
  listRolesQuery,
  roleObject,
  roleParams,
  updateRoleBody,
} from './roles.schemas.ts';
import { createRole, deleteRole, getRole, listRoles, updateRole } from './roles.service.ts';

export const roleRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/roles',
    summary: 'List roles',
    description:
      'The built-in `admin` and `agent` first, then the roles the business defined, each with its permissions, visibility and whether it masks contact details.',
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:read',
    query: listRolesQuery,
    responses: { 200: listResponse(roleObject) },
    handler: ok(({ ctx, auth, query }) => listRoles(ctx, auth, pageRequest(query))),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/roles',
    summary: 'Define a role',
    description:
      'A role grants its people permissions (the scopes API keys use), a visibility (`all`, `team`, `assigned`) and optionally masked contact details. It may grant only what the caller holds: a permission the caller lacks, a wider visibility or unmasked details are a 403 `forbidden` naming what is lacking. A name already used is a 409 `conflict`. Give it to a user with `PATCH /v1/users/{id}` (`role`).',
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:write',
    body: createRoleBody,
    responses: { 201: roleObject },
    errors: ['conflict', 'unprocessable'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createRole(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/roles/:id',
    summary: 'Get a role',
    description: 'One role by its id or name (`admin` and `agent` are the built-ins).',
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:read',
    params: roleParams,
    responses: { 200: roleObject },
    handler: ok(({ ctx, auth, params }) => getRole(ctx, auth, params.id)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/roles/:id',
    summary: 'Update a role',
    description:
      "Changes a role's name, permissions, visibility or masking; fields left out stay. Its people's sessions follow at once (the role is read on every request). The built-ins cannot be changed (409); the role as changed must be grantable by the caller (403).",
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:write',
    params: roleParams,
    body: updateRoleBody,
    responses: { 200: roleObject },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params, body }) => updateRole(ctx, auth, params.id, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/roles/:id',
    summary: 'Delete a role',
    description:
      'A role that users still have is kept: 409 `conflict` with their ids (give them another role first). The built-ins cannot be deleted (409).',
    tags: ['Users'],
    auth: 'key',
    scope: 'settings:write',
    params: roleParams,
    responses: { 200: deletedRole },
    errors: ['conflict'],
    handler: ok(({ ctx, auth, params }) => deleteRole(ctx, auth, params.id)),
  }),
];
