import { scopeColumns, tenant } from '../../platform/db/scope.ts';
import type { AiRepliesTable } from './ai.tables.ts';
import './ai.tables.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import type { Reaction } from '../../platform/reactions.ts';
import { typingChannel } from '../../platform/typing.ts';
import type { AgentConfig, AgentsTable } from '../agents/index.ts';
import { agentConfig, defaultAgent, getAgentRow, parseHandoff, type Scope } from '../agents/index.ts';
import { adapterFor, channelById, channelConfigOf } from '../channels/index.ts';
import type { Scope as ContactScope } from '../contacts/index.ts';
import { findContactRow } from '../contacts/index.ts';
import type { ConversationJob, ConversationRow } from '../conversations/index.ts';
import { getConversationRow, markAiHandled, setConversationAgent } from '../conversations/index.ts';
import type { CustomerMessage, MessageRow } from '../messaging/index.ts';
import {
  customerMessageOf,
  inboundMessageIdsAfter,
  isAlreadyAnswered,
  newestInboundMessage,
  recentMessages,
  replyToConversation,
} from '../messaging/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { holdingJob, replyJob } from './ai.jobs.ts';
import { aiActor, dryRunTools, liveTools } from './ai.tools.ts';
import { armAutoResolve } from './auto-resolve.ts';
import { bookingNeedsContact } from './booking-contact.ts';
import { builtinReply } from './builtin.ts';
import type { DialogueState } from './dialogue.ts';
import { type AgentTools, asDryRun, type EngineInput, type EngineResult, type Turn } from './engine.ts';
import { noticeIds } from './handoff-words.ts';
import type { LlmOptions } from './llm.ts';
import { channelCatalogue, customerText, replyContent } from './reply-content.ts';
import { variablesOf } from './variables.ts';

export interface AiOptions {
  /**
   * Customer messages arriving within this window after the first are answered together (the
   * window is on the app's clock: a test that holds its clock holds the window open).
   */
  replyDebounceMs: number;
  /** The longest a burst is held open after its first message (default 8 s). */
  replyBurstCapMs?: number;
  /**
   * The longest real wait between two looks at a handed-off conversation whose customer is
   * waiting (default: until the holding message is due). Tests set it low and move the app's clock.
   */
  holdingRecheckMs?: number;
  llm: LlmOptions;
}

/** Longest customer text an engine reads per turn; longer bursts are cut (the message itself is kept whole). */
export const MAX_ENGINE_CHARS = 4000;
export const HISTORY_TURNS = 20;

/** The LLM options with this app's logger and the model failures counted in its metrics. */
export function llmOptionsOf(ctx: AppContext, llm: LlmOptions): LlmOptions {
  return {
    ...llm,
    logger: ctx.logger,
    onFailure: (e) => ctx.metrics.aiModelFailures.inc({ provider: e.provider, reason: e.reason }),
  };
}

/**
 * While an LLM writes the reply (streamed, sent once complete), the customer sees that it is being
 * written: a website visitor the typing dots (the widget's stream listens by the thread's
 * address), a WhatsApp, Messenger or Instagram customer the channel's own typing indicator (asked
 * once while the model writes: it ends by itself when the reply arrives; a refusal is only logged).
 * Returns what ends it: the dots stopped, the provider's answer waited for.
 */
async function typingWhileGenerating(
  ctx: AppContext,
  agent: AgentConfig,
  conversation: Pick<ConversationRow, 'channel' | 'channel_id' | 'contact_address'>,
  answering: { provider_message_id: string | null },
): Promise<() => Promise<void>> {
  if (agent.model.provider === 'builtin') return async () => {};
  if (conversation.channel !== 'web') {
    // Asked beside the generation, and waited for before the reply is sent (never after it).
    const asked = providerTyping(ctx, conversation, answering.provider_message_id).catch((err: unknown) =>
      ctx.logger.info(
        { channelId: conversation.channel_id, err: (err as Error).message },
        'typing indicator refused by the provider',
      ),
    );
    return async () => {
      await asked;
    };
  }
  const channel = typingChannel(conversation.contact_address);
  await ctx.bus.publish(channel, 'typing');
  return () => ctx.bus.publish(channel, 'left');
}

