import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { likeContains } from '../../platform/db/like.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import './voice-flows.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { ApiError, type FieldError, notFound, validationFailed } from '../../platform/errors.ts';
import { type Page, type PageRequest, paginate } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { getAgentRow } from '../agents/index.ts';
import { type AiOptions, testAgent } from '../ai/index.ts';
import { checkWebhookUrl, generateSecret } from '../webhooks/index.ts';
import { type FlowEffects, FlowRun, type FlowStep, fillValue, type Variables } from './runner.ts';
import { validateFlow } from './validate.ts';
import type { CreateFlowInput, FlowNode, UpdateFlowInput } from './voice-flows.schemas.ts';
import type { VoiceFlowsTable } from './voice-flows.tables.ts';

export type { Scope };

/** The LLM settings a flow's agent node uses in a test run (the AI module's defaults). */
const playgroundAi: AiOptions = { replyDebounceMs: 0, llm: { timeoutMs: 20_000, maxSteps: 5 } };

export function presentFlow(row: VoiceFlowsTable) {
  return {
    ...objectHead(row, 'voice_flow'),
    name: row.name,
    language: row.language,
    timezone: row.timezone,
    start: row.start_node,
    nodes: fromJson<Record<string, FlowNode>>(row.nodes, {}),
    variables: fromJson<Variables>(row.variables, {}),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type VoiceFlow = ReturnType<typeof presentFlow>;

export async function getFlowRow(db: Db | Trx, scope: Scope, id: string): Promise<VoiceFlowsTable> {
  const row = await tenant(db, scope)
    .selectFrom('voice_flows')
    .selectAll()
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw notFound('voice flow', id);
  return row;
}

export async function listFlows(
  ctx: AppContext,
  scope: Scope,
  f: { q?: string },
  page: PageRequest,
): Promise<Page<VoiceFlow>> {
  let q = tenant(ctx.db, scope).selectFrom('voice_flows').where('deleted_at', 'is', null);
  if (f.q) q = q.where(likeContains('name', f.q));
  return paginate(q.selectAll().orderBy('id', 'desc'), page, presentFlow);
}

/**
 * The checks that need the database or configuration: agents named by nodes exist in this
 * workspace and mode, and webhook targets are allowed URLs.
 */
async function checkReferences(ctx: AppContext, scope: Scope, nodes: Record<string, FlowNode>) {
  const errors: FieldError[] = [];
  for (const [id, node] of Object.entries(nodes)) {
    const found = [
      await agentProblem(ctx, scope, id, node),
      transferProblem(id, node),
      webhookProblem(ctx, id, node),
    ];
    errors.push(...found.filter((e): e is FieldError => e !== null));
  }
  return errors;
}

/** An agent or action node's agent must exist in this workspace and mode. */
async function agentProblem(ctx: AppContext, scope: Scope, id: string, node: FlowNode) {
  const agentId = node.type === 'agent' || node.type === 'action' ? node.agent_id : undefined;
  if (!agentId) return null;
  try {
    await getAgentRow(ctx.db, scope, agentId);
    return null;
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'not_found') throw err;
    return { field: `nodes.${id}.agent_id`, message: `no agent ${agentId} in this workspace and mode` };
  }
}

/** A number written out must be one a carrier can dial (a {{variable}} is filled at run time). */
function transferProblem(id: string, node: FlowNode): FieldError | null {
  if (node.type !== 'transfer' || node.to.includes('{{') || transferNumberOk(node.to)) return null;
  return {
    field: `nodes.${id}.to`,
    message: 'must be a phone number in E.164 form (e.g. +919876543210) or a {{variable}}',
  };
}

/** A webhook action's URL, when written out, must be one webhooks may call. */
function webhookProblem(ctx: AppContext, id: string, node: FlowNode): FieldError | null {
  if (node.type !== 'action' || node.action !== 'webhook' || !node.url || node.url.includes('{{'))
    return null;
  try {
    checkWebhookUrl(node.url, ctx.config.webhookAllowPrivate);
    return null;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { field: `nodes.${id}.url`, message: err.errors?.[0]?.message ?? err.message };
  }
}

/**
 * E.164 as written: a plus and a number of a possible length for its country code (not only
 * numbers the library knows as assigned: a business may transfer to a new or test number).
 */
function transferNumberOk(to: string): boolean {
  const text = to.trim();
  return /^\+[1-9]\d{6,14}$/.test(text) && parsePhoneNumberFromString(text)?.isPossible() === true;
}

async function checkFlow(
  ctx: AppContext,
  scope: Scope,
  flow: { start: string; nodes: Record<string, FlowNode> },
) {
  const errors = [...validateFlow(flow), ...(await checkReferences(ctx, scope, flow.nodes))];
  if (errors.length) throw validationFailed(errors);
}

export async function createFlow(ctx: AppContext, scope: Scope, input: CreateFlowInput) {
  await checkFlow(ctx, scope, input);
  const now = ctx.clock.now().toISOString();
  const secret = generateSecret();
  const row: VoiceFlowsTable = {
    ...newRow('vf', scope),
    name: input.name,
    language: input.language ?? 'en',
    timezone: input.timezone ?? 'UTC',
    start_node: input.start,
    nodes: toJson(input.nodes),
    variables: toJson(input.variables ?? {}),
    webhook_secret: ctx.secrets.seal(secret),
    deleted_at: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('voice_flows').values(row).execute();
  return { ...presentFlow(row), webhook_secret: secret };
}

/** Changes a flow; the whole flow as it would be after the change is validated again. */
export async function updateFlow(ctx: AppContext, scope: Scope, id: string, input: UpdateFlowInput) {
  const row = await getFlowRow(ctx.db, scope, id);
  const current = presentFlow(row);
  const next = { start: input.start ?? current.start, nodes: input.nodes ?? current.nodes };
  await checkFlow(ctx, scope, next);
  const now = ctx.clock.now().toISOString();
  const patch = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.language !== undefined ? { language: input.language } : {}),
    ...(input.timezone !== undefined ? { timezone: input.timezone } : {}),
    ...(input.start !== undefined ? { start_node: input.start } : {}),
    ...(input.nodes !== undefined ? { nodes: toJson(input.nodes) } : {}),
    ...(input.variables !== undefined ? { variables: toJson(input.variables) } : {}),
    updated_at: now,
  };
  await tenant(ctx.db, scope).updateTable('voice_flows').set(patch).where('id', '=', id).execute();
  return presentFlow({ ...row, ...patch });
}

