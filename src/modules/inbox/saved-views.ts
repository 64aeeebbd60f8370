import { z } from 'zod';
import type { AppContext } from '../../platform/context.ts';
import { scopeColumns, tenant } from '../../platform/db/scope.ts';
import { ApiError, notFound } from '../../platform/errors.ts';
import { pageOf } from '../../platform/http/pagination.ts';
import { type Auth, defineRoute } from '../../platform/http/route.ts';
import {
  deletedResponse,
  describe,
  idOf,
  idParams,
  listResponse,
  timestamp,
} from '../../platform/http/schemas.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { channelTypes } from '../channels/index.ts';
import type { SavedViewsTable } from './saved-views.tables.ts';

/**
 * Saved inbox views (issue 62): a person names the list's filters (a tab, status, channel, tag,
 * agent, assignee, priority and a search) and opens them again in one click, for themselves or
 * shared with the workspace, as Intercom's saved views and Chatwoot's custom views do.
 */
const MAX_VIEWS = 100;

const filters = describe(
  z.strictObject({
    view: describe(z.enum(['mine', 'unassigned', 'handoffs', 'all']), 'The tab.', 'handoffs').optional(),
    status: describe(
      z.enum(['active', 'snoozed', 'closed', 'any']),
      'The status (`any`: every status).',
      'closed',
    ).optional(),
    channel: describe(z.enum([...channelTypes, 'web']), 'The channel.', 'whatsapp').optional(),
    tag: describe(z.string().trim().min(1).max(64), 'A tag.', 'vip').optional(),
    agent: idOf('agt', 'Only answered by this agent.').optional(),
    assignee: describe(
      z.string().regex(/^((usr|team)_[0-9A-HJKMNP-TV-Z]{26}|none)$/, 'must be a usr_ or team_ id, or none'),
      'Assigned to this user or team (`none`: unassigned).',
      'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
    ).optional(),
    priority: describe(z.enum(['low', 'normal', 'high', 'urgent']), 'The priority.', 'urgent').optional(),
    q: describe(z.string().trim().min(1).max(500), 'A search.', 'refund').optional(),
    date: describe(
      z.enum(['today', '7d', '30d', '90d']),
      'Last activity (a search: messages written) since: today, or the last 7, 30 or 90 days, counted when the view opens.',
      '7d',
    ).optional(),
  }),
  "The list's filters, as the inbox's URL holds them (`view` is the tab; `status: any` searches every status).",
  { view: 'handoffs', priority: 'urgent', channel: 'whatsapp' },
);

const createBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(80), 'What the view is called.', 'Urgent on WhatsApp'),
  filters,
  shared: describe(
    z.boolean(),
    'Every person of the workspace sees it (default false: only you).',
    false,
  ).optional(),
});

const savedViewObject = z.object({
  id: idOf('sv', 'Unique identifier of the saved view.'),
  object: describe(z.literal('saved_view'), 'The type of this object.', 'saved_view'),
  name: describe(z.string(), 'What the view is called.', 'Urgent on WhatsApp'),
  filters,
  shared: describe(z.boolean(), 'Whether every person of the workspace sees it.', false),
  user_id: idOf('usr', 'Who saved it.'),
  created_at: timestamp('When it was saved'),
});

const present = (row: SavedViewsTable) => ({
  id: row.id,
  object: 'saved_view' as const,
  name: row.name,
  filters: fromJson<z.output<typeof filters>>(row.filters, {}),
  shared: row.shared === 1,
  user_id: row.user_id,
  created_at: row.created_at,
});

/** A view belongs to a person: an API key has none. */
function person(auth: Auth): string {
  if (auth.kind !== 'user')
    throw new ApiError('forbidden', 'Saved views belong to a person: call this with an inbox session.');
  return auth.principalId;
}

async function listViews(ctx: AppContext, auth: Auth) {
  const me = person(auth);
  const rows = (await tenant(ctx.db, auth)
    .selectFrom('saved_views')
    .selectAll()
    .where((eb) => eb.or([eb('user_id', '=', me), eb('shared', '=', 1)]))
    .orderBy('name')
    .orderBy('id')
    .execute()) as SavedViewsTable[];
  // Every one on one page: a person has at most MAX_VIEWS of their own.
  return pageOf(rows.map(present), rows.length, { page: 1, perPage: Math.max(rows.length, 1) });
}

async function createView(ctx: AppContext, auth: Auth, body: z.output<typeof createBody>) {
  const me = person(auth);
  const mine = await tenant(ctx.db, auth)
    .selectFrom('saved_views')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', me)
    .executeTakeFirst();
  if (Number(mine?.n ?? 0) >= MAX_VIEWS)
    throw new ApiError(
      'validation_failed',
      `At most ${MAX_VIEWS} saved views per person: delete one first.`,
      {
        status: 400,
      },
    );
  const row: SavedViewsTable = {
    id: newId('sv'),
    ...scopeColumns(auth),
    user_id: me,
    name: body.name,
    filters: toJson(body.filters),
    shared: body.shared ? 1 : 0,
    created_at: ctx.clock.now().toISOString(),
  };
  await ctx.db.insertInto('saved_views').values(row).execute();
  return present(row);
}

/** Your own view, or (admins) a shared one; another person's private view is not found. */
async function deleteView(ctx: AppContext, auth: Auth, id: string) {
  const me = person(auth);
  const row = (await tenant(ctx.db, auth).findById('saved_views', id)) as SavedViewsTable | undefined;
  if (!row || (row.user_id !== me && row.shared !== 1)) throw notFound('saved view', id);
  if (row.user_id !== me && !auth.scopes.includes('*'))
    throw new ApiError('forbidden', 'Only its author or an admin deletes a shared view.');
  await tenant(ctx.db, auth).deleteFrom('saved_views').where('id', '=', id).execute();
  return { id, object: 'saved_view' as const, deleted: true as const };
}

const tags = ['Saved views'];

export const savedViewRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/saved-views',
    summary: 'List saved views',
    description:
      "The signed-in person's saved inbox views and those shared with the workspace, by name (inbox sessions only; an API key is a 403).",
    tags,
    auth: 'key',
    scope: 'conversations:read',
    responses: { 200: listResponse(savedViewObject) },
    errors: ['forbidden'],
    handler: async ({ ctx, auth }) => ({ status: 200, body: await listViews(ctx, auth) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/saved-views',
    summary: 'Save a view',
    description: `Names the inbox list's filters, for you or (\`shared\`) for everyone in the workspace. At most ${MAX_VIEWS} per person.`,
    tags,
    auth: 'key',
    scope: 'conversations:read',
    body: createBody,
    responses: { 201: savedViewObject },
    errors: ['validation_failed', 'forbidden'],
    handler: async ({ ctx, auth, body }) => ({ status: 201, body: await createView(ctx, auth, body) }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/saved-views/:id',
    summary: 'Delete a saved view',
    description:
      "Deletes your own view; a shared one is deleted by its author or an admin. Another person's private view is a 404.",
    tags,
    auth: 'key',
    scope: 'conversations:read',
    params: idParams('sv'),
    responses: { 200: deletedResponse('sv', 'saved_view') },
    errors: ['forbidden'],
    handler: async ({ ctx, auth, params }) => ({ status: 200, body: await deleteView(ctx, auth, params.id) }),
  }),
];
