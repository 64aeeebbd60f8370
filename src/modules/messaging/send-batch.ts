import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { insertRows } from '../../platform/db/rows.ts';
import { livemodeValue, type Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { EmitInput, Tx } from '../../platform/events.ts';
import { GroupCommit, type GroupResult } from '../../platform/group-commit.ts';
import type { ChannelRow } from '../channels/index.ts';
import type { ContactRow } from '../contacts/index.ts';
import {
  findContactsByPhones,
  insertNewContactsByPhone,
  newContactRow,
  presentContact,
} from '../contacts/index.ts';
import {
  type ConversationRow,
  conversationsOfThreads,
  insertNewConversations,
  newConversationRow,
  patchConversation,
  presentConversation,
  setLastMessages,
} from '../conversations/index.ts';
import type { TemplateRef } from './content.ts';
import { sendJob } from './messaging.jobs.ts';
import {
  bringsContext,
  contentOf,
  isPerson,
  lastMessageOf,
  type MessageObject,
  mergedContext,
  newMessageRow,
  type PreparedContent,
  type PreparedSend,
  presentMessage,
  resolveChannel,
  type SendWriter,
  sendRefusal,
  startAgainIfClosed,
  writeSend,
} from './messaging.service.ts';
import type { MessageRow, TemplateRow } from './messaging.tables.ts';
import { findTemplatesForSend, templateRefKey } from './templates.service.ts';

/** Another writer made a contact or conversation this batch was about to make. */
class BatchConflict extends Error {}

/** Sends written together at most. */
const MAX_BATCH = 200;

/**
 * The process's batch writer for `POST /v1/messages` (and broadcasts): sends that arrive while
 * a batch is being written are written together by the next one, in one transaction with one
 * statement per table, so accepting a message costs a fraction of a commit and of a round trip.
 * One batch is written at a time.
 */
export function createSendWriter(ctx: AppContext): SendWriter {
  const group = new GroupCommit<PreparedSend, MessageObject>((sends) => writeBatch(ctx, sends), {
    maxItems: MAX_BATCH,
    // One batch at a time on both storages: SQLite has one writer, and on PostgreSQL concurrent
    // batches measured slower (smaller batches, more commits, more contention) than one.
    concurrency: 1,
  });
  return (send) => group.submit(send);
}

/** Times a batch is written again after another writer made one of its rows first. */
const CONFLICT_ATTEMPTS = 3;

async function writeBatch(ctx: AppContext, sends: PreparedSend[]): Promise<GroupResult<MessageObject>[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const results = await ctx.transaction((tx) => writeInTx(ctx, tx, sends));
      ctx.metrics.sendBatches.inc();
      ctx.metrics.sendWrites.inc({ path: 'batched' }, results.filter((r) => r.ok).length);
      return results;
    } catch (err) {
      // Another process made a contact or conversation this batch was making: written again,
      // the batch finds it (rather than one transaction per send, which on a busy pool waits
      // for connections and on each other's locks).
      if (err instanceof BatchConflict && attempt < CONFLICT_ATTEMPTS) continue;
      // Conflicts again and again, or the batch failed as a whole: each send is written again
      // on its own, so one send's trouble is its own (and a conflict resolves).
      if (!(err instanceof BatchConflict))
        ctx.logger.warn({ err }, 'batched send failed; writing each send on its own');
      return Promise.all(
        sends.map((send) =>
          writeSend(ctx, send).then(
            (value): GroupResult<MessageObject> => ({ ok: true, value }),
            (error): GroupResult<MessageObject> => ({ ok: false, error }),
          ),
        ),
      );
    }
  }
}

/** The context of a conversation not made yet: a first send's own is merged into it. */
const noContext = { dynamic_variables: '{}', identifier: null };

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const scopeKey = (s: PreparedSend) => `${s.scope.workspaceId}:${livemodeValue(s.scope)}`;
const contactKey = (s: PreparedSend) => `${scopeKey(s)}:${s.to}`;
const threadKey = (channelId: string, contactId: string) => `${channelId}:${contactId}`;

/**
 * The batch in one transaction: the same rules as `writeSend` (channel resolution, contact and
 * conversation made on first contact with the send's agent and context, context merged into an
 * existing thread, a closed thread reopened; opt-out, do-not-disturb, the 24-hour window and the
 * template's approval and variables checked before anything is written for that send), set-wise.
 */
