import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { type ConversationView, newRow, type Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor, EmitInput, EventType, Tx } from '../../platform/events.ts';
import { toJson } from '../../platform/json.ts';
import type { PlanLimits } from '../../platform/limits.ts';
import { type ChannelRow, ensureSandboxChannel, ensureWebCallChannel } from '../channels/index.ts';
import type { ContactRow } from '../contacts/index.ts';
import { getContactRow, insertContacts, newContactRow, presentContact } from '../contacts/index.ts';
import {
  type ConversationRow,
  findConversations,
  insertConversations,
  newConversationRow,
  notYourConversation,
  presentConversation,
  reopenForCalls,
  seesConversation,
  threadKey,
  withCallContext,
} from '../conversations/index.ts';
import { presentCall } from './calls.present.ts';
import type { SandboxScript } from './engine/types.ts';
import { startCallJob, webJoinTimeoutJob } from './voice.jobs.ts';
import type { CallRow } from './voice.tables.ts';

// ---------------------------------------------------------------- create

export interface CallItem {
  agent_id?: string;
  voice_flow_id?: string;
  to?: string;
  from?: string;
  channel_id?: string;
  transport?: 'phone' | 'web';
  dynamic_variables?: Record<string, string | number | boolean | null>;
  ignore_dnd?: boolean;
  identifier?: string;
  sandbox?: SandboxScript;
  /** Set by campaigns (not part of the public body). */
  campaign_id?: string;
  /**
   * Set by the website widget (not part of the public body): a web call's caller is this contact
   * (the visitor's), not a new contact of its own, so the call sits beside their chat.
   */
  contact_id?: string;
}

export interface Caller {
  workspaceId: string;
  livemode: boolean;
  defaultCountry: string;
  actor: Actor;
  limits: PlanLimits;
  /** A person's role's view (an inbox session): their calls stay in the conversations they see. */
  view?: ConversationView;
}

export interface ItemError {
  index: number;
  code: string;
  message: string;
  errors?: Array<{ field: string; message: string }>;
}

/** An item that passed its checks: where it goes and on which channel. */
export interface Prepared {
  index: number;
  item: CallItem;
  transport: 'phone' | 'web';
  to: string | null;
  channel: ChannelRow | null;
  provider: string;
}

/** The channel a web call's conversation lives on when the workspace has no voice channel. */
async function webChannel(ctx: AppContext, tx: Tx, scope: Scope): Promise<ChannelRow> {
  if (!scope.livemode) return ensureSandboxChannel(tx.db, ctx, scope, 'voice');
  // Live mode from here on: a test-mode web call took the sandbox channel above.
  return ensureWebCallChannel(tx.db, ctx, scope);
}

/** Why a call to this contact is refused (opted out; on do-not-disturb without `ignore_dnd`), or null. */
export function contactRefusal(contact: ContactRow, item: CallItem): ApiError | null {
  if (contact.opted_out === 1)
    return new ApiError('contact_opted_out', `Contact ${contact.id} opted out; no call was placed.`, {
      details: { contact_id: contact.id },
    });
  if (contact.dnd === 1 && !item.ignore_dnd)
    return new ApiError(
      'contact_dnd',
      `Contact ${contact.id} is on do-not-disturb; set ignore_dnd: true for a transactional or service call.`,
      { details: { contact_id: contact.id } },
    );
  return null;
}

/** New contacts of a batch: one per new number, one per web caller with no number the widget does not know. */
function newCallerRows(
  contactScope: Scope & { defaultCountry: string },
  admitted: Prepared[],
  known: Map<string, ContactRow>,
  given: Map<number, ContactRow>,
  at: string,
) {
  const newByPhone = new Map<string, ContactRow>();
  const webContacts = new Map<number, ContactRow>();
  // Stamped by the wall clock, as contacts found-or-made one at a time are.
  const stamped = new Date().toISOString();
  for (const p of admitted) {
    if (p.to) {
      if (!known.has(p.to) && !newByPhone.has(p.to))
        newByPhone.set(p.to, newContactRow(contactScope, { phone: p.to, email: null, name: null }, stamped));
    } else if (!given.has(p.index)) {
      const row = newContactRow(contactScope, { phone: null, email: null, name: null }, at);
      row.attributes = toJson({ source: 'web_call' });
      webContacts.set(p.index, row);
    }
  }
  return { newByPhone, webContacts };
}

/** The web callers the widget already knows (its visitors' contacts), by item index. */
async function webCallers(tx: Tx, scope: Scope, admitted: Prepared[]): Promise<Map<number, ContactRow>> {
  const given = new Map<number, ContactRow>();
  for (const p of admitted)
    if (!p.to && p.item.contact_id) given.set(p.index, await getContactRow(tx.db, scope, p.item.contact_id));
  return given;
}

