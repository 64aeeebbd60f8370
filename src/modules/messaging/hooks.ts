import type { Tx } from '../../platform/events.ts';
import type { ContactRow } from '../contacts/contacts.tables.ts';
import type { ConversationRow } from '../conversations/conversations.tables.ts';
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

type Listener<E> = (tx: Tx, e: E) => Promise<void>;

const inboundListeners: Array<Listener<InboundMessageEvent>> = [];
const templateListeners: Array<Listener<TemplateCreatedEvent>> = [];

/**
 * Called inside the transaction that stores each inbound customer message (the AI agent
 * enqueues its reply job here, so the reply exists if and only if the message does).
 * Listeners must not do network I/O. Duplicate registrations are ignored.
 */
export function onInboundMessage(listener: Listener<InboundMessageEvent>): void {
  if (!inboundListeners.includes(listener)) inboundListeners.push(listener);
}

/** Called inside the transaction that creates or edits a template (live mode: submit it for review from a job). */
export function onTemplateCreated(listener: Listener<TemplateCreatedEvent>): void {
  if (!templateListeners.includes(listener)) templateListeners.push(listener);
}

export async function runInboundHooks(tx: Tx, e: InboundMessageEvent): Promise<void> {
  for (const l of inboundListeners) await l(tx, e);
}

export async function runTemplateHooks(tx: Tx, e: TemplateCreatedEvent): Promise<void> {
  for (const l of templateListeners) await l(tx, e);
}