/** Why a flow may not be deleted now (a campaign that still needs it), or null. */
export type FlowInUseCheck = (db: Trx, scope: Scope, flowId: string) => Promise<string | null>;

declare module '../../platform/ports.ts' {
  interface Ports {
    /** Refuses deleting a flow a module above still needs (provided by the campaigns module). */
    flowInUse: FlowInUseCheck;
  }
}

/**
 * Soft delete: calls and campaigns that ran the flow keep its id. A flow a campaign still
 * needs (not finished) is a 409.
 */
export async function deleteFlow(ctx: AppContext, scope: Scope, id: string) {
  await ctx.transaction(async (tx) => {
    const row = await getFlowRow(tx.db, scope, id);
    const reason = await ctx.ports.flowInUse?.(tx.db, scope, row.id);
    if (reason) throw new ApiError('conflict', reason);
    const now = ctx.clock.now().toISOString();
    await tx.db
      .updateTable('voice_flows')
      .set({ deleted_at: now, updated_at: now })
      .where('id', '=', row.id)
      .execute();
  });
  return { id, object: 'voice_flow' as const, deleted: true as const };
}

export interface TestAction {
  node: string;
  type: string;
  data: Record<string, unknown>;
}

/** Effects of a test run: each action is described (`would_...`), nothing is written or sent. */
function dryRunEffects(
  ctx: AppContext,
  scope: Scope & { defaultCountry: string },
  actions: TestAction[],
): FlowEffects {
  return {
    async action(node, n, vars) {
      const fill = (s: string | undefined) => (s === undefined ? undefined : fillValue(s, vars));
      switch (n.action) {
        case 'capture_lead':
          actions.push({
            node,
            type: 'would_capture_lead',
            data: {
              fields: Object.fromEntries(Object.entries(n.fields ?? {}).map(([k, v]) => [k, fill(v)])),
            },
          });
          break;
        case 'book':
          actions.push({
            node,
            type: 'would_book',
            data: {
              agent_id: n.agent_id ?? null,
              service_id: n.service_id ?? null,
              start_at: fill(n.start_at),
            },
          });
          break;
        case 'tag':
          actions.push({ node, type: 'would_tag_contact', data: { tags: n.tags ?? [] } });
          break;
        case 'webhook':
          actions.push({
            node,
            type: 'would_call_webhook',
            data: { url: fill(n.url), variables: { ...vars } },
          });
          break;
        case 'send_message':
          actions.push({
            node,
            type: 'would_send_message',
            data: {
              channel: n.channel ?? 'whatsapp',
              ...(n.text ? { text: fill(n.text) } : {}),
              ...(n.template ? { template: n.template.name } : {}),
            },
          });
          break;
      }
      return { ok: true };
    },
    async agentTurn(node, n, said, history, vars) {
      const result = await testAgent(
        ctx,
        scope,
        n.agent_id,
        { message: said, history, dynamic_variables: vars },
        playgroundAi,
      );
      for (const a of result.actions) actions.push({ node, type: a.type, data: a.data });
      const events = result.actions.flatMap((a) =>
        a.type === 'would_capture_lead'
          ? ['lead.captured']
          : a.type === 'would_book'
            ? ['booking.created']
            : a.type === 'would_handoff'
              ? ['conversation.escalated']
              : [],
      );
      return { reply: result.reply, events };
    },
  };
}