/**
 * Writes the admitted items of one request set-wise, each step one statement for the whole
 * batch: the contacts of new numbers (the same number twice is one contact) and of web callers,
 * the conversations of new threads, the calls, every event (`contact.created`, then
 * `conversation.created`, then `call.started`, so each object's events keep their order) and
 * the start (or join-timeout) jobs. A thread the batch reaches again, or one already stored,
 * takes each item's variables, identifier and agent in item order, as one-at-a-time writes did.
 * A number another transaction gave a contact meanwhile is that contact; if it opted out (or is
 * on do-not-disturb without `ignore_dnd`) its items are refused, with nothing written for them.
 */
export async function writeCalls(
  ctx: AppContext,
  tx: Tx,
  caller: Caller,
  admitted: Prepared[],
  known: Map<string, ContactRow>,
  now: Date,
): Promise<{
  calls: Array<{ index: number; call: CallRow }>;
  refused: Array<{ index: number; error: ApiError }>;
}> {
  const scope: Scope = { workspaceId: caller.workspaceId, livemode: caller.livemode, view: caller.view };
  const contactScope = { ...scope, defaultCountry: caller.defaultCountry };
  const at = now.toISOString();
  const refused: Array<{ index: number; error: ApiError }> = [];
  if (admitted.length === 0) return { calls: [], refused };

  // Contacts: one per new number, and one per web caller with no number (its own thread).
  const givenContacts = await webCallers(tx, scope, admitted);
  const { newByPhone, webContacts } = newCallerRows(contactScope, admitted, known, givenContacts, at);
  const contacts = await insertContacts(tx, scope, [...newByPhone.values(), ...webContacts.values()]);
  // Web callers the widget knows join the batch's web callers once the new ones are written.
  for (const [index, contact] of givenContacts) webContacts.set(index, contact);
  const contactOf = (p: Prepared): ContactRow =>
    p.to ? (known.get(p.to) ?? contacts.taken.get(p.to) ?? newByPhone.get(p.to)!) : webContacts.get(p.index)!;
  const live = admitted.filter((p) => {
    const taken = p.to ? contacts.taken.get(p.to) : undefined;
    const refusal = taken ? contactRefusal(taken, p.item) : null;
    if (refusal) refused.push({ index: p.index, error: refusal });
    return !refusal;
  });

  let web: ChannelRow | null = null;
  if (live.some((p) => !p.channel)) web = await webChannel(ctx, tx, scope);
  const channelOf = (p: Prepared): ChannelRow => p.channel ?? web!;

  // The threads the items reach, in item order; a contact this batch made has none stored yet.
  const threads = new Map<string, { items: Prepared[]; contact: ContactRow; channel: ChannelRow }>();
  for (const p of live) {
    const contact = contactOf(p);
    const channel = channelOf(p);
    const key = threadKey(channel.id, contact.id);
    const thread = threads.get(key);
    if (thread) thread.items.push(p);
    else threads.set(key, { items: [p], contact, channel });
  }
  const stored = new Map(
    (
      await findConversations(
        tx.db,
        scope,
        [...threads.values()]
          .filter((t) => !contacts.made.has(t.contact.id))
          .map((t) => ({ channelId: t.channel.id, contactId: t.contact.id })),
      )
    ).map((row) => [threadKey(row.channel_id, row.contact_id), row]),
  );
  // Another team's conversation is not one a person who sees only theirs may call into.
  const hidden = new Set<number>();
  for (const [key, t] of threads) {
    const found = stored.get(key);
    if (!found || seesConversation(scope, found)) continue;
    threads.delete(key);
    for (const p of t.items) {
      hidden.add(p.index);
      refused.push({ index: p.index, error: notYourConversation() });
    }
  }
  const conversations = new Map<string, ConversationRow>();
  /** Stored threads the items changed (their context), written back below. */
  const changed = new Map<string, ConversationRow>();
  const reach = (key: string, from: ConversationRow, items: Prepared[]) => {
    const row = items.reduce((r, p) => withCallContext(r, p.item, at), from);
    conversations.set(key, row);
    if (row !== from) changed.set(key, from);
  };
  /** New threads: stored as the items left them; `conversation.created` carries the first item's. */
  const fresh: Array<{ key: string; row: ConversationRow; first: ConversationRow; contact: ContactRow }> = [];
  for (const [key, t] of threads) {
    const found = stored.get(key);
    if (found) {
      reach(key, found, t.items);
      continue;
    }
    const [first, ...rest] = t.items as [Prepared, ...Prepared[]];
    const firstRow = newConversationRow(scope, {
      channel: t.channel,
      contact: t.contact,
      address: t.contact.phone ?? `web:${t.contact.id}`,
      agentId: first.item.agent_id ?? null,
      dynamicVariables: first.item.dynamic_variables,
      identifier: first.item.identifier,
      now,
    });
    const row = rest.reduce((r, p) => withCallContext(r, p.item, at), firstRow);
    fresh.push({ key, row, first: firstRow, contact: t.contact });
    conversations.set(key, row);
  }
  const threadsMade = await insertConversations(
    tx,
    scope,
    fresh.map((f) => f.row),
  );
  // A thread another transaction made meanwhile is that one, reached by all of its items.
  for (const f of fresh) {
    const winner = threadsMade.taken.get(f.key);
    if (winner) reach(f.key, winner, threads.get(f.key)!.items);
  }
  // Stored threads the items changed, written back with one update per 500; a closed one the
  // calls reopened emits conversation.reopened (the conversations module keeps that rule).
  await reopenForCalls(
    tx,
    [...changed].map(([key, stored]) => ({ stored, updated: conversations.get(key)! })),
    caller.actor,
  );

  const calls = live
    .filter((p) => !hidden.has(p.index))
    .map((p) => {
      const contact = contactOf(p);
      const channel = channelOf(p);
      const conversation = conversations.get(threadKey(channel.id, contact.id))!;
      return { index: p.index, call: callRow(scope, p, contact, conversation, channel, at) };
    });
  const rows = calls.map((c) => c.call);
  for (const part of chunked(rows, 100)) await tx.db.insertInto('calls').values(part).execute();

  const event = (type: EventType, data: EmitInput['data']): EmitInput => ({
    workspaceId: caller.workspaceId,
    livemode: caller.livemode,
    type,
    actor: caller.actor,
    data,
  });
  await tx.emitMany([
    // Contacts made for numbers (a web caller's contact has no event of its own).
    ...[...newByPhone.values()]
      .filter((c) => contacts.made.has(c.id))
      .map((c) => event('contact.created', presentContact(c))),
    ...fresh
      .filter((f) => threadsMade.made.has(f.row.id))
      .map((f) => event('conversation.created', presentConversation(f.first, f.contact))),
    ...rows.map((row) => event('call.started', presentCall(row))),
  ]);
  const job = (row: CallRow) => ({
    workspaceId: caller.workspaceId,
    livemode: caller.livemode,
    callId: row.id,
  });
  const phone = rows.filter((r) => r.transport === 'phone');
  const webRows = rows.filter((r) => r.transport !== 'phone');
  if (phone.length)
    await ctx.queue.enqueueMany(
      tx.db,
      startCallJob,
      phone.map((r) => ({ payload: job(r) })),
    );
  if (webRows.length)
    await ctx.queue.enqueueMany(
      tx.db,
      webJoinTimeoutJob,
      webRows.map((r) => ({
        payload: job(r),
        opts: { delayMs: ctx.config.voice.joinTimeoutSeconds * 1000 },
      })),
    );
  return { calls, refused };
}

