import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { livemodeValue, type Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Tx } from '../../platform/events.ts';
import { GroupCommit, type GroupResult } from '../../platform/group-commit.ts';
import { settleAll } from '../../platform/settle.ts';
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
import { messageWrites } from './messages.insert.ts';
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
import { resolveUploads } from './send-content.ts';
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

type Context = Pick<ConversationRow, 'dynamic_variables' | 'identifier'>;
type NewThread = { row: ConversationRow; contact: ContactRow; send: PreparedSend };

/** What the steps of a batch share: each send's outcome so far, and the rows looked up or made. */
interface Batch {
  sends: PreparedSend[];
  results: Array<GroupResult<MessageObject> | undefined>;
  /** Each send's channel (sends refused at that step have none). */
  channels: Array<ChannelRow | undefined>;
  /** By `contactKey`. */
  contacts: Map<string, ContactRow>;
  /** By `threadKey`. */
  conversations: Map<string, ConversationRow>;
  contents: PreparedContent[];
  /** The context each send leaves its thread, by channel and `contactKey`. */
  contexts: Map<string, Context>;
}

/** The sends not refused so far, with their index and channel. */
const live = (b: Batch) =>
  b.sends.flatMap((s, i) => (b.results[i] ? [] : [{ s, i, channel: b.channels[i]! }]));
type LiveSend = ReturnType<typeof live>[number];

const contextKey = (channel: ChannelRow, s: PreparedSend) => `${channel.id}:${contactKey(s)}`;
const threadOf = (b: Batch, s: PreparedSend, channel: ChannelRow) =>
  threadKey(channel.id, b.contacts.get(contactKey(s))!.id);

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
  const b: Batch = {
    sends,
    results: new Array(sends.length),
    channels: [],
    contacts: new Map(),
    conversations: new Map(),
    contents: [],
    contexts: new Map(),
  };
  await resolveChannels(ctx, tx, b);
  // The look-ups of templates and contacts go out together (pipelined on PostgreSQL); the known
  // contacts' conversations after them (none on first contact).
  const templates = findTemplates(tx, b);
  await settleAll([templates, findContacts(tx, b)]);
  await findConversations(tx, b);
  // Refusals are decided on what is stored, before this batch writes anything for them.
  for (const { s, i, channel } of live(b)) {
    const contact = b.contacts.get(contactKey(s));
    const conversation = contact ? b.conversations.get(threadKey(channel.id, contact.id)) : undefined;
    const refusal = sendRefusal(s, contact, conversation, channel);
    if (refusal) b.results[i] = { ok: false, error: refusal };
  }
  prepareContents(b, await templates);
  await resolveBatchUploads(tx, b);
  const accepted = live(b);

  // First contact: the contacts, then the conversations, each with one insert and its events.
  const created = newContacts(b, accepted);
  const newThreads = await placeInThreads(tx, b, accepted);
  const messages = await messageRows(tx, b, accepted);
  const written = threadsWritten(messages);
  const made = newThreadRows(newThreads, written);
  // The writes do not wait for each other: on PostgreSQL they go out together (pipelined.ts), in
  // this order (the contacts before the conversations before the messages that refer to them),
  // and each is checked once all are back.
  const madeIds = new Set(made.map((m) => m.row.id));
  await settleAll(
    [
      ...chunked(created).map(async (part) => {
        const inserted = await insertNewContactsByPhone(
          tx.db,
          part.map((m) => m.row),
        );
        if (inserted !== part.length) throw new BatchConflict('a contact was made concurrently');
      }),
      ...chunked(made).map(async (part) => {
        const inserted = await insertNewConversations(
          tx.db,
          part.map((m) => m.row),
        );
        if (inserted !== part.length) throw new BatchConflict('a conversation was made concurrently');
      }),
      // contact.created and conversation.created events, recorded with one insert.
      tx.emitMany([
        ...created.map(({ row, send }) => ({
          workspaceId: send.scope.workspaceId,
          livemode: send.scope.livemode,
          type: 'contact.created' as const,
          actor: send.sender.actor,
          data: presentContact(row),
        })),
        ...made.map(({ row, contact, send }) => ({
          workspaceId: send.scope.workspaceId,
          livemode: send.scope.livemode,
          type: 'conversation.created' as const,
          actor: send.sender.actor,
          data: presentConversation(row, contact),
        })),
      ]),
      // The messages and their conversations' reporting facts (one update for the batch).
      ...messageWrites(
        tx.db,
        messages.map((m) => m.row),
      ),
      // New threads were stored with their last message; the others are updated.
      setLastMessages(
        tx.db,
        [...written.last.values()]
          .filter((row) => !madeIds.has(row.conversation_id))
          .map((row) => ({
            conversationId: row.conversation_id,
            ...lastMessageOf(row),
            answered: written.personWrote.has(row.conversation_id),
            ai: written.aiWrote.has(row.conversation_id),
          })),
      ),
      // One delivery job for the batch's messages.
      messages.length > 0
        ? ctx.queue.enqueue(tx.db, sendJob, { messageIds: messages.map((m) => m.row.id), attempt: 1 })
        : undefined,
    ],
    (err) => err instanceof BatchConflict,
  );
  for (const { i, row } of messages) b.results[i] = { ok: true, value: presentMessage(row) };
  return b.results.map((r) => r ?? { ok: false, error: new Error('send left without an outcome') });
}