export type TestInput = string | { dtmf: string } | { no_input: true };

/** `POST /v1/voice-flows/{id}/test`: the flow run in text against scripted caller turns. */
export async function testFlow(
  ctx: AppContext,
  scope: Scope & { defaultCountry: string },
  id: string,
  body: { inputs: TestInput[]; dynamic_variables?: Record<string, string | number | boolean | null> },
) {
  const flow = presentFlow(await getFlowRow(ctx.db, scope, id));
  const actions: TestAction[] = [];
  const dynamic: Variables = {};
  for (const [k, v] of Object.entries(body.dynamic_variables ?? {})) if (v !== null) dynamic[k] = v;
  const run = new FlowRun(
    { start: flow.start, nodes: flow.nodes, variables: flow.variables, timezone: flow.timezone },
    {
      variables: dynamic,
      effects: dryRunEffects(ctx, scope, actions),
      now: () => ctx.clock.now(),
      defaultCountry: scope.defaultCountry,
    },
  );
  const inputs = [...body.inputs];
  let step: FlowStep = await run.start();
  // Out of scripted turns, the caller stays silent: no-input handling runs the flow to its end.
  while (!step.end && step.listen) {
    const next = inputs.shift();
    step = await run.input(
      next === undefined
        ? { noInput: true }
        : typeof next === 'string'
          ? { text: next }
          : 'dtmf' in next
            ? { dtmf: next.dtmf }
            : { noInput: true },
    );
  }
  return {
    object: 'voice_flow_test' as const,
    voice_flow_id: flow.id,
    transcript: run.transcript,
    path: run.path,
    variables: run.variables,
    outcome: run.end?.outcome ?? null,
    ended_reason: run.end?.reason ?? ('max_steps' as const),
    actions,
    unused_inputs: inputs.length,
    unresolved_variables: [...run.unresolved].sort(),
    dry_run: true as const,
  };
}
