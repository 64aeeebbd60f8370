import { sql } from 'kysely';
import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import { livemodeValue } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { EmitInput, Tx } from '../../platform/events.ts';
import { GroupCommit, type GroupResult } from '../../platform/group-commit.ts';
import type { ChannelRow } from '../channels/index.ts';
import type { ContactRow } from '../contacts/index.ts';
import { findContactsByPhones, newContactRow, presentContact } from '../contacts/index.ts';
import { type ConversationRow, newConversationRow, presentConversation } from '../conversations/index.ts';
import { sendJob } from './messaging.jobs.ts';
import {
  isPerson,
  lastMessageOf,
  type MessageObject,
  newMessageRow,
  type PreparedSend,
  prepareContent,
  presentMessage,
  resolveChannel,
  type SendWriter,
  sendRefusal,
  startAgainIfClosed,
  writeSend,
} from './messaging.service.ts';
import type { MessageRow } from './messaging.tables.ts';

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

async function writeBatch(ctx: AppContext, sends: PreparedSend[]): Promise<GroupResult<MessageObject>[]> {
  try {
    return await ctx.transaction((tx) => writeInTx(ctx, tx, sends));
  } catch (err) {
    // A concurrent writer made one of the rows first, or the batch failed as a whole: each send
    // is written again on its own, so one send's trouble is its own (and a conflict resolves).
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

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const scopeKey = (s: PreparedSend) => `${s.scope.workspaceId}:${livemodeValue(s.scope)}`;
const contactKey = (s: PreparedSend) => `${scopeKey(s)}:${s.to}`;
const threadKey = (channelId: string, contactId: string) => `${channelId}:${contactId}`;

/**
 * The batch in one transaction: the same rules as `writeSend` (channel resolution, contact and
 * conversation made on first contact, a closed thread reopened, opt-out, do-not-disturb and the
 * 24-hour window checked before anything is written for that send), set-wise.
 */
async function writeInTx(
  ctx: AppContext,
  tx: Tx,
  sends: PreparedSend[],
): Promise<GroupResult<MessageObject>[]> {
  const results: Array<GroupResult<MessageObject> | undefined> = new Array(sends.length);

  // The channel of each distinct (workspace, mode, type, from).
  const channelByKey = new Map<string, ChannelRow | ApiError>();
  const channels: Array<ChannelRow | undefined> = [];
  for (const [i, s] of sends.entries()) {
    const key = `${scopeKey(s)}:${s.type}:${s.input.from ?? ''}`;
    let channel = channelByKey.get(key);
    if (!channel) {
      try {
        channel = await resolveChannel(ctx, tx, s.scope, s.type, s.input.from, undefined);
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
    for (const contactIds of chunked([...new Set(known.map((k) => k.contactId))])) {
      const rows = await tx.db
        .selectFrom('conversations')
        .selectAll()
        .where('channel_id', 'in', channelIds)
        .where('contact_id', 'in', contactIds)
        .execute();
      for (const row of rows) conversations.set(threadKey(row.channel_id, row.contact_id), row);
    }
  }

  // Refusals are decided on what is stored, before this batch writes anything for them.
  for (const { s, i, channel } of live()) {
    const contact = contacts.get(contactKey(s));
    const conversation = contact ? conversations.get(threadKey(channel.id, contact.id)) : undefined;
    const refusal = sendRefusal(s, contact, conversation, channel);
    if (refusal) results[i] = { ok: false, error: refusal };
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
      const inserted = await tx.db
        .insertInto('contacts')
        .values(part.map((m) => m.row))
        .onConflict((oc) => oc.columns(['workspace_id', 'livemode', 'phone']).doNothing())
        .returning('id')
        .execute();
      if (inserted.length !== part.length) throw new BatchConflict('a contact was made concurrently');
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
  const newThreads = new Map<string, { row: ConversationRow; contact: ContactRow; send: PreparedSend }>();
  for (const { s, channel } of accepted) {
    const contact = contacts.get(contactKey(s))!;
    const key = threadKey(channel.id, contact.id);
    if (conversations.has(key) || newThreads.has(key)) continue;
    newThreads.set(key, {
      row: newConversationRow(s.scope, { channel, contact, address: s.to, now: s.now }),
      contact,
      send: s,
    });
  }
  for (const [key, m] of newThreads) conversations.set(key, m.row);

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
    const content = await prepareContent(tx, s.scope, s.input, contact, conversation);
    messages.push({ i, row: newMessageRow(s, conversation, channel, content) });
  }
  // Each thread's last message (the batch's latest for that thread): new threads are stored
  // with theirs, existing ones updated below.
  const last = new Map(messages.map(({ row }) => [row.conversation_id, row]));
  const made = [...newThreads.values()].sort((a, b) =>
    compare(threadKey(a.row.channel_id, a.row.contact_id), threadKey(b.row.channel_id, b.row.contact_id)),
  );
  for (const m of made) {
    Object.assign(m.row, lastMessageOf(last.get(m.row.id)!));
    last.delete(m.row.id);
  }
  for (const part of chunked(made)) {
    const inserted = await tx.db
      .insertInto('conversations')
      .values(part.map((m) => m.row))
      .onConflict((oc) => oc.columns(['channel_id', 'contact_id']).doNothing())
      .returning('id')
      .execute();
    if (inserted.length !== part.length) throw new BatchConflict('a conversation was made concurrently');
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
    await tx.db
      .insertInto('messages')
      .values(part.map((m) => m.row))
      .execute();
  }
  for (const part of chunked([...last.values()])) {
    const when = (field: keyof ReturnType<typeof lastMessageOf>) =>
      sql<string>`case id ${sql.join(
        part.map((row) => sql`when ${row.conversation_id} then ${lastMessageOf(row)[field]}`),
        sql` `,
      )} end`;
    await tx.db
      .updateTable('conversations')
      .set({
        last_message: when('last_message'),
        last_message_at: when('last_message_at'),
        last_message_sender: when('last_message_sender'),
        updated_at: when('updated_at'),
        // A person's reply answers a customer waiting on a handoff.
        waiting_since: sql<string | null>`case id ${sql.join(
          part.map((row) =>
            isPerson(row.sender_type)
              ? sql`when ${row.conversation_id} then null`
              : sql`when ${row.conversation_id} then waiting_since`,
          ),
          sql` `,
        )} end`,
      })
      .where(
        'id',
        'in',
        part.map((row) => row.conversation_id),
      )
      .execute();
  }
  // One delivery job for the batch's messages.
  if (messages.length > 0)
    await ctx.queue.enqueue(tx.db, sendJob, { messageIds: messages.map((m) => m.row.id), attempt: 1 });
  for (const { i, row } of messages) results[i] = { ok: true, value: presentMessage(row) };
  return results.map((r) => r ?? { ok: false, error: new Error('send left without an outcome') });
}
