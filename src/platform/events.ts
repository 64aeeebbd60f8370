import { chunked } from './chunked.ts';
import type { Trx } from './db/database.ts';
import { insertRows } from './db/rows.ts';
import type { EventsTable } from './db/schema.ts';
import { newId } from './ids.ts';
import { toJson } from './json.ts';
import { settleAll } from './settle.ts';

/**
 * Every event type Parley emits. Webhook subscriptions are checked against this list, and the
 * docs list it. A module adding an event adds it here.
 */
export const eventTypes = [
  'message.received',
  'message.sent',
  'message.delivered',
  'message.read',
  'message.failed',
  'message.edited',
  'message.deleted',
  'message.note_added',
  'conversation.created',
  'conversation.assigned',
  'conversation.escalated',
  'conversation.handoff_resolved',
  'conversation.resolved',
  'conversation.reopened',
  'conversation.snoozed',
  'conversation.tagged',
  'conversation.handoff_timeout',
  'sla.breached',
  'csat.received',
  'conversation.analyzed',
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'contact.merged',
  'contact.erased',
  'lead.captured',
  'lead.qualified',
  'lead.updated',
  'booking.created',
  'booking.cancelled',
  'booking.rescheduled',
  'broadcast.completed',
  'import.completed',
  'call.started',
  'call.answered',
  'call.completed',
  'call.failed',
  'call.analyzed',
  'campaign.completed',
  'knowledge.indexed',
  'tool.called',
  'tool.failed',
  'template.status_updated',
  'payment.captured',
  'payment.failed',
  'webhook.test',
  'webhook_endpoint.disabled',
] as const;
export type EventType = (typeof eventTypes)[number];

/** `rule`: a team's assignment rule or a handoff/SLA timer (its id names the team or policy). */
export type ActorType = 'api_key' | 'user' | 'ai' | 'customer' | 'system' | 'rule' | 'automation';
export interface Actor {
  type: ActorType;
  id: string | null;
}

/** The event as integrators receive it (webhooks, the stream, `GET /v1/events`). */
export interface ParleyEvent {
  id: string;
  event: EventType;
  timestamp: string;
  api_version: 'v1';
  workspace_id: string;
  livemode: boolean;
  actor: Actor;
  data: Record<string, unknown>;
}

/** A unit of work in one transaction, with hooks that run only after it commits. */
export interface Tx {
  db: Trx;
  afterCommit(fn: () => void | Promise<void>): void;
  /** Records an event in this transaction. */
  emit(input: EmitInput): Promise<ParleyEvent>;
  /** Records several events with one insert (the batch paths). */
  emitMany(inputs: EmitInput[]): Promise<ParleyEvent[]>;
}

export interface EmitInput {
  workspaceId: string;
  livemode: boolean;
  type: EventType;
  actor: Actor;
  /** The object's current state, so receivers can order events by it. */
  data: Record<string, unknown> & { id?: string; object?: string };
}

/** The events as integrators receive them (not stored yet: `writeEvents`). */
export function newEvents(inputs: EmitInput[], now: Date): ParleyEvent[] {
  const timestamp = now.toISOString();
  return inputs.map((input) => ({
    id: newId('evt'),
    event: input.type,
    timestamp,
    api_version: 'v1',
    workspace_id: input.workspaceId,
    livemode: input.livemode,
    actor: input.actor,
    data: input.data,
  }));
}

/** Stores events with one multi-row insert per 500; each insert is issued before this returns. */
export async function writeEvents(trx: Trx, events: ParleyEvent[]): Promise<void> {
  const inserts = chunked(events).map((part) =>
    insertRows(
      trx,
      'events',
      part.map((event) => ({
        id: event.id,
        workspace_id: event.workspace_id,
        livemode: event.livemode ? 1 : 0,
        type: event.event,
        actor_type: event.actor.type,
        actor_id: event.actor.id,
        object_type: typeof event.data.object === 'string' ? event.data.object : null,
        object_id: typeof event.data.id === 'string' ? event.data.id : null,
        data: toJson(event.data),
        created_at: event.timestamp,
      })),
    ).execute(),
  );
  await settleAll(inserts);
}

export function eventFromRow(row: Omit<EventsTable, 'object_type' | 'object_id'>): ParleyEvent {
  return {
    id: row.id,
    event: row.type as EventType,
    timestamp: row.created_at,
    api_version: 'v1',
    workspace_id: row.workspace_id,
    livemode: row.livemode === 1,
    actor: { type: row.actor_type as ActorType, id: row.actor_id },
    data: JSON.parse(row.data),
  };
}

export const eventChannel = (workspaceId: string, livemode: boolean) =>
  `events:${workspaceId}:${livemode ? 'live' : 'test'}`;

/**
 * A live notice on the event stream that is no event: never stored, never sent to webhooks,
 * written without an `id:` line (a resume with `Last-Event-ID` neither counts nor replays it).
 * `conversation.typing`: a website visitor is typing (`{conversation_id, typing}`).
 */
export interface LiveNotice {
  id: '';
  object: 'notice';
  event: 'conversation.typing';
  timestamp: string;
  workspace_id: string;
  livemode: boolean;
  data: Record<string, unknown>;
}

export function liveNotice(
  workspaceId: string,
  livemode: boolean,
  event: LiveNotice['event'],
  data: Record<string, unknown>,
): LiveNotice {
  return {
    id: '',
    object: 'notice',
    event,
    timestamp: new Date().toISOString(),
    workspace_id: workspaceId,
    livemode,
    data,
  };
}
