import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { scopeOf } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import type { Actor, ActorType } from '../../platform/events.ts';
import { fromJson } from '../../platform/json.ts';
import { findTemplate, type Sender, sendMessage } from '../messaging/index.ts';
import { workspaceTerms } from '../workspaces/index.ts';
import { recipientVariables } from './variables.ts';

/**
 * Sending one approved template to one contact on behalf of a bulk send (a broadcast or a
 * WhatsApp campaign): both go through here, so both follow every rule of POST /v1/messages and
 * read a refusal the same way.
 */

/** Who a bulk send sends as: its workspace and mode, with the plan's limits, and its creator. */
export async function bulkSender(
  db: Db | Trx,
  owner: { workspace_id: string; livemode: number; actor_type: string; actor_id: string | null },
): Promise<Sender> {
  const { defaultCountry, limits } = await workspaceTerms(db, owner.workspace_id);
  return {
    ...scopeOf(owner),
    defaultCountry,
    actor: { type: owner.actor_type as ActorType, id: owner.actor_id } satisfies Actor,
    limits,
  };
}

/** The body of the template a bulk send names, undefined when it no longer exists. */
export async function bulkTemplateBody(
  db: Db | Trx,
  owner: { workspace_id: string; livemode: number },
  name: string,
  language: string,
): Promise<string | undefined> {
  return (await findTemplate(db, scopeOf(owner), name, language))?.body;
}

export interface TemplateSend {
  template: { name: string; language: string; body: string };
  /** The send's own variables; a contact's fill the rest ({{name}}, attributes). */
  variables: Record<string, string | number>;
  contact: { phone: string; name: string | null; email: string | null; attributes: string };
  from?: string | null;
  ignoreDnd?: boolean;
}

export type TemplateSendResult =
  | { kind: 'sent'; messageId: string }
  /** Over the plan's messages per hour: try this recipient again after the wait. */
  | { kind: 'retry'; afterMs: number }
  | { kind: 'skipped' | 'failed'; code: string; message: string };

/**
 * Sends it. A refusal by messaging (an ApiError) is a result; anything else is thrown, for the
 * caller to put its recipient back before passing the error on.
 */
export async function sendTemplate(
  ctx: AppContext,
  sender: Sender,
  send: TemplateSend,
): Promise<TemplateSendResult> {
  const { contact } = send;
  const vars = recipientVariables(send.template.body, send.variables, {
    name: contact.name,
    phone: contact.phone,
    email: contact.email,
    attributes: fromJson<Record<string, unknown>>(contact.attributes, {}),
  });
  if ('error' in vars)
    return { kind: 'failed', code: 'validation_failed', message: `Not sent: ${vars.error}.` };
  try {
    const message = await sendMessage(ctx, sender, {
      to: contact.phone,
      channel: 'whatsapp',
      type: 'template',
      template: { name: send.template.name, language: send.template.language, variables: vars.values },
      ...(send.from ? { from: send.from } : {}),
      business_initiated: true,
      ...(send.ignoreDnd ? { ignore_dnd: true } : {}),
    });
    return { kind: 'sent', messageId: message.id };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === 'rate_limited') {
      const seconds = Number(err.headers?.['Retry-After'] ?? 60);
      return { kind: 'retry', afterMs: (Number.isFinite(seconds) ? seconds : 60) * 1000 };
    }
    return {
      kind: err.code === 'contact_opted_out' ? 'skipped' : 'failed',
      code: err.code,
      message: err.message,
    };
  }
}
