import { scopeColumns, tenant } from '../../platform/db/scope.ts';
import './ai.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor, Tx } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { limitsFor, type PlanLimits } from '../../platform/limits.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import type { AgentsTable } from '../agents/index.ts';
import {
  type AgentConfig,
  agentConfig,
  defaultAgent,
  getAgentRow,
  parseHandoff,
  type Scope,
} from '../agents/index.ts';
import {
  cancelBooking,
  checkAvailability,
  createBooking,
  listContactBookings,
  rescheduleBooking,
} from '../bookings/index.ts';
import type { ContactRow } from '../contacts/index.ts';
import {
  type Scope as ContactScope,
  getContactRow,
  normalizeEmail,
  presentContact,
} from '../contacts/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import { getConversationRow, handoffConversation } from '../conversations/index.ts';
import { searchKnowledge } from '../knowledge/index.ts';
import { captureLead } from '../leads/index.ts';
import type { InboundMessageEvent, MessageRow } from '../messaging/index.ts';
import { replyToConversation } from '../messaging/index.ts';
import { holdingJob, replyJob } from './ai.jobs.ts';
import { builtinReply } from './builtin.ts';
import { type AgentTools, asDryRun, type EngineInput, type EngineResult, type Turn } from './engine.ts';
import {
  asksHours,
  extractLeadFields,
  isHinglish,
  isThanks,
  wantsBooking,
  wantsCancel,
  wantsHuman,
} from './intents.ts';
import type { LlmOptions } from './llm.ts';

export interface AiOptions {
  /**
   * Customer messages arriving within this window after the first are answered together (the
   * window is on the app's clock: a test that holds its clock holds the window open).
   */
  replyDebounceMs: number;
  /**
   * The longest real wait between two looks at a handed-off conversation whose customer is
   * waiting (default: until the holding message is due). Tests set it low and move the app's clock.
   */
  holdingRecheckMs?: number;
  llm: LlmOptions;
}

/** Longest customer text an engine reads per turn; longer bursts are cut (the message itself is kept whole). */
export const MAX_ENGINE_CHARS = 4000;
const HISTORY_TURNS = 20;

/** Picks the engine from the agent's model: the built-in rules, or an LLM through the AI SDK. */
export async function runEngine(
  input: EngineInput,
  tools: AgentTools,
  llm: LlmOptions,
): Promise<EngineResult> {
  if (input.agent.model.provider === 'builtin') return builtinReply(input, tools);
  // The AI SDK is loaded on the first LLM reply: a server whose agents are built-in never holds it.
  const { llmReply } = await import('./llm.ts');
  return llmReply(input, tools, llm);
}

const aiActor = (agentId: string): Actor => ({ type: 'ai', id: agentId });

/** Tools that act: leads, bookings and handoffs are written as the AI of this agent (chat replies and voice calls). */
export function liveTools(
  ctx: AppContext,
  scope: ContactScope,
  agent: AgentConfig,
  conversation: ConversationRow,
): AgentTools {
  const actor = aiActor(agent.id);
  return {
    searchKnowledge: (query, topK) => searchKnowledge(ctx, scope, agent.id, query, topK),
    async captureLead(input) {
      const contact = await tenant(ctx.db, scope)
        .selectFrom('contacts')
        .selectAll()
        .where('id', '=', conversation.contact_id)
        .executeTakeFirst();
      // The customer is writing from the conversation's number: the lead carries it unless they gave another.
      const phone = input.phone ?? contact?.phone ?? undefined;
      const { lead } = await captureLead(
        ctx,
        scope,
        { conversation_id: conversation.id, agent_id: agent.id, ...input, ...(phone ? { phone } : {}) },
        actor,
      );
      if (contact) await fillContact(ctx, scope, contact.id, { name: input.name, email: input.email }, actor);
      return { id: lead.id };
    },
    async checkAvailability(date, serviceId) {
      return (await checkAvailability(ctx, scope, agent.id, { date, serviceId })).slots;
    },
    async book({ serviceId, startAt, notes }) {
      const b = await createBooking(
        ctx,
        scope,
        {
          agent_id: agent.id,
          conversation_id: conversation.id,
          start_at: startAt,
          ...(serviceId ? { service_id: serviceId } : {}),
          ...(notes ? { notes } : {}),
        },
        actor,
      );
      return { id: b.id, start_at: b.start_at, end_at: b.end_at };
    },
    async findBooking() {
      const next = (await listContactBookings(ctx, scope, conversation.contact_id, { upcoming: true })).find(
        (b) => b.agent_id === agent.id,
      );
      return next ? { id: next.id, service_id: next.service_id, start_at: next.start_at } : null;
    },
    async rescheduleBooking(id, startAt) {
      const b = await rescheduleBooking(ctx, scope, id, { start_at: startAt }, actor);
      return { id: b.id, start_at: b.start_at, end_at: b.end_at };
    },
    async cancelBooking() {
      const next = (await listContactBookings(ctx, scope, conversation.contact_id, { upcoming: true })).find(
        (b) => b.agent_id === agent.id,
      );
      if (!next) return null;
      const b = await cancelBooking(
        ctx,
        scope,
        next.id,
        { reason: 'Cancelled by the customer through the AI agent' },
        actor,
      );
      return { id: b.id, start_at: b.start_at };
    },
    async handoff(reason) {
      await handoffConversation(ctx, scope, conversation.id, { reason }, actor);
    },
  };
}

