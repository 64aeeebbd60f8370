import { Readable } from 'node:stream';
import type { AppContext } from '../../platform/context.ts';
import type { Auth } from '../../platform/http/route.ts';
import { type ZipEntry, zipStream } from '../../platform/zip.ts';
import { listContactBookings } from '../bookings/index.ts';
import { consentsOf, getContactRow, presentContact } from '../contacts/index.ts';
import { conversationIdsOfContact, listConversations } from '../conversations/index.ts';
import { listLeads } from '../leads/index.ts';
import { attachmentsOfConversations, messagesAfter } from '../messaging/index.ts';
import { listCsatAnswers } from '../teamtools/index.ts';
import { toolCallsOf } from '../tools/index.ts';
import { callIdsOfContact, getCallRow, presentCall } from '../voice/index.ts';

const PAGE = 100;

type Scoped = { ctx: AppContext; scope: Auth };

/** A JSON array of what `items` yields (each already JSON), commas between, as it comes. */
async function* jsonArray(items: AsyncIterable<string>): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for await (const item of items) {
    yield first ? item : `,${item}`;
    first = false;
  }
  yield ']';
}

/** The conversation's messages, oldest first, a page at a time (keyset on the id, no counting). */
async function* messagesOf({ ctx, scope }: Scoped, conversationId: string): AsyncGenerator<string> {
  let after = '';
  for (;;) {
    const page = await messagesAfter(ctx, scope, conversationId, after, PAGE);
    for (const m of page) yield JSON.stringify(m);
    if (page.length < PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

/** The JSON array of the contact's conversations, each with its messages and tool calls, streamed as read. */
async function* conversationsOf(s: Scoped, contactId: string): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for (let page = 1; ; page++) {
    const convs = await listConversations(s.ctx, s.scope, { contact_id: contactId }, { page, perPage: PAGE });
    for (const conv of convs.data) {
      yield `${first ? '' : ','}{"conversation":${JSON.stringify(conv)},"messages":`;
      first = false;
      yield* jsonArray(messagesOf(s, conv.id));
      yield `,"tool_calls":${JSON.stringify(await toolCallsOf(s.ctx.db, s.scope, conv.id))}}`;
    }
    if (page >= convs.meta.total_pages) break;
  }
  yield ']';
}

async function* leadsOf({ ctx, scope }: Scoped, contactId: string): AsyncGenerator<string> {
  for (let page = 1; ; page++) {
    const leads = await listLeads(ctx, scope, { contact_id: contactId }, { page, perPage: PAGE });
    for (const l of leads.data) yield JSON.stringify(l);
    if (page >= leads.meta.total_pages) return;
  }
}

/** Their calls, each with its transcript; a recording is a reference (`GET /v1/calls/{id}/recording`). */
async function* callsOf({ ctx, scope }: Scoped, contactId: string): AsyncGenerator<string> {
  const ids = await callIdsOfContact(
    ctx,
    scope,
    contactId,
    await conversationIdsOfContact(ctx, scope, contactId),
  );
  for (const id of ids) {
    const call = presentCall(await getCallRow(ctx.db, scope, id));
    yield JSON.stringify({ ...call, recording: call.recording_url ? `/v1/calls/${id}/recording` : null });
  }
}

async function* csatOf({ ctx, scope }: Scoped, contactId: string): AsyncGenerator<string> {
  for (let page = 1; ; page++) {
    const answers = await listCsatAnswers(ctx, scope, { contact_id: contactId }, { page, perPage: PAGE });
    for (const a of answers.data) yield JSON.stringify(a);
    if (page >= answers.meta.total_pages) return;
  }
}

/** The export document's parts, in order, as they are read. */
async function* documentOf(ctx: AppContext, scope: Auth, contactId: string, files: boolean) {
  const contact = presentContact(await getContactRow(ctx.db, scope, contactId));
  const s = { ctx, scope };
  yield `{"object":"contact_export","exported_at":${JSON.stringify(ctx.clock.now().toISOString())},"files":${files},"contact":${JSON.stringify(contact)},"consents":${JSON.stringify(await consentsOf(ctx.db, scope, contactId))},"conversations":`;
  yield* conversationsOf(s, contactId);
  yield ',"calls":';
  yield* jsonArray(callsOf(s, contactId));
  yield ',"csat_answers":';
  yield* jsonArray(csatOf(s, contactId));
  yield ',"leads":';
  yield* jsonArray(leadsOf(s, contactId));
  yield `,"bookings":${JSON.stringify(await listContactBookings(ctx, scope, contactId))}}`;
}

/**
 * Everything held about a person as one JSON document, streamed: the contact, their consents,
 * each conversation with its messages and tool calls, their calls (transcripts, recording
 * references), CSAT answers, leads and bookings: read a page (100) at a time and written as
 * read, so only one page is held whatever the number of messages.
 */
export async function contactExport(ctx: AppContext, scope: Auth, contactId: string): Promise<Readable> {
  await getContactRow(ctx.db, scope, contactId); // a 404 before the answer starts
  return Readable.from(documentOf(ctx, scope, contactId, false), { objectMode: false });
}

/** A file name safe in any archive tool: no path, no control characters. */
const safeName = (name: string | null) =>
  (name ?? 'file')
    .replace(/[/\\:*?"<>|\p{Cc}]/gu, '_')
    .replace(/^\.+/, '_')
    .slice(0, 100) || 'file';

/**
 * The same document as `export.json` in a zip, followed by every file Parley kept of their
 * messages as `files/<message id>/<attachment id>-<name>`; streamed entry by entry.
 */
export async function contactExportZip(ctx: AppContext, scope: Auth, contactId: string): Promise<Readable> {
  await getContactRow(ctx.db, scope, contactId);
  async function* entries(): AsyncGenerator<ZipEntry> {
    yield { name: 'export.json', data: documentOf(ctx, scope, contactId, true) };
    const conversationIds = await conversationIdsOfContact(ctx, scope, contactId);
    for await (const a of attachmentsOfConversations(ctx, scope, conversationIds))
      yield { name: `files/${a.message_id}/${a.id}-${safeName(a.filename)}`, data: a.content };
  }
  return Readable.from(zipStream(entries()), { objectMode: false });
}