async function writeInTx(
  ctx: AppContext,
  tx: Tx,
  sends: PreparedSend[],
): Promise<GroupResult<MessageObject>[]> {
  const results: Array<GroupResult<MessageObject> | undefined> = new Array(sends.length);

  // The channel of each distinct (workspace, mode, type, from, agent).
  const channelByKey = new Map<string, ChannelRow | ApiError>();
  const channels: Array<ChannelRow | undefined> = [];
  for (const [i, s] of sends.entries()) {
    const key = `${scopeKey(s)}:${s.type}:${s.input.from ?? ''}:${s.input.agent_id ?? ''}`;
    let channel = channelByKey.get(key);
    if (!channel) {
      try {
        channel = await resolveChannel(ctx, tx, s.scope, s.type, s.input.from, s.input.agent_id);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        channel = err;
      }
      channelByKey.set(key, channel);
    }
    if (channel instanceof ApiError) results[i] = { ok: false, error: channel };
    else channels[i] = channel;
  }
  const live = () => sends.flatMap((s, i) => (results[i] ? [] : [{ s, i, channel: channels[i]! }]));

  // Existing contacts, by phone, per workspace and mode.
  const contacts = new Map<string, ContactRow>();
  const byScope = new Map<string, ReturnType<typeof live>>();
  for (const entry of live()) {
    const group = byScope.get(scopeKey(entry.s));
    if (group) group.push(entry);
    else byScope.set(scopeKey(entry.s), [entry]);
  }
  for (const group of byScope.values()) {
    const { s } = group[0]!;
    const rows = await findContactsByPhones(
      tx.db,
      s.scope,
      group.map((entry) => entry.s.to),
    );
    for (const row of rows) contacts.set(`${scopeKey(s)}:${row.phone}`, row);
  }

  // Their conversations on these channels.
  const conversations = new Map<string, ConversationRow>();
  const known = live().flatMap(({ s, channel }) => {
    const contact = contacts.get(contactKey(s));
    return contact ? [{ channelId: channel.id, contactId: contact.id }] : [];
  });
  if (known.length > 0) {
    const channelIds = [...new Set(known.map((k) => k.channelId))];
    const contactIds = [...new Set(known.map((k) => k.contactId))];
    for (const row of await conversationsOfThreads(tx.db, channelIds, contactIds))
      conversations.set(threadKey(row.channel_id, row.contact_id), row);
  }

  // Refusals are decided on what is stored, before this batch writes anything for them.
  for (const { s, i, channel } of live()) {
    const contact = contacts.get(contactKey(s));
    const conversation = contact ? conversations.get(threadKey(channel.id, contact.id)) : undefined;
    const refusal = sendRefusal(s, contact, conversation, channel);
    if (refusal) results[i] = { ok: false, error: refusal };
  }

  // The templates the batch names, with one look-up per workspace and mode.
  const templates = new Map<string, TemplateRow | ApiError>();
  const refs = new Map<string, { scope: Scope; refs: TemplateRef[] }>();
  for (const { s } of live()) {
    if (s.input.type !== 'template') continue;
    const entry = refs.get(scopeKey(s));
    if (entry) entry.refs.push(s.input.template as TemplateRef);
    else refs.set(scopeKey(s), { scope: s.scope, refs: [s.input.template as TemplateRef] });
  }
  for (const [key, entry] of refs)
    for (const [ref, found] of await findTemplatesForSend(tx.db, entry.scope, entry.refs))
      templates.set(`${key}:${ref}`, found);

  // Each send's content (a template checked and rendered) and the conversation context it
  // leaves, in order: a send to a thread merges its variables and identifier into what the
  // thread had, or into what an earlier send of this batch left, as one-at-a-time writes do.
  // A send whose content fails is refused and leaves nothing.
  const contents: PreparedContent[] = [];
  const contexts = new Map<string, Pick<ConversationRow, 'dynamic_variables' | 'identifier'>>();
  for (const { s, i, channel } of live()) {
    const contact = contacts.get(contactKey(s));
    const key = `${channel.id}:${contactKey(s)}`;
    const before = contexts.get(key) ?? (contact && conversations.get(threadKey(channel.id, contact.id)));
    const context = before && !bringsContext(s.input) ? before : mergedContext(before ?? noContext, s.input);
    try {
      const ref = s.input.type === 'template' ? (s.input.template as TemplateRef) : undefined;
      const template = ref
        ? templates.get(`${scopeKey(s)}:${templateRefKey(ref.name, ref.language)}`)
        : undefined;
      if (template instanceof ApiError) throw template;
      contents[i] = contentOf(s.input, template, contact, context);
      contexts.set(key, context);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results[i] = { ok: false, error: err };
    }
  }
  const accepted = live();

  // First contact: the contacts, then the conversations, each with one insert and its events.
  const newContacts = new Map<string, { row: ContactRow; send: PreparedSend }>();
  const created: EmitInput[] = [];
  for (const { s } of accepted) {
    const key = contactKey(s);
    if (contacts.has(key) || newContacts.has(key)) continue;
    newContacts.set(key, {
      row: newContactRow(
        { ...s.scope, defaultCountry: s.sender.defaultCountry },
        { phone: s.to, email: null, name: null },
        s.now.toISOString(),
      ),
      send: s,
    });
  }
  if (newContacts.size > 0) {
    // In key order, so concurrent batches take the unique index's locks in the same order.
    const made = [...newContacts.values()].sort((a, b) => compare(a.row.phone!, b.row.phone!));
    for (const part of chunked(made)) {
      const inserted = await insertNewContactsByPhone(
        tx.db,
        part.map((m) => m.row),
      );
      if (inserted !== part.length) throw new BatchConflict('a contact was made concurrently');
    }
    for (const [key, m] of newContacts) contacts.set(key, m.row);
    created.push(
      ...made.map(({ row, send }) => ({
        workspaceId: send.scope.workspaceId,
        livemode: send.scope.livemode,
        type: 'contact.created' as const,
        actor: send.sender.actor,
        data: presentContact(row),
      })),
    );
  }
  // New threads carry the context their sends left; stored ones that got some are updated.
  const newThreads = new Map<string, { row: ConversationRow; contact: ContactRow; send: PreparedSend }>();
  const updatedContext = new Set<string>();
  for (const { s, channel } of accepted) {
    const contact = contacts.get(contactKey(s))!;
    const key = threadKey(channel.id, contact.id);
    const context = contexts.get(`${channel.id}:${contactKey(s)}`)!;
    const stored = conversations.get(key);
    if (stored) {
      if (!newThreads.has(key) && bringsContext(s.input)) updatedContext.add(key);
      conversations.set(key, {
        ...stored,
        dynamic_variables: context.dynamic_variables,
        identifier: context.identifier,
      });
      continue;
    }
    const row = newConversationRow(s.scope, {
      channel,
      contact,
      address: s.to,
      agentId: s.input.agent_id,
      now: s.now,
    });
    Object.assign(row, { dynamic_variables: context.dynamic_variables, identifier: context.identifier });
    newThreads.set(key, { row, contact, send: s });
    conversations.set(key, row);
  }
  for (const key of updatedContext) {
    const { id, dynamic_variables, identifier } = conversations.get(key)!;
    await patchConversation(tx.db, id, { dynamic_variables, identifier });
  }

  // The messages; a closed thread is started again by a new outbound message.
  const messages: Array<{ i: number; row: MessageRow }> = [];
  for (const { s, i, channel } of accepted) {
    const contact = contacts.get(contactKey(s))!;
    const key = threadKey(channel.id, contact.id);
    const conversation = await startAgainIfClosed(
      tx,
      conversations.get(key)!,
      s.sender.actor,
      s.now,
      'outbound_message',
    );
    conversations.set(key, conversation);
    messages.push({ i, row: newMessageRow(s, conversation, channel, contents[i]!) });
  }
  // Threads an AI agent wrote in are AI-handled; a person's reply answers a customer waiting
  // on a handoff (whichever message of the batch is the thread's last).
  const aiWrote = new Set(
    messages.filter(({ row }) => row.sender_type === 'ai').map(({ row }) => row.conversation_id),
  );
  const personWrote = new Set(
    messages.filter(({ row }) => isPerson(row.sender_type)).map(({ row }) => row.conversation_id),
  );
  // Each thread's last message (the batch's latest for that thread): new threads are stored
  // with theirs, existing ones updated below.
  const last = new Map(messages.map(({ row }) => [row.conversation_id, row]));
  const made = [...newThreads.values()].sort((a, b) =>
    compare(threadKey(a.row.channel_id, a.row.contact_id), threadKey(b.row.channel_id, b.row.contact_id)),
  );
  for (const m of made) {
    Object.assign(m.row, lastMessageOf(last.get(m.row.id)!));
    if (aiWrote.has(m.row.id)) m.row.ai_handled = 1;
    last.delete(m.row.id);
  }
  for (const part of chunked(made)) {
    const inserted = await insertNewConversations(
      tx.db,
      part.map((m) => m.row),
    );
    if (inserted !== part.length) throw new BatchConflict('a conversation was made concurrently');
  }
  // contact.created and conversation.created events, recorded with one insert.
  await tx.emitMany([
    ...created,
    ...made.map(({ row, contact, send }) => ({
      workspaceId: send.scope.workspaceId,
      livemode: send.scope.livemode,
      type: 'conversation.created' as const,
      actor: send.sender.actor,
      data: presentConversation(row, contact),
    })),
  ]);
  for (const part of chunked(messages)) {
    await insertRows(
      tx.db,
      'messages',
      part.map((m) => m.row),
    ).execute();
  }
  await setLastMessages(
    tx.db,
    [...last.values()].map((row) => ({
      conversationId: row.conversation_id,
      ...lastMessageOf(row),
      answered: personWrote.has(row.conversation_id),
      ai: aiWrote.has(row.conversation_id),
    })),
  );
  // One delivery job for the batch's messages.
  if (messages.length > 0)
    await ctx.queue.enqueue(tx.db, sendJob, { messageIds: messages.map((m) => m.row.id), attempt: 1 });
  for (const { i, row } of messages) results[i] = { ok: true, value: presentMessage(row) };
  return results.map((r) => r ?? { ok: false, error: new Error('send left without an outcome') });
}
