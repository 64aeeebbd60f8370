import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, notFound, validationFailed } from '../../platform/errors.ts';
import type { PageRequest } from '../../platform/http/pagination.ts';
import { paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import {
  agentTools,
  checkDefinition,
  resolveDefinition,
  type Tool,
  type ToolDefinition,
} from './definition.ts';
import { secretNames, secretValues, signRequest, toolSettings } from './secrets.service.ts';
import { importTools, listMcpTools } from './tools.mcp.ts';
import { masker, renderRequest, usedSecrets } from './tools.runtime.ts';
import type { CreateToolInput, ToolObject, UpdateToolInput } from './tools.schemas.ts';
import type { ToolsTable } from './tools.tables.ts';
import './tools.tables.ts';

export function toolOf(row: ToolsTable): Tool {
  return { id: row.id, name: row.name, ...fromJson<ToolDefinition>(row.definition, {} as ToolDefinition) };
}

export function presentTool(row: ToolsTable): ToolObject {
  const t = toolOf(row);
  return {
    ...objectHead(row, 'tool'),
    name: t.name,
    description: t.description,
    type: t.type ?? 'http',
    input_schema: t.input_schema as Record<string, unknown>,
    effect: t.effect,
    confirmation: t.confirmation,
    request: t.request,
    timeout_ms: t.timeout_ms,
    result: t.result,
    save: t.save,
    on_error: t.on_error,
    error_message: t.error_message,
    reply: t.reply,
    trigger: t.trigger,
    voice: t.voice,
    mocks: t.mocks,
    mcp: presentMcp(t),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function presentMcp(t: Tool): ToolObject['mcp'] {
  if (t.type !== 'mcp' || !t.mcp) return null;
  const names = agentTools(t).map((x) => x.name);
  return {
    url: t.request.url,
    headers: t.request.headers ?? {},
    include: t.mcp.include,
    tools: t.mcp.tools,
    imported: t.mcp.imported.map((x, i) => ({
      ...x,
      input_schema: x.input_schema as Record<string, unknown>,
      agent_name: names[i]!,
    })),
    skipped: t.mcp.skipped,
    imported_at: t.mcp.imported_at,
  };
}

async function checked(ctx: AppContext, scope: Scope, def: ToolDefinition): Promise<ToolDefinition> {
  const errors = checkDefinition(def, await secretNames(ctx.db, scope));
  if (errors.length) throw validationFailed(errors);
  return def.type === 'mcp' ? withImport(ctx, scope, def) : def;
}

/**
 * An MCP tool with its server's tools imported (`tools/list`), reached like any tool request
 * (SSRF rules, the budget, signed); a server that cannot be read is a 422 with why (masked).
 */
async function withImport(ctx: AppContext, scope: Scope, def: ToolDefinition): Promise<ToolDefinition> {
  const secrets = await secretValues(ctx, scope, usedSecrets(def));
  const mask = masker(secrets);
  const { headers } = renderRequest({ ...def, id: '', name: '' }, { secret: secrets });
  const settings = await toolSettings(ctx, scope);
  const budget = def.timeout_ms ?? 8000;
  const id = newId('tc');
  const listed = await listMcpTools({
    url: def.request.url,
    headers,
    reach: { allowPrivate: ctx.config.webhookAllowPrivate, allowedHosts: settings.allowedPrivateHosts },
    pool: ctx.modules.tools.connections,
    signal: AbortSignal.timeout(budget),
    timeoutMs: budget,
    sign: (n, body) => signRequest(settings.signingSecret, `${id}.${n}`, ctx.clock.now(), body),
  });
  if (!listed.ok)
    throw new ApiError(
      'unprocessable',
      `The MCP server's tools could not be read (${listed.code}): ${mask(listed.message)}.`,
      { details: { failure: listed.code } },
    );
  const { imported, skipped } = importTools(listed.value, def.mcp!);
  if (!imported.length)
    throw new ApiError('unprocessable', 'The MCP server offers no tool that can be imported.', {
      details: { skipped },
    });
  return { ...def, mcp: { ...def.mcp!, imported, skipped, imported_at: ctx.clock.now().toISOString() } };
}

const duplicateName = (name: string, existing: string) =>
  new ApiError('conflict', `A tool named ${name} exists already (${existing}).`, {
    details: { existing_id: existing },
  });

export async function createTool(ctx: AppContext, scope: Scope, input: CreateToolInput): Promise<ToolObject> {
  const { name, ...rest } = input;
  const def = await checked(ctx, scope, resolveDefinition(rest));
  const existing = await tenant(ctx.db, scope)
    .selectFrom('tools')
    .select('id')
    .where('name', '=', name)
    .executeTakeFirst();
  if (existing) throw duplicateName(name, existing.id);
  const now = ctx.clock.now().toISOString();
  const row: ToolsTable = {
    ...newRow('tool', scope),
    name,
    definition: toJson(def),
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('tools').values(row).execute();
  return presentTool(row);
}

export async function getToolRow(db: Db | Trx, scope: Scope, id: string): Promise<ToolsTable> {
  return tenant(db, scope).getById('tools', id, 'tool');
}

export async function listTools(ctx: AppContext, scope: Scope, page: PageRequest) {
  return paginate(
    tenant(ctx.db, scope).selectFrom('tools').selectAll().orderBy('id', 'desc'),
    page,
    presentTool,
  );
}

export async function updateTool(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: UpdateToolInput,
): Promise<ToolObject> {
  const row = await getToolRow(ctx.db, scope, id);
  const current = toolOf(row);
  const merged: Omit<CreateToolInput, 'name'> = {
    type: current.type ?? 'http',
    mcp:
      input.mcp ??
      (current.mcp
        ? {
            url: current.request.url,
            headers: current.request.headers ?? {},
            include: current.mcp.include,
            tools: current.mcp.tools,
          }
        : undefined),
    description: input.description ?? current.description,
    input_schema: (input.input_schema ?? current.input_schema) as Record<string, unknown>,
    effect: input.effect ?? current.effect,
    confirmation: input.confirmation !== undefined ? input.confirmation : current.confirmation,
    request: input.request ?? current.request,
    timeout_ms: input.timeout_ms !== undefined ? input.timeout_ms : current.timeout_ms,
    result: input.result ?? {
      ...(current.result.pointer ? { pointer: current.result.pointer } : {}),
      max_chars: current.result.max_chars,
      redact: current.result.redact,
    },
    save: input.save !== undefined ? input.save : current.save,
    on_error: input.on_error ?? current.on_error,
    error_message: input.error_message !== undefined ? input.error_message : current.error_message,
    reply: input.reply !== undefined ? input.reply : current.reply,
    trigger: input.trigger !== undefined ? input.trigger : current.trigger,
    voice:
      input.voice !== undefined
        ? input.voice
        : {
            ...(current.voice.holding_phrase ? { holding_phrase: current.voice.holding_phrase } : {}),
            holding_after_ms: current.voice.holding_after_ms,
          },
    mocks: input.mocks ?? current.mocks,
  };
  const def = await checked(ctx, scope, resolveDefinition(merged));
  const name = input.name ?? row.name;
  if (name !== row.name) {
    const clash = await tenant(ctx.db, scope)
      .selectFrom('tools')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    if (clash) throw duplicateName(name, clash.id);
  }
  const updated: ToolsTable = {
    ...row,
    name,
    definition: toJson(def),
    updated_at: ctx.clock.now().toISOString(),
  };
  await tenant(ctx.db, scope).updateById('tools', id, {
    name,
    definition: updated.definition,
    updated_at: updated.updated_at,
  });
  return presentTool(updated);
}

export async function deleteTool(ctx: AppContext, scope: Scope, id: string) {
  await getToolRow(ctx.db, scope, id);
  await tenant(ctx.db, scope).deleteFrom('tools').where('id', '=', id).execute();
  return { id, object: 'tool' as const, deleted: true as const };
}

/**
 * The tools with these ids, in the order asked; ids of no tool (deleted since) are left out.
 * An MCP tool is there as each of its server's tools (`agentTools`).
 */
export async function toolsByIds(db: Db | Trx, scope: Scope, ids: string[]): Promise<Tool[]> {
  if (ids.length === 0) return [];
  const rows = await tenant(db, scope).selectFrom('tools').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, toolOf(r)]));
  return ids.flatMap((id) => {
    const t = byId.get(id);
    return t ? agentTools(t) : [];
  });
}

/** Refuses tool ids (in `agent.tools`) that are not tools of this workspace and mode. */
export async function assertToolsExist(db: Db | Trx, scope: Scope, ids: string[], field = 'tools') {
  if (!ids.length) return;
  const found = new Set(
    (await tenant(db, scope).selectFrom('tools').select('id').where('id', 'in', ids).execute()).map(
      (t) => t.id,
    ),
  );
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length)
    throw validationFailed(
      missing.map((id) => ({ field, message: `${id} is not a tool of this workspace` })),
    );
}

/** The names of the tools whose templates use secret `name` (it cannot be deleted while they do). */
export async function toolsUsingSecret(db: Db | Trx, scope: Scope, name: string): Promise<string[]> {
  const rows = await tenant(db, scope).selectFrom('tools').select(['name', 'definition']).execute();
  const re = new RegExp(`\\{\\{\\s*secret\\.${name}\\s*\\}\\}`);
  return rows.filter((r) => re.test(r.definition)).map((r) => r.name);
}

export const toolNotFound = (id: string) => notFound('tool', id);