/**
 * Fills the contact's empty name and email from what the customer gave the AI; a value already
 * there (typed by a human, imported) is never overwritten. The update is conditional on the
 * field still being empty, so a concurrent edit wins.
 */
async function fillContact(
  ctx: AppContext,
  scope: ContactScope,
  contactId: string,
  given: { name?: string; email?: string },
  actor: Actor,
): Promise<void> {
  const email = given.email ? normalizeEmail(given.email) : null;
  const name = given.name?.trim() || null;
  if (!name && !email) return;
  await ctx.transaction(async (tx) => {
    const now = ctx.clock.now().toISOString();
    let changed = false;
    for (const [column, value] of [
      ['name', name],
      ['email', email],
    ] as const) {
      if (!value) continue;
      const r = await tenant(tx.db, scope)
        .updateTable('contacts')
        .set({ [column]: value, updated_at: now })
        .where('id', '=', contactId)
        .where((eb) => eb.or([eb(column, 'is', null), eb(column, '=', '')]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) > 0) changed = true;
    }
    if (!changed) return;
    const row = await getContactRow(tx.db, scope, contactId);
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'contact.updated',
      actor,
      data: presentContact(row),
    });
  });
}

/**
 * Tools for the playground and copilot: knowledge and availability are read for real; leads,
 * bookings and handoffs are not written, only described in `actions` (ids are null).
 */
export function dryRunTools(ctx: AppContext, scope: ContactScope, agent: AgentConfig): AgentTools {
  return {
    searchKnowledge: (query, topK) => searchKnowledge(ctx, scope, agent.id, query, topK),
    captureLead: async () => ({ id: null }),
    async checkAvailability(date, serviceId) {
      // A draft's services and hours, not the saved agent's: a replay tries the change it is given.
      return (await checkAvailability(ctx, scope, agent.id, { date, serviceId, business: agent.business }))
        .slots;
    },
    async book({ serviceId, startAt }) {
      const service = agent.business.services.find((s) => s.id === serviceId);
      const end = new Date(Date.parse(startAt) + (service?.duration_minutes ?? 30) * 60_000).toISOString();
      return { id: null, start_at: new Date(startAt).toISOString(), end_at: end };
    },
    cancelBooking: async () => null,
    // The playground has no customer, so no booking of theirs to find or move.
    findBooking: async () => null,
    async rescheduleBooking(id, startAt) {
      return { id, start_at: new Date(startAt).toISOString(), end_at: new Date(startAt).toISOString() };
    },
    handoff: async () => {},
  };
}

/** {{placeholders}} values: the contact's fields and attributes, then the conversation's dynamic variables. */
export function variablesOf(
  contact: ContactRow | undefined,
  dynamic: Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (contact) {
    for (const [k, v] of Object.entries(fromJson<Record<string, unknown>>(contact.attributes, {})))
      if (v !== null) out[k] = String(v);
    if (contact.name) {
      out.name = contact.name;
      out.first_name = contact.name.split(/\s+/)[0];
    }
    if (contact.phone) out.phone = contact.phone;
    if (contact.email) out.email = contact.email;
  }
  for (const [k, v] of Object.entries(dynamic)) if (v !== null && v !== undefined) out[k] = String(v);
  return out;
}

