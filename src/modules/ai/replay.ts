import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import type { UpdateAgentInput } from '../agents/index.ts';
import { agentConfig, draftAgentConfig, getAgentRow } from '../agents/index.ts';
import { type Scope as ContactScope, contactsByIds } from '../contacts/index.ts';
import { agentConversationIds, conversationsByIds } from '../conversations/index.ts';
import { conversationThreads, latestInboundMessages, type MessageRow } from '../messaging/index.ts';
import { toolCallsOf } from '../tools/index.ts';
import { type AiOptions, runEngine } from './ai.service.ts';
import { replayTools } from './ai.tools.ts';
import { type Action, type AgentTools, asDryRun, type Turn } from './engine.ts';
import { variablesOf } from './variables.ts';

export interface ReplayInput {
  conversation_ids?: string[];
  since?: string;
  limit?: number;
  draft?: Omit<UpdateAgentInput, 'phone_number' | 'status'>;
}

/** Without conversations or a start, a replay takes the last week. */
const DEFAULT_DAYS = 7;
export const REPLAY_DEFAULT_LIMIT = 100;
export const REPLAY_MAX_LIMIT = 1000;
const HISTORY_TURNS = 20;

/** What a reply did, whichever way it was recorded: a dry run's `would_book` is a `booking_created`. */
const doneNames: Record<string, string> = {
  would_capture_lead: 'lead_captured',
  would_book: 'booking_created',
  would_cancel_booking: 'booking_cancelled',
  would_reschedule_booking: 'booking_rescheduled',
  would_handoff: 'handoff',
};
const effects = new Set([
  'lead_captured',
  'booking_created',
  'booking_cancelled',
  'booking_rescheduled',
  'booking_proposed',
  'reschedule_proposed',
  'handoff',
]);
const effectsOf = (actions: Action[]) =>
  [...new Set(actions.map((a) => doneNames[a.type] ?? a.type).filter((t) => effects.has(t)))]
    .sort()
    .join(',');
const sameText = (a: string | null, b: string) =>
  (a ?? '').replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

const textOf = (m: MessageRow) =>
  m.text ?? (m.media ? (fromJson<{ caption?: string }>(m.media, {}).caption ?? '') : '');
/** What a message said: its text or caption, or a template's rendered body. */
const saidIn = (m: MessageRow) =>
  textOf(m) || fromJson<{ rendered_body?: string }>(m.template, {}).rendered_body || '';

