import type { ParleyEvent, Tx } from '../../platform/events.ts';
import type { ContactRow } from '../contacts/index.ts';
import type { ConversationRow } from '../conversations/index.ts';
import type { TemplateRow } from './messaging.tables.ts';

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

declare module '../../platform/ports.ts' {
  interface Ports {
    /**
     * Asked before a customer's text reopens a closed or snoozed conversation: true when the module
     * above took it as an answer (the CSAT answer, provided by teamtools) and recorded it; the
     * message is stored but the conversation stays as it is, nobody starts waiting, no
     * `message.received` is emitted and so the AI does not answer.
     */
    claimAnswer: (tx: Tx, e: InboundAnswerEvent) => Promise<boolean>;
    /**
     * Runs inside the transaction that records a provider's category change of a template
     * (provided by broadcasts: scheduled broadcasts of a template that turned marketing are flagged).
     */
    templateCategoryChanged: (tx: Tx, e: TemplateCategoryChangedEvent) => Promise<void>;
  }
}

/** A customer's message that others may answer (the AI) or read as an answer (a CSAT score). */
export interface CustomerMessage {
  workspaceId: string;
  livemode: boolean;
  messageId: string;
  conversationId: string;
  contactId: string;
  text: string | null;
}

/**
 * The customer message a `message.received` event carries, when it is one to answer: a message
 * the customer wrote in a thread. Not a notice from the provider (a WhatsApp number change), not
 * a deletion or an edit of a message Parley never saw (kept, but nothing to answer), not a line of
 * a call's transcript (the voice agent answers those as the call goes). Messaging's own rule, read
 * by the reactions of the modules above (the AI's reply, the CSAT answer).
 */
export function customerMessageOf(e: ParleyEvent): CustomerMessage | undefined {
  if (e.event !== 'message.received') return undefined;
  const d = e.data as {
    id?: unknown;
    conversation_id?: unknown;
    sender?: { type?: unknown; id?: unknown };
    type?: unknown;
    text?: unknown;
    interactive?: { edit_of?: unknown } | null;
    call_id?: unknown;
  };
  if (d.sender?.type !== 'customer' || typeof d.sender.id !== 'string') return undefined;
  if (typeof d.id !== 'string' || typeof d.conversation_id !== 'string') return undefined;
  if (d.call_id !== undefined || d.type === 'system' || d.type === 'revoke' || d.interactive?.edit_of)
    return undefined;
  return {
    workspaceId: e.workspace_id,
    livemode: e.livemode,
    messageId: d.id,
    conversationId: d.conversation_id,
    contactId: d.sender.id,
    text: typeof d.text === 'string' ? d.text : null,
  };
}
