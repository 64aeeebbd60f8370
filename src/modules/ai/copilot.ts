import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import { agentConfig, type Scope } from '../agents/index.ts';
import type { Scope as ContactScope } from '../contacts/index.ts';
import { findContactRow } from '../contacts/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import { getConversationRow } from '../conversations/index.ts';
import { searchKnowledge } from '../knowledge/index.ts';
import { recentMessages } from '../messaging/index.ts';
import {
  type AiOptions,
  agentFor,
  burstOf,
  cut,
  HISTORY_TURNS,
  isCustomer,
  llmOptionsOf,
  runEngine,
} from './ai.service.ts';
import { dryRunTools, liveTools } from './ai.tools.ts';
import { type AgentTools, asDryRun, type EngineInput, type EngineResult } from './engine.ts';
import { asksHours, extractLeadFields, isThanks, wantsBooking, wantsCancel, wantsHuman } from './intents.ts';
import { variablesOf } from './variables.ts';

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
      model: r.model ?? null,
      input_tokens: r.input_tokens ?? null,
      output_tokens: r.output_tokens ?? null,
    })),
  };
}

/** `POST /v1/conversations/{id}/copilot/suggest`: a draft reply and next steps for a human agent. */
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
  // Private notes are for the team: never part of what the AI reads or answers.
  const recent = (await recentMessages(ctx.db, scope, conversation.id, HISTORY_TURNS)).reverse();
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
  const contact = await findContactRow(ctx.db, scope, conversation.contact_id);
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
  const engineDraft = await runEngine(input, tools, llmOptionsOf(ctx, opts.llm));
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
