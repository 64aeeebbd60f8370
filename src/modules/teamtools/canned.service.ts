import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, validationFailed } from '../../platform/errors.ts';
import { type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { placeholdersOf } from '../../platform/placeholders.ts';
import { cannedVariables } from './canned.schemas.ts';
import type { CannedResponsesTable } from './teamtools.tables.ts';

export function presentCanned(row: CannedResponsesTable) {
  return {
    ...objectHead(row, 'canned_response'),
    short_code: row.short_code,
    title: row.title,
    content: row.content,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function getCannedRow(db: Db | Trx, scope: Scope, id: string) {
  return tenant(db, scope).getById('canned_responses', id, 'canned response');
}

function checkVariables(content: string) {
  const known = new Set<string>(cannedVariables);
  const bad = placeholdersOf(content)
    .map((p) => p.key)
    .filter((v) => !known.has(v) && !known.has(`contact.${v}`));
  if (bad.length)
    throw validationFailed(
      [{ field: 'content', message: `unknown variable {{${bad[0]}}}; use ${cannedVariables.join(', ')}` }],
      `content: unknown variable {{${bad[0]}}}`,
    );
}

async function codeTaken(db: Db | Trx, scope: Scope, code: string, exceptId?: string) {
  let q = tenant(db, scope).selectFrom('canned_responses').select('id').where('short_code', '=', code);
  if (exceptId) q = q.where('id', '!=', exceptId);
  const row = await q.executeTakeFirst();
  if (row)
    throw new ApiError('conflict', `A canned response with short code ${code} already exists: ${row.id}.`, {
      details: { existing_id: row.id },
    });
}

export async function createCanned(
  ctx: AppContext,
  scope: Scope,
  input: { short_code: string; title: string; content: string },
) {
  checkVariables(input.content);
  const code = input.short_code.toLowerCase();
  await codeTaken(ctx.db, scope, code);
  const now = ctx.clock.now().toISOString();
  const row: CannedResponsesTable = {
    ...newRow('cr', scope),
    short_code: code,
    title: input.title,
    content: input.content,
    created_at: now,
    updated_at: now,
  };
  try {
    await ctx.db.insertInto('canned_responses').values(row).execute();
  } catch (err) {
    // Two creates of one code at once: the unique index decides, the loser gets the same 409.
    await codeTaken(ctx.db, scope, code);
    throw err;
  }
  return presentCanned(row);
}

export async function listCanned(ctx: AppContext, scope: Scope, query: { q?: string }, page: PageRequest) {
  let q = tenant(ctx.db, scope).selectFrom('canned_responses').selectAll();
  if (query.q) {
    const like = `%${query.q.toLowerCase().replace(/[%_\\]/g, '')}%`;
    q = q.where((eb) => eb.or([eb('short_code', 'like', like), eb(eb.fn('lower', ['title']), 'like', like)]));
  }
  return paginate(q.orderBy('short_code'), page, presentCanned);
}

export async function getCanned(ctx: AppContext, scope: Scope, id: string) {
  return presentCanned(await getCannedRow(ctx.db, scope, id));
}

export async function updateCanned(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: { short_code?: string; title?: string; content?: string },
) {
  const row = await getCannedRow(ctx.db, scope, id);
  if (input.content !== undefined) checkVariables(input.content);
  const code = input.short_code?.toLowerCase();
  if (code && code !== row.short_code) await codeTaken(ctx.db, scope, code, row.id);
  const next: CannedResponsesTable = {
    ...row,
    short_code: code ?? row.short_code,
    title: input.title ?? row.title,
    content: input.content ?? row.content,
    updated_at: ctx.clock.now().toISOString(),
  };
  await ctx.db
    .updateTable('canned_responses')
    .set({
      short_code: next.short_code,
      title: next.title,
      content: next.content,
      updated_at: next.updated_at,
    })
    .where('id', '=', row.id)
    .execute();
  return presentCanned(next);
}

export async function deleteCanned(ctx: AppContext, scope: Scope, id: string) {
  const row = await getCannedRow(ctx.db, scope, id);
  await ctx.db.deleteFrom('canned_responses').where('id', '=', row.id).execute();
  return { id: row.id, object: 'canned_response' as const, deleted: true as const };
}
