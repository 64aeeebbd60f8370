import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor } from '../../platform/events.ts';
import {
  lookupIn,
  placeholdersOf,
  placeholderValue,
  renderPlaceholders,
} from '../../platform/placeholders.ts';
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

/**
 * Fills `{{contact.name}}`, `{{contact.name|there}}`... (platform/placeholders.ts): an unknown or
 * missing value with no default becomes empty, and the spaces and comma it leaves are tidied.
 */
export function fillVariables(content: string, values: Record<string, string>): string {
  return renderPlaceholders(content, lookupIn(values));
}

/**
 * Variables that state a fact of the business ("we are at {{business.address}}"): sent empty they
 * leave a sentence with a hole ("at ()"), so a canned response that uses one not set is refused.
 * The others (the contact's name or phone, the sender's name) may be empty: they leave no gap.
 */
const REQUIRED = ['agent.name', 'business.address'];

/** The business variables `content` uses that are empty in `values`, in order of first use. */
export function missingVariables(content: string, values: Record<string, string>): string[] {
  const lookup = lookupIn(values);
  const used = placeholdersOf(content).filter((p) => !placeholderValue(lookup, p.key, p.fallback));
  return [...new Set(used.map((p) => p.key))].filter((name) => REQUIRED.includes(name));
}

/**
 * The text of canned response `cannedId` filled in for a conversation (404 when it is gone; 422
 * `unprocessable` naming each business variable it uses that is not set, nothing sent).
 */
export async function renderCanned(
  ctx: AppContext,
  scope: Scope,
  conversationId: string,
  cannedId: string,
  actor: Actor,
): Promise<string> {
  const canned = await getCannedRow(ctx.db, scope, cannedId);
  const values = await variablesFor(ctx, scope, conversationId, actor);
  const missing = missingVariables(canned.content, values);
  if (missing.length)
    throw new ApiError(
      'unprocessable',
      `Canned response ${canned.short_code} uses ${missing.map((m) => `{{${m}}}`).join(', ')}, not set for this conversation's agent: set it (PATCH /v1/agents/{id}) or edit the canned response; nothing was sent.`,
      { errors: missing.map((m) => ({ field: m, message: 'is not set for this conversation' })) },
    );
  return fillVariables(canned.content, values);
}
