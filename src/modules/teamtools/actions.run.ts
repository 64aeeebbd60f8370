import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor } from '../../platform/events.ts';
import {
  assignConversation,
  closeConversation,
  getConversation,
  handoffConversation,
  setConversationPriority,
  setConversationTags,
  snoozeConversation,
} from '../conversations/index.ts';
import { isAlreadyAnswered, replyToConversation, type Sender } from '../messaging/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import type { Action, ActionResult } from './actions.schemas.ts';
import { postJson } from './actions.webhook.ts';
import { renderCanned } from './canned.render.ts';

export interface RunContext {
  scope: Scope;
  conversationId: string;
  actor: Actor;
  /** The event that started an automation (sent with `webhook`). */
  event?: { id: string; type: string };
  /**
   * The customer message an automation on message.received answers: its send_canned and
   * send_template send nothing when that message was answered already (by the AI or a person).
   */
  answering?: string;
}

const guardOf = (run: RunContext) =>
  run.answering ? { answering: { messageId: run.answering, countAutomations: false } } : {};

export async function senderFor(ctx: AppContext, scope: Scope, actor: Actor): Promise<Sender> {
  const { defaultCountry, limits } = await workspaceTerms(ctx.db, scope.workspaceId);
  return { ...scope, defaultCountry, actor, limits };
}

async function retag(ctx: AppContext, run: RunContext, add: string[], remove: string[]) {
  const current = (await getConversation(ctx, run.scope, run.conversationId)).tags;
  const drop = new Set(remove.map((t) => t.trim().toLowerCase()));
  const next = [...current, ...add].filter((t) => !drop.has(t.trim().toLowerCase()));
  await setConversationTags(ctx, run.scope, run.conversationId, next, run.actor);
}

/** Runs one action on the conversation; throws what went wrong. */
export async function runAction(ctx: AppContext, run: RunContext, action: Action): Promise<void> {
  const { scope, conversationId: id, actor } = run;
  switch (action.type) {
    case 'assign_team':
      await assignConversation(ctx, scope, id, { type: 'team', id: action.team_id }, actor);
      return;
    case 'assign_user':
      await assignConversation(ctx, scope, id, { type: 'user', id: action.user_id }, actor);
      return;
    case 'add_tags':
      return retag(ctx, run, action.tags, []);
    case 'remove_tags':
      return retag(ctx, run, [], action.tags);
    case 'set_priority':
      await setConversationPriority(ctx, scope, id, action.priority, actor);
      return;
    case 'send_canned': {
      const text = await renderCanned(ctx, scope, id, action.canned_response_id, actor);
      await replyToConversation(ctx, await senderFor(ctx, scope, actor), id, { text, ...guardOf(run) });
      return;
    }
    case 'send_template':
      await replyToConversation(ctx, await senderFor(ctx, scope, actor), id, {
        template: action.template,
        ...guardOf(run),
      });
      return;
    case 'handoff':
      await handoffConversation(
        ctx,
        scope,
        id,
        {
          reason: action.reason ?? 'automation',
          ...(action.team_id ? { assignTo: { type: 'team' as const, id: action.team_id } } : {}),
        },
        actor,
      );
      return;
    case 'snooze': {
      const until = new Date(ctx.clock.now().getTime() + action.minutes * 60_000).toISOString();
      await snoozeConversation(ctx, scope, id, until, actor);
      return;
    }
    case 'close':
      await closeConversation(ctx, scope, id, actor);
      return;
    case 'add_note':
      await replyToConversation(ctx, await senderFor(ctx, scope, actor), id, {
        type: 'note',
        text: action.text,
      });
      return;
    case 'webhook': {
      const conversation = await getConversation(ctx, scope, id);
      const status = await postJson(
        action.url,
        { event: run.event ?? null, conversation },
        ctx.config.webhookAllowPrivate,
      );
      if (status < 200 || status >= 300) throw new Error(`the URL answered ${status}`);
      return;
    }
  }
}

/**
 * The result of one action: ok, skipped (a reply to a customer message answered already), or the
 * error it met (the other actions still run).
 */
export async function attempt(
  ctx: AppContext,
  run: RunContext,
  action: Action,
  index: number,
): Promise<ActionResult> {
  try {
    await runAction(ctx, run, action);
    return { index, type: action.type, status: 'ok' };
  } catch (err) {
    if (isAlreadyAnswered(err)) {
      ctx.logger.info(
        { conversationId: run.conversationId, action: action.type, messageId: run.answering },
        'automation reply skipped: the message was answered already',
      );
      return {
        index,
        type: action.type,
        status: 'skipped',
        error: { code: 'already_answered', message: err.message },
      };
    }
    const code = err instanceof ApiError ? err.code : 'action_failed';
    return { index, type: action.type, status: 'error', error: { code, message: (err as Error).message } };
  }
}