/** The channel of each distinct (workspace, mode, type, from, agent); a send without one is refused. */
async function resolveChannels(ctx: AppContext, tx: Tx, b: Batch): Promise<void> {
  const channelByKey = new Map<string, ChannelRow | ApiError>();
  for (const [i, s] of b.sends.entries()) {
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
    if (channel instanceof ApiError) b.results[i] = { ok: false, error: channel };
    else b.channels[i] = channel;
  }
}

/** The live sends by workspace and mode. */
function byScope(b: Batch): LiveSend[][] {
  const groups = new Map<string, LiveSend[]>();
  for (const entry of live(b)) {
    const group = groups.get(scopeKey(entry.s));
    if (group) group.push(entry);
    else groups.set(scopeKey(entry.s), [entry]);
  }
  return [...groups.values()];
}

/** Existing contacts, by phone, with one look-up per workspace and mode. */
async function findContacts(tx: Tx, b: Batch): Promise<void> {
  const looked = byScope(b).map((group) => ({
    key: scopeKey(group[0]!.s),
    rows: findContactsByPhones(
      tx.db,
      group[0]!.s.scope,
      group.map((entry) => entry.s.to),
    ),
  }));
  await settleAll(looked.map((l) => l.rows));
  for (const { key, rows } of looked)
    for (const row of await rows) b.contacts.set(`${key}:${row.phone}`, row);
}

/** The known contacts' conversations on the sends' channels. */
async function findConversations(tx: Tx, b: Batch): Promise<void> {
  const known = live(b).flatMap(({ s, channel }) => {
    const contact = b.contacts.get(contactKey(s));
    return contact ? [{ channelId: channel.id, contactId: contact.id }] : [];
  });
  if (known.length === 0) return;
  const channelIds = [...new Set(known.map((k) => k.channelId))];
  const contactIds = [...new Set(known.map((k) => k.contactId))];
  for (const row of await conversationsOfThreads(tx.db, channelIds, contactIds))
    b.conversations.set(threadKey(row.channel_id, row.contact_id), row);
}

/** The templates the batch names, with one look-up per workspace and mode. */
async function findTemplates(tx: Tx, b: Batch): Promise<Map<string, TemplateRow | ApiError>> {
  const templates = new Map<string, TemplateRow | ApiError>();
  const refs = new Map<string, { scope: Scope; refs: TemplateRef[] }>();
  for (const { s } of live(b)) {
    if (s.input.type !== 'template') continue;
    const entry = refs.get(scopeKey(s));
    if (entry) entry.refs.push(s.input.template as TemplateRef);
    else refs.set(scopeKey(s), { scope: s.scope, refs: [s.input.template as TemplateRef] });
  }
  for (const [key, entry] of refs)
    for (const [ref, found] of await findTemplatesForSend(tx.db, entry.scope, entry.refs))
      templates.set(`${key}:${ref}`, found);
  return templates;
}

/**
 * Each send's content (a template checked and rendered) and the conversation context it
 * leaves, in order: a send to a thread merges its variables and identifier into what the
 * thread had, or into what an earlier send of this batch left, as one-at-a-time writes do.
 * A send whose content fails is refused and leaves nothing.
 */
function prepareContents(b: Batch, templates: Map<string, TemplateRow | ApiError>): void {
  for (const { s, i, channel } of live(b)) {
    const contact = b.contacts.get(contactKey(s));
    const key = contextKey(channel, s);
    const before = b.contexts.get(key) ?? (contact && b.conversations.get(threadKey(channel.id, contact.id)));
    const context = before && !bringsContext(s.input) ? before : mergedContext(before ?? noContext, s.input);
    try {
      const ref = s.input.type === 'template' ? (s.input.template as TemplateRef) : undefined;
      const template = ref
        ? templates.get(`${scopeKey(s)}:${templateRefKey(ref.name, ref.language)}`)
        : undefined;
      if (template instanceof ApiError) throw template;
      b.contents[i] = contentOf(s.input, template, contact, context);
      b.contexts.set(key, context);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      b.results[i] = { ok: false, error: err };
    }
  }
}