/** The agent that answers a conversation: its own, else the workspace default (SPEC §6). */
async function agentFor(
  db: Db | Trx,
  scope: Scope,
  conversation: ConversationRow,
): Promise<AgentsTable | undefined> {
  if (conversation.agent_id) {
    return getAgentRow(db, scope, conversation.agent_id).catch((err) => {
      if (err instanceof ApiError && err.code === 'not_found') return undefined;
      throw err;
    });
  }
  return defaultAgent(db, scope);
}

/**
 * Runs inside the transaction that stores an inbound customer message: when an active agent
 * answers this conversation and its AI is not paused, enqueue one reply for the burst.
 */
export async function onInbound(
  ctx: AppContext,
  opts: AiOptions,
  tx: Tx,
  e: InboundMessageEvent,
): Promise<void> {
  const scope = { workspaceId: e.workspaceId, livemode: e.livemode };
  if (e.conversation.ai_paused === 1) {
    // Handed off: no AI reply, but a look at whether the customer waits too long for a person.
    const agent = await agentFor(tx.db, scope, e.conversation);
    if (!agent) return;
    const afterMs = parseHandoff(agent.handoff).holding_message_after_minutes * 60_000;
    await ctx.queue.enqueue(
      tx.db,
      holdingJob,
      { workspaceId: e.workspaceId, livemode: e.livemode, conversationId: e.conversation.id },
      {
        singletonKey: `ai-holding:${e.conversation.id}`,
        delayMs: Math.min(afterMs, opts.holdingRecheckMs ?? afterMs),
      },
    );
    return;
  }
  // A contact who opted out (maybe with this very message: STOP) gets no answer.
  if (e.contact.opted_out === 1) return;
  const agent = await agentFor(tx.db, scope, e.conversation);
  if (agent?.status !== 'active') return;
  if (!e.conversation.agent_id) {
    await tx.db
      .updateTable('conversations')
      .set({ agent_id: agent.id })
      .where('id', '=', e.conversation.id)
      .execute();
  }
  await ctx.queue.enqueue(
    tx.db,
    replyJob,
    { workspaceId: e.workspaceId, livemode: e.livemode, conversationId: e.conversation.id },
    { singletonKey: `ai-reply:${e.conversation.id}`, delayMs: opts.replyDebounceMs },
  );
}

const isCustomer = (m: MessageRow) => m.direction === 'inbound';

/** Splits the recent messages into earlier turns and the customer's burst since the last reply. */
export function burstOf(messages: MessageRow[]): { history: Turn[]; burst: MessageRow[] } {
  let lastOut = -1;
  messages.forEach((m, i) => {
    if (!isCustomer(m)) lastOut = i;
  });
  const burst = messages.slice(lastOut + 1);
  const history = messages
    .slice(0, lastOut + 1)
    .filter((m) => m.text || m.template)
    .map(
      (m): Turn => ({
        role: isCustomer(m) ? 'customer' : 'agent',
        text: m.text ?? fromJson<{ rendered_body?: string }>(m.template, {}).rendered_body ?? '',
      }),
    );
  return { history, burst };
}

export async function workspaceSender(ctx: AppContext, scope: Scope, agentId: string) {
  const ws = await ctx.db
    .selectFrom('workspaces')
    .selectAll()
    .where('id', '=', scope.workspaceId)
    .executeTakeFirstOrThrow();
  return {
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
    defaultCountry: ws.default_country,
    actor: aiActor(agentId),
    limits: limitsFor(ws.plan, fromJson<Partial<PlanLimits> | null>(ws.limits, null)),
  };
}

