import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, scopeColumns, tenant } from '../../platform/db/scope.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { Tool } from './definition.ts';
import type { ToolRunContext } from './tools.runtime.ts';
import type { ToolCallObject } from './tools.schemas.ts';
import type { ToolCallStatus, ToolCallsTable } from './tools.tables.ts';
import './tools.tables.ts';

export interface ToolCallRecord {
  id: string;
  tool: Tool;
  status: ToolCallStatus;
  code: string | null;
  message: string | null;
  attempts: number;
  latencyMs: number;
  args: Record<string, unknown>;
  request: { method: string; url: string; headers: Record<string, string>; body: unknown };
  response: { status: number; content_type: string; body: string } | null;
  result: unknown;
}

export function presentToolCall(row: ToolCallsTable): ToolCallObject {
  return {
    id: row.id,
    object: 'tool_call',
    livemode: row.livemode === 1,
    tool_id: row.tool_id,
    tool_name: row.tool_name,
    conversation_id: row.conversation_id,
    agent_id: row.agent_id,
    source: row.source as ToolCallObject['source'],
    effect: row.effect as ToolCallObject['effect'],
    status: row.status,
    code: row.code,
    message: row.message,
    attempts: row.attempts,
    latency_ms: row.latency_ms,
    args: fromJson<Record<string, unknown>>(row.args, {}),
    request: fromJson<ToolCallObject['request']>(row.request, {
      method: '',
      url: '',
      headers: {},
      body: null,
    }),
    response: fromJson<ToolCallObject['response']>(row.response, null),
    result: fromJson<unknown>(row.result, null),
    created_at: row.created_at,
  };
}

function callRow(
  ctx: AppContext,
  rc: ToolRunContext,
  r: ToolCallRecord,
  callKey: string | null,
): ToolCallsTable {
  return {
    id: r.id,
    ...scopeColumns(rc.scope),
    tool_id: r.tool.id,
    tool_name: r.tool.name,
    conversation_id: rc.conversation?.id ?? null,
    agent_id: rc.agent?.id ?? null,
    source: rc.source,
    effect: r.tool.effect,
    status: r.status,
    code: r.code,
    message: r.message,
    attempts: r.attempts,
    latency_ms: r.latencyMs,
    args: toJson(r.args),
    request: toJson(r.request),
    response: r.response ? toJson(r.response) : null,
    result: r.result === null ? null : toJson(r.result),
    call_key: callKey,
    created_at: ctx.clock.now().toISOString(),
  };
}

/** Stores a tool call and emits `tool.called` (it answered usably) or `tool.failed`, together. */
export async function recordToolCall(ctx: AppContext, rc: ToolRunContext, r: ToolCallRecord): Promise<void> {
  const row = callRow(ctx, rc, r, null);
  await ctx.transaction(async (tx) => {
    // The record of a call already made, not a promise to the customer: its commit does not wait
    // for PostgreSQL's WAL flush (SQLite's synchronous = NORMAL gives the same), so the agent gets
    // its answer without an fsync. Only a crash of the database server itself can lose the last
    // fraction of a second of records; a crash of Parley loses none.
    if (ctx.dialect === 'postgres') void sql`set local synchronous_commit = off`.execute(tx.db);
    await tx.db.insertInto('tool_calls').values(row).execute();
    await tx.emit({
      workspaceId: rc.scope.workspaceId,
      livemode: rc.scope.livemode,
      type: r.status === 'failed' ? 'tool.failed' : 'tool.called',
      actor: rc.actor,
      data: presentToolCall(row),
    });
  });
}

/** A conversation's tool calls, oldest first (a call's conversation: the calls of that call). */
export async function toolCallsOf(
  db: Db | Trx,
  scope: Scope,
  conversationId: string,
): Promise<ToolCallObject[]> {
  const rows = await tenant(db, scope)
    .selectFrom('tool_calls')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('id')
    .limit(500)
    .execute();
  return rows.map(presentToolCall);
}

export async function toolCallsById(
  db: Db | Trx,
  scope: Scope,
  id: string,
): Promise<ToolCallObject | undefined> {
  const row = await tenant(db, scope).findById('tool_calls', id);
  return row ? presentToolCall(row) : undefined;
}

