/**
 * What a person whose role sees only some conversations is answered, past every route: lists,
 * search and reads of conversations narrow themselves in SQL (the conversations module's
 * `limitToView`); this guard catches every other answer that names a conversation (a message, an
 * event, a call, a CSAT answer, a report's drill-down, a CSV row...). The conversations module
 * says which of the named conversations the person sees (the `conversationsVisible` port).
 */
import type { AppContext } from '../context.ts';
import type { Db, Trx } from '../db/database.ts';
import type { Scope } from '../db/scope.ts';
import { notFound } from '../errors.ts';
import type { Auth } from './route.ts';

declare module '../ports.ts' {
  interface Ports {
    /** Of `ids`, the conversations the scope's person may see. Provided by the conversations module. */
    conversationsVisible: (db: Db | Trx, scope: Scope, ids: readonly string[]) => Promise<Set<string>>;
  }
}

const CONVERSATION_ID = /conv_[0-9A-HJKMNP-TV-Z]{26}/g;

/** Whether the caller's role limits the conversations it sees. */
export const limitsConversations = (auth: Auth | undefined): auth is Auth =>
  Boolean(auth?.view && auth.view.visibility !== 'all');

/** The conversations named in a text that the caller may not see. */
export async function hiddenConversationIds(ctx: AppContext, auth: Auth, text: string): Promise<Set<string>> {
  const named = [...new Set(text.match(CONVERSATION_ID) ?? [])];
  if (!named.length) return new Set();
  const port = ctx.ports.conversationsVisible;
  // Without the conversations module no conversation can be told apart: none is shown.
  const visible = port ? await port(ctx.db, auth, named) : new Set<string>();
  return new Set(named.filter((id) => !visible.has(id)));
}

const names = (text: string, hidden: Set<string>) =>
  (text.match(CONVERSATION_ID) ?? []).some((id) => hidden.has(id));

/**
 * The body without what names a hidden conversation: a list loses those items, a text (a CSV)
 * those lines; an object that names one is not found, as another workspace's is not.
 */
export async function withoutHiddenConversations(
  ctx: AppContext,
  auth: Auth,
  body: unknown,
  path: string,
): Promise<unknown> {
  const isText = typeof body === 'string' || Buffer.isBuffer(body);
  if (
    !isText &&
    (body === null || typeof body !== 'object' || typeof (body as { pipe?: unknown }).pipe === 'function')
  )
    return body;
  const text = isText ? String(body) : JSON.stringify(body);
  const hidden = await hiddenConversationIds(ctx, auth, text);
  if (!hidden.size) return body;
  if (isText) {
    const kept = text
      .split('\n')
      .filter((line) => !names(line, hidden))
      .join('\n');
    return Buffer.isBuffer(body) ? Buffer.from(kept) : kept;
  }
  const list = body as { data?: unknown };
  if (Array.isArray(list.data)) {
    const data = list.data.filter((item) => !names(JSON.stringify(item), hidden));
    if (!names(JSON.stringify({ ...list, data }), hidden)) return { ...list, data };
  }
  throw notFound('object', path.split('?')[0]);
}
