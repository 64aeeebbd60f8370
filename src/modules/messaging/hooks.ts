import type { Tx } from '../../platform/events.ts';
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

/** A customer's text to a conversation that is not active, before it would reopen it. */
export interface InboundAnswerEvent {
  workspaceId: string;
  livemode: boolean;
  conversation: ConversationRow;
  text: string;
  contact: ContactRow;
}

/** A provider moved a template to another category (Meta's `template_category_update`). */
export interface TemplateCategoryChangedEvent {
  workspaceId: string;
  livemode: boolean;
  template: TemplateRow;
  previous: TemplateRow['category'];
}

/** Where other modules act inside messaging's transactions; one set per app (`ctx.modules.messaging.hooks`). */
export interface MessagingHooks {
  /**
   * Runs inside the transaction that stores each inbound customer message (the AI agent
   * enqueues its reply job here, so the reply exists if and only if the message does).
   */
  inboundMessage: Hook<InboundMessageEvent>;
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /**
     * Asked before a customer's text reopens a closed or snoozed conversation: true when the module
     * above took it as an answer (the CSAT answer, provided by teamtools) and recorded it; the
     * message is stored but the conversation stays as it is, nobody starts waiting and the AI does
     * not answer (`inboundMessage` does not run).
     */
    claimAnswer: (tx: Tx, e: InboundAnswerEvent) => Promise<boolean>;
    /**
     * Runs inside the transaction that records a provider's category change of a template
     * (provided by broadcasts: scheduled broadcasts of a template that turned marketing are flagged).
     */
    templateCategoryChanged: (tx: Tx, e: TemplateCategoryChangedEvent) => Promise<void>;
  }
}

export function createMessagingHooks(): MessagingHooks {
  return {
    inboundMessage: new Hook(),
  };
}