/**
 * A write call that may go out, recorded before its request leaves (status `started`): its id is
 * the `Idempotency-Key` and `webhook-id` it sends, and a job that runs again after a crash finds it
 * by `callKey` (or as the conversation's unfinished call of the same tool) and sends it again with
 * the same key instead of making a new one.
 */
export interface WriteClaim {
  /** This call was made already (same key) and answered: its record, nothing is sent again. */
  done?: ToolCallsTable;
  /** Calls of this tool in this conversation that were started and never finished (oldest first). */
  interrupted: ToolCallsTable[];
}

/** An unfinished call older than this is not sent again: it is closed as `interrupted`. */
export const INTERRUPTED_RESEND_MS = 24 * 3_600_000;

export async function claimWrite(
  ctx: AppContext,
  rc: ToolRunContext,
  toolId: string,
  callKey: string | null,
): Promise<WriteClaim> {
  return ctx.transaction(async (tx) => {
    const calls = () => tenant(tx.db, rc.scope).selectFrom('tool_calls').selectAll();
    const keyed = callKey ? await calls().where('call_key', '=', callKey).executeTakeFirst() : undefined;
    if (keyed && keyed.status !== 'started') return { done: keyed, interrupted: [] };
    const open = rc.conversation
      ? await calls()
          .where('conversation_id', '=', rc.conversation.id)
          .where('tool_id', '=', toolId)
          .where('status', '=', 'started')
          .orderBy('id')
          .limit(5)
          .execute()
      : keyed
        ? [keyed]
        : [];
    const cutoff = new Date(ctx.clock.now().getTime() - INTERRUPTED_RESEND_MS).toISOString();
    const stale = open.filter((r) => r.created_at < cutoff && r.id !== keyed?.id);
    for (const r of stale) {
      // Nobody came back for it in a day: whether the business got it is unknown, and the record says so.
      await tenant(tx.db, rc.scope)
        .updateTable('tool_calls')
        .set({
          status: 'failed',
          code: 'interrupted',
          message: 'the server stopped while this call was being made; it was not sent again',
        })
        .where('id', '=', r.id)
        .where('status', '=', 'started')
        .execute();
    }
    return { interrupted: open.filter((r) => !stale.includes(r)) };
  });
}

/** Records a write call as started, before its request leaves (false: its key was taken meanwhile). */
export async function startToolCall(
  ctx: AppContext,
  rc: ToolRunContext,
  r: ToolCallRecord,
  callKey: string | null,
): Promise<boolean> {
  const row = { ...callRow(ctx, rc, r, callKey), status: 'started' as const };
  try {
    await ctx.db.insertInto('tool_calls').values(row).execute();
    return true;
  } catch (err) {
    if (callKey && /unique|duplicate/i.test((err as Error).message)) return false;
    throw err;
  }
}

/** Finishes a started call with what came back, and emits its `tool.called` or `tool.failed`. */
export async function finishToolCall(ctx: AppContext, rc: ToolRunContext, r: ToolCallRecord): Promise<void> {
  await ctx.transaction(async (tx) => {
    const row = await tenant(tx.db, rc.scope).findById('tool_calls', r.id);
    if (!row) return;
    const done: ToolCallsTable = {
      ...callRow(ctx, rc, r, row.call_key),
      created_at: row.created_at,
      conversation_id: row.conversation_id,
      agent_id: row.agent_id,
      source: row.source,
    };
    await tenant(tx.db, rc.scope)
      .updateTable('tool_calls')
      .set({
        status: done.status,
        code: done.code,
        message: done.message,
        attempts: done.attempts,
        latency_ms: done.latency_ms,
        request: done.request,
        response: done.response,
        result: done.result,
      })
      .where('id', '=', r.id)
      .execute();
    await tx.emit({
      workspaceId: rc.scope.workspaceId,
      livemode: rc.scope.livemode,
      type: done.status === 'failed' ? 'tool.failed' : 'tool.called',
      actor: rc.actor,
      data: presentToolCall(done),
    });
  });
}