/** The reply job: answers every customer message since the last reply, once. */
export async function answerConversation(
  ctx: AppContext,
  payload: { workspaceId: string; livemode: boolean; conversationId: string },
  opts: AiOptions,
  job?: JobContext,
) {
  const scope = { workspaceId: payload.workspaceId, livemode: payload.livemode };
  const conversation = await getConversationRow(ctx.db, scope, payload.conversationId).catch(() => undefined);
  if (!conversation || conversation.ai_paused === 1) return;
  const agentRow = await agentFor(ctx.db, scope, conversation);
  if (agentRow?.status !== 'active') return;
  const agent = agentConfig(ctx, agentRow);
  const recent = (
    await tenant(ctx.db, scope)
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversation.id)
      // Private notes are for the team: never part of what the AI reads or answers.
      .where('type', '!=', 'note')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(HISTORY_TURNS + 10)
      .execute()
  ).reverse();
  const { history, burst } = burstOf(recent);
  if (burst.length === 0) return;
  // The burst's window is measured on the app's clock, from its first message's time: a job that
  // runs before the window has passed by that clock (the queue's clock can differ from it, e.g.
  // PostgreSQL's) looks again when it has, so the messages of the window are answered together.
  const open = Date.parse(burst[0].created_at) + opts.replyDebounceMs - ctx.clock.now().getTime();
  if (open > 0) {
    await ctx.transaction(async (tx) => {
      await job?.completeWith?.(tx.db);
      await ctx.queue.enqueue(tx.db, replyJob, payload, {
        singletonKey: `ai-reply:${conversation.id}`,
        delayMs: open,
      });
    });
    return;
  }
  const contact = await tenant(ctx.db, scope).findById('contacts', conversation.contact_id);
  // Opted out since the message came (STOP in the same burst): nothing is answered.
  if (contact?.opted_out === 1) return;
  const sender = await workspaceSender(ctx, scope, agent.id);
  const texts = burst
    .map((m) => m.text ?? (m.media ? (fromJson<{ caption?: string }>(m.media, {}).caption ?? '') : ''))
    .filter((t) => t.trim());
  const input: EngineInput = {
    agent,
    messages: cut(texts),
    history: history.slice(-HISTORY_TURNS),
    variables: variablesOf(contact, fromJson<Record<string, unknown>>(conversation.dynamic_variables, {})),
    now: ctx.clock.now(),
    defaultCountry: sender.defaultCountry,
    unsupportedMedia: burst.some((m) => m.type !== 'text' && m.type !== 'interactive') && texts.length === 0,
  };
  const result = await runEngine(
    input,
    liveTools(ctx, { ...scope, defaultCountry: sender.defaultCountry }, agent, conversation),
    opts.llm,
  );
  let sent: Awaited<ReturnType<typeof replyToConversation>>;
  try {
    sent = await replyToConversation(ctx, sender, conversation.id, {
      type: 'text',
      // At most 4,096 characters, cut between characters (never inside an emoji's surrogate pair).
      text: Array.from(result.reply).slice(0, 4096).join(''),
    });
  } catch (err) {
    // A refusal (rate limit, opted-out contact, closed window) will not change on retry, and a
    // retry would run the tools again: log it and stop.
    if (err instanceof ApiError && err.status < 500) {
      ctx.logger.warn(
        { conversationId: conversation.id, code: err.code, msg: err.message },
        'AI reply not sent',
      );
      return;
    }
    throw err;
  }
  // From the customer's first unanswered message to this reply being queued.
  ctx.metrics.aiReplies.inc({ engine: result.engine, answered: String(result.answered) });
  const waitedMs = ctx.clock.now().getTime() - Date.parse(burst[0]!.created_at);
  if (waitedMs >= 0) ctx.metrics.aiReplyLatency.observe({ engine: result.engine }, waitedMs / 1000);
  await ctx.transaction(async (tx) => {
    // This job is done when this commits: a customer message stored after it enqueues a new
    // reply instead of finding this one still running (the check for newer messages below
    // covers the ones stored before).
    await job?.completeWith?.(tx.db);
    await tx.db
      .insertInto('ai_replies')
      .values({
        message_id: sent.id,
        ...scopeColumns(scope),
        conversation_id: conversation.id,
        agent_id: agent.id,
        engine: result.engine,
        sources: toJson(result.sources),
        actions: toJson(result.actions),
        answered: result.answered ? 1 : 0,
        created_at: ctx.clock.now().toISOString(),
      })
      .execute();
    await tx.db
      .updateTable('conversations')
      .set({ ai_handled: 1 })
      .where('id', '=', conversation.id)
      .where('ai_handled', '=', 0)
      .execute();
    // A message that arrived while this job ran found the singleton taken: answer it in a follow-up.
    const newer = await tx.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversation.id)
      .where('direction', '=', 'inbound')
      .where('created_at', '>', burst[burst.length - 1].created_at)
      .executeTakeFirst();
    if (newer) {
      await ctx.queue.enqueue(tx.db, replyJob, payload, {
        singletonKey: `ai-reply:${conversation.id}:${newer.id}`,
        delayMs: opts.replyDebounceMs,
      });
    }
  });
}