/** Uploaded files (`media_id`) the batch's sends name: each exists here and is of its send's kind. */
async function resolveBatchUploads(tx: Tx, b: Batch): Promise<void> {
  for (const { s, i } of live(b)) {
    const content = b.contents[i];
    if (!content || (!content.media?.media_id && !content.template?.header_media?.media_id)) continue;
    try {
      await resolveUploads(tx, s.scope, content);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      b.results[i] = { ok: false, error: err };
    }
  }
}

/**
 * The contacts of first contact, in key order (so concurrent batches take the unique index's
 * locks in the same order), taken as the batch's contacts; written by the caller.
 */
function newContacts(b: Batch, accepted: LiveSend[]): Array<{ row: ContactRow; send: PreparedSend }> {
  const found = new Map<string, { row: ContactRow; send: PreparedSend }>();
  for (const { s } of accepted) {
    const key = contactKey(s);
    if (b.contacts.has(key) || found.has(key)) continue;
    found.set(key, {
      row: newContactRow(
        { ...s.scope, defaultCountry: s.sender.defaultCountry },
        { phone: s.to, email: null, name: null },
        s.now.toISOString(),
      ),
      send: s,
    });
  }
  for (const [key, m] of found) b.contacts.set(key, m.row);
  return [...found.values()].sort((x, y) => compare(x.row.phone!, y.row.phone!));
}

/**
 * Each send's thread: new threads (returned, not stored yet) carry the context their sends
 * left; stored ones that got some are updated.
 */
async function placeInThreads(tx: Tx, b: Batch, accepted: LiveSend[]): Promise<Map<string, NewThread>> {
  const newThreads = new Map<string, NewThread>();
  const updatedContext = new Set<string>();
  for (const { s, channel } of accepted) {
    const contact = b.contacts.get(contactKey(s))!;
    const key = threadKey(channel.id, contact.id);
    const context = b.contexts.get(contextKey(channel, s))!;
    const stored = b.conversations.get(key);
    if (stored) {
      if (!newThreads.has(key) && bringsContext(s.input)) updatedContext.add(key);
      b.conversations.set(key, {
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
    b.conversations.set(key, row);
  }
  for (const key of updatedContext) {
    const { id, dynamic_variables, identifier } = b.conversations.get(key)!;
    await patchConversation(tx.db, id, { dynamic_variables, identifier });
  }
  return newThreads;
}

/** The messages' rows, in the batch's order; a closed thread is started again by a new outbound message. */
async function messageRows(
  tx: Tx,
  b: Batch,
  accepted: LiveSend[],
): Promise<Array<{ i: number; row: MessageRow }>> {
  const messages: Array<{ i: number; row: MessageRow }> = [];
  for (const { s, i, channel } of accepted) {
    const key = threadOf(b, s, channel);
    const conversation = await startAgainIfClosed(
      tx,
      b.conversations.get(key)!,
      s.sender.actor,
      s.now,
      'outbound_message',
    );
    b.conversations.set(key, conversation);
    messages.push({ i, row: newMessageRow(s, conversation, channel, b.contents[i]!) });
  }
  return messages;
}

/**
 * What the batch wrote in each thread: its last message (the batch's latest for that thread),
 * and whether an AI agent wrote there (the thread is AI-handled) or a person did (a reply answers
 * a customer waiting on a handoff).
 */
function threadsWritten(messages: Array<{ row: MessageRow }>) {
  return {
    last: new Map(messages.map(({ row }) => [row.conversation_id, row])),
    aiWrote: new Set(
      messages.filter(({ row }) => row.sender_type === 'ai').map(({ row }) => row.conversation_id),
    ),
    personWrote: new Set(
      messages.filter(({ row }) => isPerson(row.sender_type)).map(({ row }) => row.conversation_id),
    ),
  };
}

/** The new threads in key order, each with its last message; written by the caller. */
function newThreadRows(
  newThreads: Map<string, NewThread>,
  written: ReturnType<typeof threadsWritten>,
): NewThread[] {
  const made = [...newThreads.values()].sort((a, b) =>
    compare(threadKey(a.row.channel_id, a.row.contact_id), threadKey(b.row.channel_id, b.row.contact_id)),
  );
  for (const m of made) {
    Object.assign(m.row, lastMessageOf(written.last.get(m.row.id)!));
    if (written.aiWrote.has(m.row.id)) m.row.ai_handled = 1;
  }
  return made;
}
