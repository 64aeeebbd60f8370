import type { AppContext } from '../../platform/context.ts';
import type { Actor } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';
import type { AgentConfig } from '../agents/index.ts';
import {
  cancelBooking,
  checkAvailability,
  createBooking,
  listContactBookings,
  rescheduleBooking,
} from '../bookings/index.ts';
import {
  type ContactRow,
  type Scope as ContactScope,
  fillEmptyContactField,
  getContactRow,
  normalizeEmail,
  presentContact,
  scopedContacts,
  updateContact,
} from '../contacts/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import { handoffConversation, handoffHoursNow, mergeConversationVariables } from '../conversations/index.ts';
import { searchKnowledge } from '../knowledge/index.ts';
import { captureLead } from '../leads/index.ts';
import { callTool, type RecordedCall, type Tool, toolsByIds } from '../tools/index.ts';
import {
  bookingNeedsContact,
  type ContactDetails,
  ContactNeeded,
  mergeDetails,
  missingContact,
} from './booking-contact.ts';
import type { AgentTools } from './engine.ts';
import { closedNoticeText } from './handoff-words.ts';
import { detectLocale, replyLocale } from './locale.ts';

/*
 * The tools an engine is given: live ones that write (leads, bookings, handoffs) as the AI of the
 * agent, and dry-run ones for the playground and copilot that only describe what would happen.
 */

export const aiActor = (agentId: string): Actor => ({ type: 'ai', id: agentId });