/** Keeps the newest text within the engine's budget. */
function cut(texts: string[]): string[] {
  const total = texts.reduce((n, t) => n + t.length, 0);
  if (total <= MAX_ENGINE_CHARS) return texts;
  return [texts.join('\n').slice(-MAX_ENGINE_CHARS)];
}

export interface PlaygroundInput {
  message: string;
  history?: Turn[];
  dynamic_variables?: Record<string, string | number | boolean | null>;
}

/** `POST /v1/agents/{id}/test`: what the agent would answer, with nothing written. */
export async function testAgent(
  ctx: AppContext,
  scope: ContactScope,
  agentId: string,
  body: PlaygroundInput,
  opts: AiOptions,
) {
  const agent = agentConfig(ctx, await getAgentRow(ctx.db, scope, agentId));
  const result = await runEngine(
    {
      agent,
      messages: cut([body.message]),
      history: body.history ?? [],
      variables: variablesOf(undefined, body.dynamic_variables ?? {}),
      now: ctx.clock.now(),
      defaultCountry: scope.defaultCountry,
    },
    dryRunTools(ctx, scope, agent),
    opts.llm,
  );
  return {
    object: 'agent_test' as const,
    agent_id: agent.id,
    reply: result.reply,
    sources: result.sources,
    actions: asDryRun(result.actions),
    answered: result.answered,
    engine: result.engine,
    dry_run: true as const,
  };
}

/** `POST /v1/conversations/{id}/copilot/suggest`: a draft reply and next steps for a human agent. */
/** The stored sources and actions of AI replies in a conversation (the inbox's "Sources"). */
export async function aiRepliesOf(
  ctx: AppContext,
  scope: Scope,
  conversationId: string,
  messageIds?: string[],
) {
  await getConversationRow(ctx.db, scope, conversationId);
  let q = tenant(ctx.db, scope)
    .selectFrom('ai_replies')
    .selectAll()
    .where('conversation_id', '=', conversationId);
  if (messageIds) q = q.where('message_id', 'in', [...new Set(messageIds)]);
  const rows = (await q.orderBy('message_id', 'desc').limit(100).execute()).reverse();
  return {
    data: rows.map((r) => ({
      message_id: r.message_id,
      engine: r.engine,
      answered: r.answered === 1,
      sources: fromJson<EngineResult['sources']>(r.sources, []),
      actions: fromJson<EngineResult['actions']>(r.actions, []),
    })),
  };
}