/** Chosen conversations must all exist in the scope. */
async function assertConversationsExist(ctx: AppContext, scope: ContactScope, ids: string[]) {
  const found = new Set((await conversationsByIds(ctx.db, scope, ids)).map((c) => c.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw new ApiError('not_found', `Conversation ${missing} was not found.`);
}

/** The turns of a conversation before its `i`th message (the last 20 that said anything). */
function historyBefore(list: MessageRow[], i: number): Turn[] {
  return list
    .slice(0, i)
    .filter((x) => textOf(x).trim() || x.template)
    .slice(-HISTORY_TURNS)
    .map((x) => ({ role: x.direction === 'inbound' ? 'customer' : 'agent', text: saidIn(x) }));
}

/** For each picked message, the first reply after it in its conversation (null when none). */
function repliesAfter(picked: MessageRow[], thread: Map<string, MessageRow[]>) {
  const replies = new Map<string, MessageRow | null>();
  for (const m of picked) {
    const list = thread.get(m.conversation_id) ?? [];
    const i = list.findIndex((x) => x.id === m.id);
    replies.set(m.id, list.slice(i + 1).find((x) => x.direction !== 'inbound') ?? null);
  }
  return replies;
}

/** The actions the AI recorded with each of these messages. */
async function recordedActions(ctx: AppContext, scope: ContactScope, messageIds: string[]) {
  const actions = new Map<string, Action[]>();
  for (const ids of chunked(messageIds)) {
    const rows = await tenant(ctx.db, scope)
      .selectFrom('ai_replies')
      .select(['message_id', 'actions'])
      .where('message_id', 'in', ids)
      .execute();
    for (const r of rows) actions.set(r.message_id, fromJson<Action[]>(r.actions, []));
  }
  return actions;
}

/**
 * `POST /v1/agents/{id}/replay`: past customer messages (of chosen conversations, or of the
 * agent's conversations since a date, by default the last week) answered again by the agent as
 * it is, or with a draft change applied, nothing sent and nothing written. Each message comes
 * back with the reply it got then and the one it would get now, the actions of each (the
 * now-actions as a dry run names them: `would_book`...), and whether anything changed: the
 * reply's text or what it did (a lead, a booking, a cancellation, a move, an offer, a handoff).
 * Each message is answered with the conversation as it stood before it (up to 20 turns).
 * Dates the customer wrote ("tomorrow") and availability are read as of now. Workspace tools
 * answer with the responses recorded in the conversation (`replayed`), never by calling the business.
 */
export async function replayAgent(
  ctx: AppContext,
  scope: ContactScope,
  agentId: string,
  body: ReplayInput,
  opts: AiOptions,
) {
  const row = await getAgentRow(ctx.db, scope, agentId);
  const agent = body.draft ? draftAgentConfig(ctx, row, body.draft) : agentConfig(ctx, row);
  const limit = body.limit ?? REPLAY_DEFAULT_LIMIT;
  const chosen = body.conversation_ids ? [...new Set(body.conversation_ids)] : null;
  if (chosen) await assertConversationsExist(ctx, scope, chosen);
  const since =
    body.since ??
    (chosen ? null : new Date(ctx.clock.now().getTime() - DEFAULT_DAYS * 86_400_000).toISOString());

  // The newest `limit` customer messages, answered oldest first.
  const picked = (
    await latestInboundMessages(ctx.db, scope, {
      conversations: chosen ?? agentConversationIds(ctx.db, scope, agentId),
      since: since ? new Date(since).toISOString() : null,
      limit,
    })
  ).reverse();

  // Each picked message's conversation, read once: the turns before it and the reply after it.
  const convIds = [...new Set(picked.map((m) => m.conversation_id))];
  const thread = await conversationThreads(ctx.db, scope, convIds);
  const conversations = new Map((await conversationsByIds(ctx.db, scope, convIds)).map((c) => [c.id, c]));
  const contactIds = [...new Set([...conversations.values()].map((c) => c.contact_id))];
  const contacts = new Map((await contactsByIds(ctx.db, scope, contactIds)).map((c) => [c.id, c]));

  const replyThen = repliesAfter(picked, thread);
  const thenIds = [...new Set([...replyThen.values()].filter((m): m is MessageRow => !!m).map((m) => m.id))];
  const thenActions = await recordedActions(ctx, scope, thenIds);

  // Workspace tools answer from the calls recorded in each conversation, never from the business.
  const recorded = new Map<string, AgentTools>();
  for (const id of convIds)
    recorded.set(id, replayTools(ctx, scope, agent, await toolCallsOf(ctx.db, scope, id)));
  const now = ctx.clock.now();
  const results = [];
  for (const m of picked) {
    const list = thread.get(m.conversation_id) ?? [];
    const i = list.findIndex((x) => x.id === m.id);
    const history = historyBefore(list, i);
    const conversation = conversations.get(m.conversation_id);
    const text = textOf(m);
    const result = await runEngine(
      {
        agent,
        messages: text.trim() ? [text.slice(-4000)] : [],
        history,
        variables: variablesOf(
          conversation ? contacts.get(conversation.contact_id) : undefined,
          fromJson<Record<string, unknown>>(conversation?.dynamic_variables ?? null, {}),
        ),
        now,
        defaultCountry: scope.defaultCountry,
        unsupportedMedia: !text.trim() && m.type !== 'text',
      },
      recorded.get(m.conversation_id)!,
      opts.llm,
    );
    const then = replyThen.get(m.id) ?? null;
    const actionsThen = then ? (thenActions.get(then.id) ?? []) : [];
    const actionsNow = asDryRun(result.actions);
    const replyThenText = then ? saidIn(then) : null;
    results.push({
      message_id: m.id,
      conversation_id: m.conversation_id,
      created_at: m.created_at,
      text,
      reply_then: replyThenText,
      reply_now: result.reply,
      actions_then: actionsThen,
      actions_now: actionsNow,
      sources_now: result.sources,
      changed: !sameText(replyThenText, result.reply) || effectsOf(actionsThen) !== effectsOf(actionsNow),
    });
  }
  return {
    object: 'agent_replay' as const,
    agent_id: agent.id,
    draft: body.draft !== undefined,
    results,
    summary: { total: results.length, changed: results.filter((r) => r.changed).length },
  };
}