async function providerTyping(
  ctx: AppContext,
  conversation: Pick<ConversationRow, 'channel_id' | 'contact_address'>,
  providerMessageId: string | null,
) {
  const row = await channelById(ctx.db, conversation.channel_id);
  if (!row) return;
  const channel = channelConfigOf(ctx, row);
  await adapterFor(ctx, channel.provider)?.showTyping?.(channel, {
    address: conversation.contact_address,
    providerMessageId,
  });
}

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

/** The agent that answers a conversation: its own, else the workspace default (SPEC §6). */
export async function agentFor(
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
 * Hears each customer message as it is stored (`message.received`, in the transaction that stores
 * it): when an active agent answers this conversation and its AI is not paused, it enqueues one
 * reply for the burst; when a person has the conversation, a look at whether the customer waits
 * too long. Runs after the conversation's own reactions (routing, SLA): module order.
 */
export function answerSink(ctx: AppContext, opts: AiOptions): Reaction['run'] {
  return async (tx, events) => {
    for (const e of events) {
      const m = customerMessageOf(e);
      if (m) await onCustomerMessage(ctx, opts, tx, m);
    }
  };
}

async function onCustomerMessage(
  ctx: AppContext,
  opts: AiOptions,
  tx: Tx,
  m: CustomerMessage,
): Promise<void> {
  const scope = { workspaceId: m.workspaceId, livemode: m.livemode };
  const conversation = await getConversationRow(tx.db, scope, m.conversationId);
  const job = { workspaceId: m.workspaceId, livemode: m.livemode, conversationId: conversation.id };
  if (conversation.ai_paused === 1) {
    // Handed off: no AI reply, but a look at whether the customer waits too long for a person.
    const agent = await agentFor(tx.db, scope, conversation);
    if (!agent) return;
    const afterMs = parseHandoff(agent.handoff).holding_message_after_minutes * 60_000;
    await ctx.queue.enqueue(tx.db, holdingJob, job, {
      singletonKey: `ai-holding:${conversation.id}`,
      delayMs: Math.min(afterMs, opts.holdingRecheckMs ?? afterMs),
    });
    return;
  }
  // A contact who opted out (maybe with this very message: STOP) gets no answer.
  const contact = await findContactRow(tx.db, scope, m.contactId);
  if (!contact || contact.opted_out === 1) return;
  const agent = await agentFor(tx.db, scope, conversation);
  if (agent?.status !== 'active') return;
  if (!conversation.agent_id) await setConversationAgent(tx.db, conversation.id, agent.id);
  await ctx.queue.enqueue(tx.db, replyJob, job, {
    singletonKey: `ai-reply:${conversation.id}`,
    delayMs: opts.replyDebounceMs,
  });
}

/**
 * The AI takes a conversation back (a person handed it back, or a handoff's timer resumed the AI):
 * it answers the customer's messages since the handoff began that nobody answered, at once (the
 * reply job finds none when a person answered them, or when the conversation was resolved). The
 * message that caused the handoff is not answered again: answering it could hand off again.
 */
export function handBackSink(ctx: AppContext): Reaction['run'] {
  return async ({ db: trx }, events) => {
    for (const e of events) {
      const resumed =
        e.event === 'conversation.handoff_resolved' ||
        (e.event === 'conversation.handoff_timeout' &&
          (e.data.handoff_timeout as { action?: string } | undefined)?.action === 'ai_resume');
      if (!resumed || typeof e.data.id !== 'string' || e.data.status === 'closed') continue;
      await ctx.queue.enqueue(
        trx,
        replyJob,
        { workspaceId: e.workspace_id, livemode: e.livemode, conversationId: e.data.id },
        // Its own key: a customer message arriving meanwhile enqueues its own reply (never dropped
        // for this one); the answer guard keeps the two from answering the same message twice.
        { singletonKey: `ai-reply:${e.data.id}:resumed` },
      );
    }
  };
}

export const isCustomer = (m: MessageRow) => m.direction === 'inbound';

/**
 * Splits the recent messages into earlier turns and the customer's burst since the last answer.
 * `notices` (handoff notices, holding messages) are no answer: messages before them stay unanswered.
 */
export function burstOf(
  messages: MessageRow[],
  notices: ReadonlySet<string> = new Set(),
): { history: Turn[]; burst: MessageRow[] } {
  let lastOut = -1;
  messages.forEach((m, i) => {
    if (!isCustomer(m) && !notices.has(m.id)) lastOut = i;
  });
  const burst = messages.slice(lastOut + 1).filter(isCustomer);
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
  const terms = await workspaceTerms(ctx.db, scope.workspaceId);
  return {
    workspaceId: scope.workspaceId,
    livemode: scope.livemode,
    defaultCountry: terms.defaultCountry,
    actor: aiActor(agentId),
    limits: terms.limits,
  };
}

/**
 * The conversation a job is about, if it still exists and is `wanted`, with its agent's row (none
 * when the agent is gone).
 */
export async function jobConversation(
  ctx: AppContext,
  payload: ConversationJob,
  wanted: (conversation: ConversationRow) => boolean,
) {
  const scope = { workspaceId: payload.workspaceId, livemode: payload.livemode };
  const conversation = await getConversationRow(ctx.db, scope, payload.conversationId).catch(() => undefined);
  if (!conversation || !wanted(conversation)) return undefined;
  return { scope, conversation, agentRow: await agentFor(ctx.db, scope, conversation) };
}

/**
 * When a burst's window closes (ms): `replyDebounceMs` after its latest message, so each new
 * message restarts the pause, but never later than `replyBurstCapMs` (8 s) after its first.
 */
export function burstClosesAt(
  firstAt: number,
  lastAt: number,
  opts: Pick<AiOptions, 'replyDebounceMs' | 'replyBurstCapMs'>,
): number {
  const cap = Math.max(opts.replyBurstCapMs ?? 8000, opts.replyDebounceMs);
  return Math.min(lastAt + opts.replyDebounceMs, firstAt + cap);
}

/** Records how the AI came to send message `messageId` (which engine, its sources, actions and state). */
export async function recordReply(
  db: Trx,
  scope: Scope,
  messageId: string,
  conversation: Pick<ConversationRow, 'id'>,
  agentId: string,
  how: Pick<AiRepliesTable, 'engine' | 'sources' | 'actions' | 'answered' | 'created_at'> &
    Partial<
      Pick<AiRepliesTable, 'dialogue_state' | 'model_outcome' | 'model' | 'input_tokens' | 'output_tokens'>
    >,
) {
  await db
    .insertInto('ai_replies')
    .values({
      message_id: messageId,
      ...scopeColumns(scope),
      conversation_id: conversation.id,
      agent_id: agentId,
      ...how,
    })
    .execute();
}

/**
 * The reply job: answers every customer message since the last reply, once. A customer message
 * stored while the job runs found its key taken (no reply of its own was enqueued): whichever way
 * the job ends, one stored after the newest the job started with is answered by a follow-up.
 */
export async function answerConversation(
  ctx: AppContext,
  payload: ConversationJob,
  opts: AiOptions,
  job?: JobContext,
) {
  const seen = await newestInboundMessage(ctx.db, payload.conversationId);
  if (await answerBurst(ctx, payload, opts, job)) return;
  // Nothing answered (paused, closed, nothing new, opted out, refused): the job ends here, and
  // what came in while it ran is looked at again (the pause may have ended meanwhile).
  await ctx.transaction(async (tx) => {
    await job?.completeWith?.(tx.db);
    await followUpNewer(ctx, tx.db, payload, seen, opts);
  });
}

/** Answers the burst; true when the job was ended (with its follow-up) here. */
async function answerBurst(
  ctx: AppContext,
  payload: ConversationJob,
  opts: AiOptions,
  job?: JobContext,
): Promise<boolean> {
  const found = await jobConversation(ctx, payload, (c) => c.ai_paused !== 1 && c.status !== 'closed');
  if (found?.agentRow?.status !== 'active') return false;
  const { scope, conversation, agentRow } = found;
  const agent = agentConfig(ctx, agentRow);
  const recent = (await recentMessages(ctx.db, scope, conversation.id, HISTORY_TURNS + 10)).reverse();
  const notices = new Set(
    (await noticeIds(ctx.db, scope, conversation.id).execute()).map((r) => r.message_id),
  );
  const { history, burst: unanswered } = burstOf(recent, notices);
  // Once a handoff has ended, what the customer wrote before it began was the handoff's to answer
  // (a reply job of that time that runs after the hand-back must not answer it, nor hand off for it
  // again): it is history now. (Out of hours the AI may answer during a handoff: all of it.)
  const after = conversation.handoff_at === null ? conversation.last_handoff_at : null;
  const burst = after ? unanswered.filter((m) => m.created_at >= after) : unanswered;
  if (after) {
    for (const m of unanswered) {
      if (m.created_at < after && m.text) history.push({ role: 'customer', text: m.text });
    }
  }
  if (burst.length === 0) return false;
  // The burst's window is measured on the app's clock: it closes `replyDebounceMs` after its
  // latest message (a new message restarts the pause), but never later than `replyBurstCapMs`
  // after its first. A job that runs before the window has passed by that clock (the queue's
  // clock can differ from it, e.g. PostgreSQL's) looks again when it has, so the messages of the
  // window are answered together.
  const closesAt = burstClosesAt(
    Date.parse(burst[0]!.created_at),
    Date.parse(burst[burst.length - 1]!.created_at),
    opts,
  );
  const open = closesAt - ctx.clock.now().getTime();
  if (open > 0) {
    await ctx.transaction(async (tx) => {
      await job?.completeWith?.(tx.db);
      const again = await ctx.queue.enqueue(tx.db, replyJob, payload, {
        singletonKey: `ai-reply:${conversation.id}`,
        delayMs: open,
      });
      // Another reply job holds the key (this one was a hand-back's): it may be ending without
      // an answer, so this look gets a key of its own (the answer guard keeps one answer).
      if (!again)
        await ctx.queue.enqueue(tx.db, replyJob, payload, {
          singletonKey: `ai-reply:${conversation.id}:${burst[burst.length - 1]!.id}`,
          delayMs: open,
        });
    });
    return true;
  }
  const contact = await findContactRow(ctx.db, scope, conversation.contact_id);
  // Opted out since the message came (STOP in the same burst): nothing is answered.
  if (contact?.opted_out === 1) return false;
  const sender = await workspaceSender(ctx, scope, agent.id);
  const tz = agent.business.timezone;
  const texts = burst
    .map(
      (m) =>
        customerText(m, tz) ?? (m.media ? (fromJson<{ caption?: string }>(m.media, {}).caption ?? '') : ''),
    )
    .filter((t) => t.trim());
  const input: EngineInput = {
    agent,
    messages: cut(texts),
    history: history.slice(-HISTORY_TURNS),
    state: await dialogueStateOf(
      ctx.db,
      scope,
      recent.findLast((m) => !isCustomer(m) && !notices.has(m.id))?.id,
    ),
    variables: variablesOf(contact, fromJson<Record<string, unknown>>(conversation.dynamic_variables, {})),
    now: ctx.clock.now(),
    defaultCountry: sender.defaultCountry,
    unsupportedMedia: burst.some((m) => m.type !== 'text' && m.type !== 'interactive') && texts.length === 0,
    // An Instagram story mention: thanked, never "I can only read text".
    storyMention:
      texts.length === 0 && burst.some((m) => m.interactive?.includes('"story_mention"') === true),
    catalogue: (await channelCatalogue(ctx.db, conversation)) !== undefined,
    bookingNeedsContact: bookingNeedsContact(agent, conversation.channel),
  };
  const tools = liveTools(ctx, { ...scope, defaultCountry: sender.defaultCountry }, agent, conversation, {
    answering: burst[burst.length - 1]!.id,
  });
  let handoffNotice: string | undefined;
  const stopTyping = await typingWhileGenerating(ctx, agent, conversation, burst[burst.length - 1]!);
  const result = await runEngine(
    input,
    {
      ...tools,
      async handoff(reason) {
        handoffNotice = (await tools.handoff(reason)) ?? undefined;
        return handoffNotice;
      },
    },
    llmOptionsOf(ctx, opts.llm),
  ).finally(stopTyping);
  // Handed off out of hours: the customer is told when a person will answer (the built-in
  // agent's reply says it; an LLM's reply gets it added).
  const reply =
    handoffNotice && !result.reply.includes(handoffNotice)
      ? `${result.reply}\n\n${handoffNotice}`
      : result.reply;
  const last = burst[burst.length - 1]!;
  let sent: Awaited<ReturnType<typeof replyToConversation>>;
  try {
    sent = await replyToConversation(ctx, sender, conversation.id, {
      // Text (at most 4,096 characters, cut between characters), or on WhatsApp the slots offered
      // as a list and the catalogue as a catalog_message.
      ...replyContent(result, reply, conversation.channel, tz, result.state?.locale ?? 'en'),
      // One answer per customer message: an automation's reply written since the burst was read
      // wins (a handoff notice or a holding message is no answer).
      answering: {
        messageId: last.id,
        countAutomations: true,
        notAnswers: noticeIds(ctx.db, scope, conversation.id),
      },
    });
  } catch (err) {
    if (isAlreadyAnswered(err)) {
      ctx.logger.info(
        { conversationId: conversation.id, messageId: last.id },
        'AI reply skipped: answered already',
      );
      await ctx.transaction(async (tx) => {
        await job?.completeWith?.(tx.db);
        await followUpNewer(ctx, tx.db, payload, last, opts);
      });
      return true;
    }
    // A refusal (rate limit, opted-out contact, closed window) will not change on retry, and a
    // retry would run the tools again: log it and stop.
    if (err instanceof ApiError && err.status < 500) {
      ctx.logger.warn(
        { conversationId: conversation.id, code: err.code, msg: err.message },
        'AI reply not sent',
      );
      return false;
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
    await recordReply(tx.db, scope, sent.id, conversation, agent.id, {
      engine: result.engine,
      sources: toJson(result.sources),
      actions: toJson(result.actions),
      answered: result.answered ? 1 : 0,
      dialogue_state: result.state ? toJson(result.state) : null,
      model_outcome: result.llm ? toJson(result.llm) : null,
      model: result.llm?.model ?? null,
      input_tokens: result.llm?.usage?.input_tokens ?? null,
      output_tokens: result.llm?.usage?.output_tokens ?? null,
      created_at: ctx.clock.now().toISOString(),
    });
    await markAiHandled(tx.db, conversation.id);
    if (!result.handedOff) await armAutoResolve(ctx, tx.db, scope, conversation, agent.id, sent);
    await followUpNewer(ctx, tx.db, payload, last, opts);
  });
  return true;
}

/** A message that arrived while the reply job ran found the singleton taken: answer it in a follow-up. */
async function followUpNewer(
  ctx: AppContext,
  db: Trx,
  payload: ConversationJob,
  last: { created_at: string } | undefined,
  opts: AiOptions,
) {
  const [newer] = last
    ? await inboundMessageIdsAfter(db, payload.conversationId, last.created_at, { limit: 1 })
    : await inboundMessageIdsAfter(db, payload.conversationId, '', { orAt: true, limit: 1 });
  if (newer) {
    await ctx.queue.enqueue(db, replyJob, payload, {
      singletonKey: `ai-reply:${payload.conversationId}:${newer.id}`,
      delayMs: opts.replyDebounceMs,
    });
  }
}

/**
 * The dialogue state the agent's reply `messageId` (the conversation's last outbound message) left:
 * null when nothing is pending (no reply yet, or a person or a holding message answered last);
 * undefined for a reply stored before replies kept their state (the engine then reads its words).
 */
async function dialogueStateOf(
  db: Db | Trx,
  scope: Scope,
  messageId: string | undefined,
): Promise<DialogueState | null | undefined> {
  if (!messageId) return null;
  const row = await tenant(db, scope)
    .selectFrom('ai_replies')
    .select(['engine', 'dialogue_state'])
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  if (!row || row.engine === 'holding' || row.engine === 'notice') return null;
  return row.dialogue_state === null ? undefined : fromJson<DialogueState | null>(row.dialogue_state, null);
}

/** Keeps the newest text within the engine's budget. */
export function cut(texts: string[]): string[] {
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
    llmOptionsOf(ctx, opts.llm),
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