export async function copilotSuggest(
  ctx: AppContext,
  scope: ContactScope,
  conversationId: string,
  opts: AiOptions,
) {
  const conversation = await getConversationRow(ctx.db, scope, conversationId);
  const agentRow = await agentFor(ctx.db, scope, conversation);
  if (!agentRow)
    throw new ApiError(
      'unprocessable',
      'No agent answers this conversation and the workspace has no active agent; create one to get suggestions.',
    );
  const agent = agentConfig(ctx, agentRow);
  const recent = (
    await tenant(ctx.db, scope)
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversation.id)
      // Private notes are for the team: never part of what the AI reads or answers.
      .where('type', '!=', 'note')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(HISTORY_TURNS)
      .execute()
  ).reverse();
  // The customer's latest words, whether or not someone already answered them.
  let lastCustomer = recent.length - 1;
  while (lastCustomer >= 0 && !isCustomer(recent[lastCustomer])) lastCustomer--;
  if (lastCustomer < 0)
    return {
      object: 'copilot_suggestions' as const,
      conversation_id: conversation.id,
      suggestions: [],
      next_best_actions: [],
    };
  let first = lastCustomer;
  while (first > 0 && isCustomer(recent[first - 1])) first--;
  const { history } = burstOf(recent.slice(0, first));
  const texts = recent
    .slice(first, lastCustomer + 1)
    .map((m) => m.text ?? '')
    .filter(Boolean);
  const contact = await tenant(ctx.db, scope).findById('contacts', conversation.contact_id);
  const input: EngineInput = {
    agent,
    messages: cut(texts),
    history,
    variables: variablesOf(contact, fromJson<Record<string, unknown>>(conversation.dynamic_variables, {})),
    now: ctx.clock.now(),
    defaultCountry: scope.defaultCountry,
  };
  // Dry run, but this customer's bookings are read for real ("move my appointment" finds it).
  const live = liveTools(ctx, scope, agent, conversation);
  const tools: AgentTools = {
    ...dryRunTools(ctx, scope, agent),
    findBooking: () => live.findBooking(),
    cancelBooking: async () => {
      const b = await live.findBooking();
      return b ? { id: b.id, start_at: b.start_at } : null;
    },
  };
  const engineDraft = await runEngine(input, tools, opts.llm);
  const draft = { ...engineDraft, actions: asDryRun(engineDraft.actions) };
  // A draft that could not answer or that hands over is nothing the team would send: passages then.
  const own = draft.engine !== 'fallback' && draft.answered && !draft.actions.some(handsOver);
  const suggestions = own ? [{ text: draft.reply, sources: draft.sources }] : [];
  // More passages the human may want to quote.
  const text = texts.join('\n');
  for (const hit of await searchKnowledge(ctx, scope, agent.id, text, 4)) {
    if (suggestions.length >= 3) break;
    if (suggestions.some((s) => s.sources.some((x) => x.chunk_id === hit.chunk_id))) continue;
    const body = /^Q:[\s\S]*?\nA:\s*([\s\S]*)$/.exec(hit.text)?.[1] ?? hit.text;
    suggestions.push({
      text: body.trim().slice(0, 600),
      sources: [{ doc_id: hit.doc_id, chunk_id: hit.chunk_id, title: hit.title, score: hit.score }],
    });
  }
  return {
    object: 'copilot_suggestions' as const,
    conversation_id: conversation.id,
    suggestions,
    next_best_actions: nextBestActions(conversation, text, draft, input.defaultCountry),
  };
}

const handsOver = (a: { type: string }) => a.type === 'would_handoff';
type NextAction = { type: string; label: string; data: Record<string, unknown> };

function nextBestActions(
  conversation: ConversationRow,
  text: string,
  draft: EngineResult,
  country: string,
): NextAction[] {
  const out: NextAction[] = [];
  const lead = extractLeadFields(text, country);
  if (lead.name || lead.email || lead.phone)
    out.push({ type: 'capture_lead', label: 'Save the contact details as a lead', data: { ...lead } });
  const proposed = draft.actions.find((a) => a.type === 'would_book' || a.type === 'booking_proposed');
  if (proposed)
    out.push({
      type: 'book_appointment',
      label: 'Book the appointment the customer asked for',
      data: proposed.data,
    });
  else if (wantsBooking(text))
    out.push({ type: 'book_appointment', label: 'Offer free slots and book', data: {} });
  if (wantsCancel(text))
    out.push({ type: 'cancel_booking', label: "Cancel the customer's booking", data: {} });
  if (asksHours(text)) out.push({ type: 'share_hours', label: 'Share the opening hours', data: {} });
  if (conversation.ai_paused === 1)
    out.push({ type: 'resolve_handoff', label: 'Hand the conversation back to the AI when done', data: {} });
  else if (wantsHuman(text, []) || !draft.answered)
    out.push({ type: 'handoff', label: 'Take over from the AI', data: {} });
  if (isThanks(text)) out.push({ type: 'close_conversation', label: 'Close the conversation', data: {} });
  return out;
}

export const HOLDING_EN =
  'Thanks for waiting! Our team has your message and will reply here as soon as someone is free.';
export const HOLDING_HI =
  'Intezaar ke liye shukriya! Hamari team ko aapka message mil gaya hai, jaise hi koi free hoga yahin reply karega.';

/**
 * The holding-message job: while the conversation is handed off, a customer whose messages have
 * had no answer (from anyone) for `handoff.holding_message_after_minutes` gets one holding
 * message, once until a person has replied: never silence, never a stream of bot messages.
 * Not due yet: looks again when it is (or after `holdingRecheckMs`).
 */