/** Tools that act: leads, bookings and handoffs are written as the AI of this agent (chat replies and voice calls). */
export function liveTools(
  ctx: AppContext,
  scope: ContactScope,
  agent: AgentConfig,
  conversation: ConversationRow,
  /** The customer message a reply job answers: a write tool called for it is made once (callKey). */
  opts: { answering?: string } = {},
): AgentTools {
  const actor = aiActor(agent.id);
  // The turn of each tool in this reply: a job that runs again after a crash calls the same tools
  // in the same order for the same message, so its calls get the keys of the first run's.
  const turns = new Map<string, number>();
  return {
    searchKnowledge: (query, topK) => searchKnowledge(ctx, scope, agent.id, query, topK),
    async captureLead(input) {
      const contact = await scopedContacts(ctx.db, scope)
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
    async book({ serviceId, startAt, notes, contact }) {
      if (bookingNeedsContact(agent, conversation.channel))
        await contactOrRefuse(ctx, scope, conversation.contact_id, contact ?? {}, actor);
      // What the customer gave for the booking stays on it (a phone another contact has is not moved).
      const given = [contact?.name, contact?.phone, contact?.email].filter(Boolean).join(', ');
      const b = await createBooking(
        ctx,
        scope,
        {
          agent_id: agent.id,
          conversation_id: conversation.id,
          start_at: startAt,
          ...(serviceId ? { service_id: serviceId } : {}),
          ...(notes || given ? { notes: [notes, given].filter(Boolean).join('. ') } : {}),
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
      // On a call the handoff is a transfer; in a chat out of hours, the reply says when a person answers.
      if (conversation.channel === 'voice') return undefined;
      const closed = await handoffHoursNow(ctx, ctx.db, scope, conversation);
      return closed
        ? closedNoticeText(
            closed,
            replyLocale(detectLocale(conversation.last_message ?? ''), agent.languages),
            true,
          )
        : undefined;
    },
    customTools: () => agentToolsOf(ctx, scope, agent),
    async runTool(tool, args) {
      const contact = await scopedContacts(ctx.db, scope)
        .selectAll()
        .where('id', '=', conversation.contact_id)
        .executeTakeFirst();
      const voice = conversation.channel === 'voice';
      const turn = (turns.get(tool.id) ?? 0) + 1;
      turns.set(tool.id, turn);
      return callTool(ctx, tool, args, {
        ...(opts.answering ? { callKey: `reply:${conversation.id}:${opts.answering}:${turn}` } : {}),
        scope,
        agent: { id: agent.id, name: agent.name },
        contact: contact ? toolContact(contact) : null,
        conversation: {
          id: conversation.id,
          channel: conversation.channel,
          variables: fromJson<Record<string, unknown>>(conversation.dynamic_variables, {}),
        },
        channel: voice ? 'voice' : 'chat',
        source: voice ? 'voice' : 'chat',
        // Test mode answers from the tool's mocks when one matches.
        useMocks: !scope.livemode,
        liveWrites: true,
        actor,
        save: async ({ contactAttributes, conversationVariables }) => {
          await mergeConversationVariables(
            ctx,
            conversation.id,
            conversationVariables as Record<string, string | number | boolean>,
          );
          if (contact && Object.keys(contactAttributes).length)
            await updateContact(
              ctx,
              scope,
              contact.id,
              { attributes: contactAttributes as Record<string, string | number | boolean> },
              actor,
            );
        },
      });
    },
  };
}

/** The workspace tools this agent lists, in its order. */
export function agentToolsOf(ctx: AppContext, scope: ContactScope, agent: AgentConfig): Promise<Tool[]> {
  const ids = agent.tools.filter((t) => t.startsWith('tool_'));
  return ids.length ? toolsByIds(ctx.db, scope, ids) : Promise.resolve([]);
}

const toolContact = (c: ContactRow) => ({
  id: c.id,
  name: c.name,
  phone: c.phone,
  email: c.email,
  attributes: fromJson<Record<string, unknown>>(c.attributes, {}),
});

/**
 * Fills the contact's empty name and email from what the customer gave the AI; a value already
 * there (typed by a human, imported) is never overwritten. The update is conditional on the
 * field still being empty, so a concurrent edit wins.
 */
const phoneTaken = async (ctx: AppContext, scope: ContactScope, contactId: string, phone: string) =>
  (await scopedContacts(ctx.db, scope)
    .select('id')
    .where('phone', '=', phone)
    .where('id', '!=', contactId)
    .executeTakeFirst()) !== undefined;

/**
 * A booking that needs the customer's details (a website visitor): what they gave is stored on
 * the contact, then `ContactNeeded` is thrown while it still lacks a name or a phone or email.
 */
async function contactOrRefuse(
  ctx: AppContext,
  scope: ContactScope,
  contactId: string,
  given: ContactDetails,
  actor: Actor,
): Promise<void> {
  await fillContact(ctx, scope, contactId, given, actor);
  const row = await getContactRow(ctx.db, scope, contactId);
  const known = mergeDetails({ name: row.name ?? '', email: row.email ?? '', phone: row.phone ?? '' }, given);
  const missing = missingContact(known);
  if (missing.length) throw new ContactNeeded(missing);
}

async function fillContact(
  ctx: AppContext,
  scope: ContactScope,
  contactId: string,
  given: ContactDetails,
  actor: Actor,
): Promise<void> {
  const email = given.email ? normalizeEmail(given.email) : null;
  const name = given.name?.trim() || null;
  // A number another contact already has stays on the lead and the booking (the duplicates list finds them).
  const phone = given.phone && !(await phoneTaken(ctx, scope, contactId, given.phone)) ? given.phone : null;
  if (!name && !email && !phone) return;
  await ctx.transaction(async (tx) => {
    const now = ctx.clock.now().toISOString();
    let changed = false;
    for (const [column, value] of [
      ['name', name],
      ['email', email],
      ['phone', phone],
    ] as const) {
      if (!value) continue;
      if (await fillEmptyContactField(tx.db, scope, contactId, column, value, now)) changed = true;
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
    handoff: async () => undefined,
    customTools: () => agentToolsOf(ctx, scope, agent),
    // A dry run writes nothing: mocks answer when one matches, reads are made, writes only rendered.
    runTool: (tool, args) =>
      callTool(ctx, tool, args, {
        scope,
        agent: { id: agent.id, name: agent.name },
        contact: null,
        conversation: null,
        channel: 'chat',
        source: 'playground',
        useMocks: true,
        liveWrites: false,
        actor: aiActor(agent.id),
      }),
  };
}

/**
 * A replay's tools: the dry run's, with workspace tools answered by the responses recorded in
 * the live conversation (the same tool with the same arguments), else a mock, else not run: a
 * replay tests a changed agent against real answers without calling the business.
 */
export function replayTools(
  ctx: AppContext,
  scope: ContactScope,
  agent: AgentConfig,
  recorded: RecordedCall[],
): AgentTools {
  return {
    ...dryRunTools(ctx, scope, agent),
    runTool: (tool, args) =>
      callTool(ctx, tool, args, {
        scope,
        agent: { id: agent.id, name: agent.name },
        contact: null,
        conversation: null,
        channel: 'chat',
        source: 'replay',
        useMocks: true,
        liveWrites: false,
        recorded,
        actor: aiActor(agent.id),
      }),
  };
}
