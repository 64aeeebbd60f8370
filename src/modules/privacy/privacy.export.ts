import { Readable } from 'node:stream';
import type { AppContext } from '../../platform/context.ts';
import type { Auth } from '../../platform/http/route.ts';
import { listContactBookings } from '../bookings/index.ts';
import { getContactRow, presentContact } from '../contacts/index.ts';
import { listConversations } from '../conversations/index.ts';
import { listLeads } from '../leads/index.ts';
import { listConversationMessages } from '../messaging/index.ts';

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

/** The conversation's messages, oldest first, a page at a time (keyset on the id). */
async function* messagesOf({ ctx, scope }: Scoped, conversationId: string): AsyncGenerator<string> {
  let after: string | undefined;
  for (;;) {
    const page = await listConversationMessages(
      ctx,
      scope,
      conversationId,
      { page: 1, perPage: PAGE },
      { after },
    );
    for (const m of page.data) yield JSON.stringify(m);
    if (page.data.length < PAGE) return;
    after = page.data[page.data.length - 1]!.id;
  }
}

/** The JSON array of the contact's conversations, each with its messages, streamed as read. */
async function* conversationsOf(s: Scoped, contactId: string): AsyncGenerator<string> {
  yield '[';
  let first = true;
  for (let page = 1; ; page++) {
    const convs = await listConversations(s.ctx, s.scope, { contact_id: contactId }, { page, perPage: PAGE });
    for (const conv of convs.data) {
      yield `${first ? '' : ','}{"conversation":${JSON.stringify(conv)},"messages":`;
      first = false;
      yield* jsonArray(messagesOf(s, conv.id));
      yield '}';
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

/**
 * Everything held about a person as one JSON document, streamed: the contact, each conversation
 * with its messages, leads and bookings: read a page (100) at a time and written as read, so
 * only one page is held whatever the number of messages.
 */
export async function contactExport(ctx: AppContext, scope: Auth, contactId: string): Promise<Readable> {
  const contact = presentContact(await getContactRow(ctx.db, scope, contactId));
  const s = { ctx, scope };
  async function* parts() {
    yield `{"object":"contact_export","exported_at":${JSON.stringify(ctx.clock.now().toISOString())},"contact":${JSON.stringify(contact)},"conversations":`;
    yield* conversationsOf(s, contactId);
    yield ',"leads":';
    yield* jsonArray(leadsOf(s, contactId));
    yield `,"bookings":${JSON.stringify(await listContactBookings(ctx, scope, contactId))}}`;
  }
  return Readable.from(parts(), { objectMode: false });
}