/** The call row of one admitted item, queued. */
function callRow(
  scope: Scope,
  p: Prepared,
  contact: ContactRow,
  conversation: ConversationRow,
  channel: ChannelRow,
  at: string,
): CallRow {
  const { item } = p;
  return {
    ...newRow('call', scope),
    conversation_id: conversation.id,
    contact_id: contact.id,
    agent_id: item.agent_id ?? null,
    voice_flow_id: item.voice_flow_id ?? null,
    campaign_id: item.campaign_id ?? null,
    direction: 'outbound',
    transport: p.transport,
    channel_id: channel.id,
    provider: p.provider,
    provider_call_id: null,
    from_address: p.transport === 'phone' ? channel.address : null,
    to_address: p.to,
    status: 'queued',
    answered_by: null,
    ended_reason: null,
    dynamic_variables: toJson(item.dynamic_variables ?? {}),
    identifier: item.identifier ?? null,
    ignore_dnd: item.ignore_dnd ? 1 : 0,
    sandbox: item.sandbox ? toJson(item.sandbox) : null,
    ...freshCallColumns(at),
    dialed_at: null,
  };
}

/** The columns every call starts with, however it began: they fill in as the call goes on. */
export function freshCallColumns(at: string) {
  return {
    transcript: '[]',
    recording_url: null,
    transfer_started_at: null,
    latency: '{}',
    error_code: null,
    error_message: null,
    duration_seconds: null,
    queued_at: at,
    answered_at: null,
    ended_at: null,
    created_at: at,
    updated_at: at,
  };
}
