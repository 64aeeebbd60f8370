import { Hook } from '../../platform/hooks.ts';
import type { ContactRow } from '../contacts/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import type { MessageRow, TemplateRow } from './messaging.tables.ts';

export interface InboundMessageEvent {
  workspaceId: string;
  livemode: boolean;
  conversation: ConversationRow;
  message: MessageRow;
  contact: ContactRow;
}

export interface TemplateCreatedEvent {
  workspaceId: string;
  livemode: boolean;
  template: TemplateRow;
}

/** Where other modules act inside messaging's transactions; one set per app (`ctx.modules.messaging.hooks`). */
export interface MessagingHooks {
  /**
   * Runs inside the transaction that stores each inbound customer message (the AI agent
   * enqueues its reply job here, so the reply exists if and only if the message does).
   */
  inboundMessage: Hook<InboundMessageEvent>;
  /** Runs inside the transaction that creates or edits a template (live mode: submit it for review from a job). */
  templateSaved: Hook<TemplateCreatedEvent>;
}

export function createMessagingHooks(): MessagingHooks {
  return { inboundMessage: new Hook(), templateSaved: new Hook() };
}
