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

/**
 * A hook whose listeners may claim the event: the first that answers true takes it and the rest
 * are not asked. Listeners run inside the caller's transaction and must not do network I/O.
 */
export class ClaimHook<E> {
  readonly #listeners: Array<(tx: Tx, event: E) => Promise<boolean>> = [];

  add(listener: (tx: Tx, event: E) => Promise<boolean>): void {
    if (!this.#listeners.includes(listener)) this.#listeners.push(listener);
  }

  async claim(tx: Tx, event: E): Promise<boolean> {
    for (const listener of this.#listeners) if (await listener(tx, event)) return true;
    return false;
  }
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
  /**
   * Asked before a customer's text reopens a closed or snoozed conversation: a listener that
   * claims it (the CSAT answer) has recorded it; the message is stored but the conversation stays
   * as it is, nobody starts waiting and the AI does not answer (`inboundMessage` does not run).
   */
  inboundAnswer: ClaimHook<InboundAnswerEvent>;
  /** Runs inside the transaction that records a provider's category change of a template. */
  templateCategoryChanged: Hook<TemplateCategoryChangedEvent>;
}

export function createMessagingHooks(): MessagingHooks {
  return {
    inboundMessage: new Hook(),
    inboundAnswer: new ClaimHook(),
    templateCategoryChanged: new Hook(),
  };
}
