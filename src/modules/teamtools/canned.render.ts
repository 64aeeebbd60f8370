import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import type { Actor } from '../../platform/events.ts';
import { getAgentRow, parseBusiness } from '../agents/index.ts';
import { getContactRow } from '../contacts/index.ts';
import { getConversationRow } from '../conversations/index.ts';
import { userName } from '../users/index.ts';
import { getCannedRow } from './canned.service.ts';

/** The values of a canned response's variables for one conversation, sent by `actor`. */
async function variablesFor(ctx: AppContext, scope: Scope, conversationId: string, actor: Actor) {
  const conversation = await getConversationRow(ctx.db, scope, conversationId);
  const contact = await getContactRow(ctx.db, scope, conversation.contact_id);
  const agent = conversation.agent_id
    ? await getAgentRow(ctx.db, scope, conversation.agent_id).catch(() => undefined)
    : undefined;
  const user = actor.type === 'user' && actor.id ? await userName(ctx.db, scope, actor.id) : null;
  return {
    'contact.name': contact.name ?? '',
    'contact.phone': contact.phone ?? '',
    'user.name': user ?? '',
    'agent.name': agent?.name ?? '',
    'business.address': agent ? (parseBusiness(agent).address ?? '') : '',
  } as Record<string, string>;
}

/** Fills `{{name}}` placeholders; an unknown or missing value becomes empty, spaces it leaves are tidied. */
export function fillVariables(content: string, values: Record<string, string>): string {
  return content
    .replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, name: string) => values[name] ?? '')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/ ([,.!?])/g, '$1')
    .trim();
}

/** The text of canned response `cannedId` filled in for a conversation (404 when it is gone). */
export async function renderCanned(
  ctx: AppContext,
  scope: Scope,
  conversationId: string,
  cannedId: string,
  actor: Actor,
): Promise<string> {
  const canned = await getCannedRow(ctx.db, scope, cannedId);
  return fillVariables(canned.content, await variablesFor(ctx, scope, conversationId, actor));
}
