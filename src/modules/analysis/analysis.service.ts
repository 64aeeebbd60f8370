import type { AppContext } from '../../platform/context.ts';
import { fromJson } from '../../platform/json.ts';
import type { Reaction } from '../../platform/reactions.ts';
import {
  type AgentConfig,
  type AgentsTable,
  agentConfig,
  defaultAgent,
  getAgentRow,
  parseAnalysisSettings,
  type Scope,
} from '../agents/index.ts';
import {
  type ConversationAnalysis,
  getConversation,
  getConversationRow,
  setConversationAnalysis,
} from '../conversations/index.ts';
import { conversationTranscript } from '../messaging/index.ts';
import { getCallRow, presentCall, setCallAnalysis, type TranscriptEntry } from '../voice/index.ts';
import { analyzeJob } from './analysis.jobs.ts';
import { builtinAnalysis, type Line } from './builtin.ts';

const system = { type: 'system' as const, id: null };

async function agentFor(ctx: AppContext, scope: Scope, agentId: string | null): Promise<AgentsTable | null> {
  if (agentId) {
    const row = await getAgentRow(ctx.db, scope, agentId).catch(() => null);
    if (row) return row;
  }
  return (await defaultAgent(ctx.db, scope)) ?? null;
}

/**
 * The analysis of a transcript with the agent's engine: its LLM where it has one and the agent
 * has an analysis plan of its own (a model call per conversation costs money: nobody pays for one
 * they did not ask for), else the built-in engine.
 */
export async function computeAnalysis(
  ctx: AppContext,
  agent: AgentsTable | null,
  lines: Line[],
): Promise<ConversationAnalysis> {
  const settings = parseAnalysisSettings(agent?.analysis ?? null);
  const config: AgentConfig | null = agent ? agentConfig(ctx, agent) : null;
  const computed_at = ctx.clock.now().toISOString();
  if (config && config.model.provider !== 'builtin' && agent?.analysis && lines.length > 0) {
    // The AI SDK is loaded on first use: a process that never analyses with an LLM never loads it.
    const { llmAnalysis } = await import('./llm.ts');
    const r = await llmAnalysis(config, settings, lines);
    return { ...r, engine: `${config.model.provider}:${config.model.name}`, computed_at };
  }
  const timezone = config?.business.timezone ?? 'UTC';
  return { ...builtinAnalysis({ lines, settings, timezone }), engine: 'builtin', computed_at, error: null };
}

const roleOf = (sender: string): Line['role'] =>
  sender === 'customer' ? 'customer' : sender === 'user' ? 'person' : 'agent';

/** Analyses a conversation from its messages, stores it and emits `conversation.analyzed`. */
export async function analyzeConversation(ctx: AppContext, scope: Scope, id: string) {
  const row = await getConversationRow(ctx.db, scope, id);
  const lines = (await conversationTranscript(ctx.db, scope, id)).map((m) => ({
    role: roleOf(m.sender),
    text: m.text,
    at: m.at,
  }));
  const analysis = await computeAnalysis(ctx, await agentFor(ctx, scope, row.agent_id), lines);
  const object = { ...(await getConversation(ctx, scope, id)), analysis };
  await ctx.transaction(async (tx) => {
    await setConversationAnalysis(tx.db, scope, id, analysis);
    await tx.emit({ ...scope, type: 'conversation.analyzed', actor: system, data: object });
  });
  return object;
}

/**
 * Analyses a call from its transcript, stores it on the call and on its conversation, and emits
 * `call.analyzed` (and `conversation.analyzed`).
 */
export async function analyzeCall(ctx: AppContext, scope: Scope, id: string) {
  const call = await getCallRow(ctx.db, scope, id);
  const lines: Line[] = fromJson<TranscriptEntry[]>(call.transcript, []).map((e) => ({
    role: e.role === 'customer' ? 'customer' : 'agent',
    text: e.text,
    at: new Date(Date.parse(call.answered_at ?? call.queued_at) + e.start_ms).toISOString(),
  }));
  const analysis = await computeAnalysis(ctx, await agentFor(ctx, scope, call.agent_id), lines);
  const conversation = call.conversation_id
    ? { ...(await getConversation(ctx, scope, call.conversation_id)), analysis }
    : null;
  await ctx.transaction(async (tx) => {
    await setCallAnalysis(tx.db, scope, id, analysis);
    await tx.emit({
      ...scope,
      type: 'call.analyzed',
      actor: system,
      data: presentCall({ ...call, analysis: JSON.stringify(analysis) }),
    });
    if (conversation) {
      await setConversationAnalysis(tx.db, scope, conversation.id, analysis);
      await tx.emit({ ...scope, type: 'conversation.analyzed', actor: system, data: conversation });
    }
  });
  return presentCall(await getCallRow(ctx.db, scope, id));
}

/** Records, with a conversation's handoff or resolve or a call's end, the job that analyses it. */
export function analysisSink(ctx: AppContext): Reaction['run'] {
  return async ({ db: trx }, events) => {
    for (const e of events) {
      // A handoff is analysed too: its summary is what the person taking over reads first.
      const kind =
        e.event === 'conversation.resolved' || e.event === 'conversation.escalated'
          ? 'conversation'
          : e.event === 'call.completed'
            ? 'call'
            : null;
      if (!kind || typeof e.data.id !== 'string') continue;
      await ctx.queue.enqueue(trx, analyzeJob, {
        workspaceId: e.workspace_id,
        livemode: e.livemode,
        kind,
        id: e.data.id,
      });
    }
  };
}

export async function runAnalyzeJob(
  ctx: AppContext,
  p: { workspaceId: string; livemode: boolean; kind: 'conversation' | 'call'; id: string },
) {
  const scope = { workspaceId: p.workspaceId, livemode: p.livemode };
  try {
    if (p.kind === 'call') await analyzeCall(ctx, scope, p.id);
    else await analyzeConversation(ctx, scope, p.id);
  } catch (err) {
    // Gone since (deleted workspace, erased contact): nothing to analyse.
    if ((err as { code?: string }).code === 'not_found') return;
    throw err;
  }
}