export async function sendHoldingMessage(
  ctx: AppContext,
  payload: { workspaceId: string; livemode: boolean; conversationId: string },
  opts: AiOptions,
  job?: JobContext,
) {
  const scope = { workspaceId: payload.workspaceId, livemode: payload.livemode };
  const conversation = await getConversationRow(ctx.db, scope, payload.conversationId).catch(() => undefined);
  if (!conversation || conversation.ai_paused !== 1) return;
  const agentRow = await agentFor(ctx.db, scope, conversation);
  if (!agentRow) return;
  const agent = agentConfig(ctx, agentRow);
  const afterMs = agent.handoff.holding_message_after_minutes * 60_000;
  const recent = await tenant(ctx.db, scope)
    .selectFrom('messages')
    .select(['id', 'direction', 'sender_type', 'text', 'created_at'])
    .where('conversation_id', '=', conversation.id)
    .where('type', '!=', 'note')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  const seen = new Set(recent.map((m) => m.id));
  const newestSeen = recent[0]?.created_at ?? '';
  /**
   * Ends this job in one transaction with `write`. A customer message stored while this job ran
   * found the `ai-holding` singleton taken, so its own look was dropped: completing the job first
   * (which waits for such a message's transaction to commit) and then looking for messages this
   * run did not see gives that message a new look instead of silence.
   */
  const finish = (write?: (tx: Tx) => Promise<void>, recheckMs?: number) =>
    ctx.transaction(async (tx) => {
      await job?.completeWith?.(tx.db);
      await write?.(tx);
      let delayMs = recheckMs;
      if (delayMs === undefined) {
        const unseen = (
          await tx.db
            .selectFrom('messages')
            .select('id')
            .where('conversation_id', '=', conversation.id)
            .where('direction', '=', 'inbound')
            .where('type', '!=', 'note')
            .where('created_at', '>=', newestSeen)
            .execute()
        ).some((m) => !seen.has(m.id));
        if (unseen) delayMs = Math.min(afterMs, opts.holdingRecheckMs ?? afterMs);
      }
      if (delayMs !== undefined) {
        await ctx.queue.enqueue(tx.db, holdingJob, payload, {
          singletonKey: `ai-holding:${conversation.id}`,
          delayMs,
        });
      }
    });
  // Newest first: the customer's messages after the latest answer from anyone.
  const lastOut = recent.findIndex((m) => m.direction !== 'inbound');
  const waiting = recent.slice(0, lastOut < 0 ? recent.length : lastOut);
  if (waiting.length === 0) return finish();
  const lastPerson = recent.find(
    (m) => m.direction !== 'inbound' && (m.sender_type === 'user' || m.sender_type === 'api_key'),
  );
  const held = await tenant(ctx.db, scope)
    .selectFrom('ai_replies')
    .select('message_id')
    .where('conversation_id', '=', conversation.id)
    .where('engine', '=', 'holding')
    .where('created_at', '>', lastPerson?.created_at ?? '')
    .executeTakeFirst();
  if (held) return finish();
  const now = ctx.clock.now();
  const dueAt = Date.parse(waiting[waiting.length - 1].created_at) + afterMs;
  if (dueAt > now.getTime()) {
    // Not due yet: look again when it is.
    const wait = dueAt - now.getTime();
    return finish(undefined, Math.min(wait, opts.holdingRecheckMs ?? wait));
  }
  const sender = await workspaceSender(ctx, scope, agent.id);
  const text =
    agent.handoff.holding_message ??
    (isHinglish(waiting.map((m) => m.text ?? '').join('\n')) ? HOLDING_HI : HOLDING_EN);
  let sent: Awaited<ReturnType<typeof replyToConversation>>;
  try {
    sent = await replyToConversation(ctx, sender, conversation.id, { type: 'text', text });
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) {
      ctx.logger.warn(
        { conversationId: conversation.id, code: err.code, msg: err.message },
        'Holding message not sent',
      );
      return finish();
    }
    throw err;
  }
  await finish(async (tx) => {
    await tx.db
      .insertInto('ai_replies')
      .values({
        message_id: sent.id,
        ...scopeColumns(scope),
        conversation_id: conversation.id,
        agent_id: agent.id,
        engine: 'holding',
        sources: toJson([]),
        actions: toJson([]),
        answered: 1,
        created_at: now.toISOString(),
      })
      .execute();
  });
}
