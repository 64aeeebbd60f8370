import { lookupIn, renderPlaceholders } from '../../platform/placeholders.ts';
import type { AgentConfig } from '../agents/index.ts';
import type { SearchHit } from '../knowledge/index.ts';
import type { Tool, ToolOutcome } from '../tools/index.ts';
import type { ContactDetails } from './booking-contact.ts';
import type { DialogueState } from './dialogue.ts';

/**
 * The seam between a reply engine (the built-in rules or an LLM) and the world. The engine only
 * sees the conversation and a fixed set of tools; the reply loop gives tools that write (leads,
 * bookings, handoffs), the playground gives tools that only describe what would happen.
 */
export interface Turn {
  role: 'customer' | 'agent';
  text: string;
}

export interface Slot {
  /** ISO 8601 UTC. */
  start_at: string;
  end_at: string;
}

export interface AgentTools {
  searchKnowledge(query: string, topK: number): Promise<SearchHit[]>;
  captureLead(input: {
    name?: string;
    email?: string;
    phone?: string;
    intent?: string;
  }): Promise<{ id: string | null }>;
  /** Free slots on a date (YYYY-MM-DD, business timezone) for a service. */
  checkAvailability(date: string, serviceId: string | null): Promise<Slot[]>;
  /**
   * Books a slot. `contact`: the name, phone or email the customer gave for it, stored on the
   * contact first. Throws `ContactNeeded` (booking-contact.ts) when the booking needs details the
   * contact still lacks (a website visitor, `booking.require_contact`).
   */
  book(input: {
    serviceId: string | null;
    startAt: string;
    notes?: string;
    contact?: ContactDetails;
  }): Promise<{ id: string | null; start_at: string; end_at: string }>;
  /** Cancels the customer's next confirmed booking; null when there is none. */
  cancelBooking(): Promise<{ id: string; start_at: string } | null>;
  /** The customer's next confirmed booking with this agent; null when there is none. */
  findBooking(): Promise<UpcomingBooking | null>;
  /** Moves the customer's booking to a new start (same service and length). */
  rescheduleBooking(id: string, startAt: string): Promise<{ id: string; start_at: string; end_at: string }>;
  /**
   * Hands the conversation to people. Returns what to tell the customer in place of the usual
   * "a member of our team will reply here shortly" when that is not what happens (out of hours).
   */
  handoff(reason: string): Promise<string | undefined>;
  /** The workspace tools the agent lists (`tool_…` ids in `agent.tools`), as they are now. */
  customTools(): Promise<Tool[]>;
  /** Runs a workspace tool (recorded as a tool call); its failures come back as values, never thrown. */
  runTool(tool: Tool, args: Record<string, unknown>): Promise<ToolOutcome>;
}

export interface UpcomingBooking {
  id: string;
  service_id: string | null;
  start_at: string;
}

export interface Source {
  doc_id: string;
  chunk_id: string;
  title: string;
  score: number;
}

export type ActionType =
  | 'knowledge_searched'
  | 'lead_captured'
  | 'availability_checked'
  | 'booking_created'
  | 'booking_proposed'
  | 'booking_cancelled'
  | 'booking_rescheduled'
  | 'reschedule_proposed'
  | 'handoff'
  | 'would_capture_lead'
  | 'would_book'
  | 'would_cancel_booking'
  | 'would_reschedule_booking'
  | 'would_handoff'
  | 'tool_called'
  | 'tool_proposed'
  | 'would_call_tool';

export interface Action {
  type: ActionType;
  data: Record<string, unknown>;
}

export interface EngineInput {
  agent: AgentConfig;
  /** The customer's messages since the last reply, oldest first (a burst is answered once). */
  messages: string[];
  /** Earlier turns, oldest first (without `messages`). */
  history: Turn[];
  /** The conversation's dynamic_variables and the contact's fields, for {{placeholders}}. */
  variables: Record<string, string>;
  now: Date;
  /** Default country for phone numbers given without a country code. */
  defaultCountry: string;
  /** Where the reply goes: `voice` is spoken on a call (amounts, durations and times in words). Default `chat`. */
  channel?: 'chat' | 'voice';
  /** True when the newest message carries media the agent cannot read. */
  unsupportedMedia?: boolean;
  /** True when the customer's newest message is a mention of the business in their Instagram story. */
  storyMention?: boolean;
  /** A booking waits for the customer's name and a phone or email (a website visitor, `booking.require_contact`). */
  bookingNeedsContact?: boolean;
  /** The channel has a product catalogue the agent may send (a WhatsApp channel's `catalog_id` setting). */
  catalogue?: boolean;
  /**
   * Where the conversation stands, as the built-in agent's previous reply left it (null: nothing
   * pending). Absent when only the words of earlier turns are known (the playground's history, a
   * replay): the built-in agent then reads it from its last reply in `history`.
   */
  state?: DialogueState | null;
}

export interface EngineResult {
  reply: string;
  sources: Source[];
  actions: Action[];
  /** False when the engine could not answer (counts toward `handoff.max_unanswered`). */
  answered: boolean;
  handedOff: boolean;
  /** What produced the reply: `builtin`, or the LLM provider (`fallback` when it failed). */
  engine: string;
  /** On a call: what the LLM asked for with `end_call` or `transfer`, done after the reply is spoken. */
  callAction?: CallAction;
  /** The built-in agent's dialogue state after this reply, to give back with the next turn. */
  state?: DialogueState;
  /** The reply carries the business's catalogue (sent as a WhatsApp catalog_message). */
  catalogue?: boolean;
  /** An LLM agent's reply: which model answered, which failed before it (`ai_replies.model_outcome`). */
  llm?: LlmOutcome;
}

export interface LlmOutcome {
  /** `provider:name` of the model that answered, `builtin` for the built-in engine; null: none did. */
  model: string | null;
  /** How the answering model called tools. */
  tool_calling: 'native' | 'json' | null;
  /** The models that failed first, in order, and why. */
  failures: Array<{ model: string; reason: string; status?: number; ms: number }>;
  /** Requests sent again after a 429 with Retry-After or a refused connection. */
  retries: number;
  /** Tokens the answering model read and wrote for this reply, tool rounds included (null: none told). */
  usage?: { input_tokens: number | null; output_tokens: number | null };
}

export type CallAction =
  | { type: 'end_call' }
  | { type: 'transfer'; to?: string; human: boolean; reason?: string };

/** Wraps tools so every call is recorded as an action, whichever engine makes it. */
export function recording(
  tools: AgentTools,
  actions: Action[],
): AgentTools & {
  handedOff: () => boolean;
  /** What the handoff said to tell the customer (out of hours), if anything. */
  handoffNotice: () => string | undefined;
  note: (a: Action) => void;
} {
  let handedOff = false;
  let notice: string | undefined;
  return {
    handedOff: () => handedOff,
    handoffNotice: () => notice,
    note: (a) => actions.push(a),
    async searchKnowledge(query, topK) {
      return tools.searchKnowledge(query, topK);
    },
    async captureLead(input) {
      const r = await tools.captureLead(input);
      actions.push({ type: 'lead_captured', data: { lead_id: r.id, ...input } });
      return r;
    },
    async checkAvailability(date, serviceId) {
      const slots = await tools.checkAvailability(date, serviceId);
      actions.push({
        type: 'availability_checked',
        data: { date, service_id: serviceId, free_slots: slots.length },
      });
      return slots;
    },
    async book(input) {
      const r = await tools.book(input);
      actions.push({
        type: 'booking_created',
        data: { booking_id: r.id, service_id: input.serviceId, start_at: r.start_at, end_at: r.end_at },
      });
      return r;
    },
    async cancelBooking() {
      const r = await tools.cancelBooking();
      if (r) actions.push({ type: 'booking_cancelled', data: { booking_id: r.id, start_at: r.start_at } });
      return r;
    },
    findBooking: () => tools.findBooking(),
    async rescheduleBooking(id, startAt) {
      const r = await tools.rescheduleBooking(id, startAt);
      actions.push({
        type: 'booking_rescheduled',
        data: { booking_id: id, start_at: r.start_at, end_at: r.end_at },
      });
      return r;
    },
    customTools: () => tools.customTools(),
    async runTool(tool, args) {
      const r = await tools.runTool(tool, args);
      actions.push({
        type: 'tool_called',
        data: {
          tool_id: tool.id,
          tool: tool.name,
          args,
          tool_call_id: r.callId,
          ok: r.ok,
          status: r.status,
          code: r.code,
        },
      });
      return r;
    },
    async handoff(reason) {
      if (handedOff) return notice;
      notice = (await tools.handoff(reason)) ?? undefined;
      handedOff = true;
      actions.push({ type: 'handoff', data: { reason } });
      return notice;
    },
  };
}

const dryRunNames: Partial<Record<ActionType, ActionType>> = {
  lead_captured: 'would_capture_lead',
  booking_created: 'would_book',
  booking_cancelled: 'would_cancel_booking',
  booking_rescheduled: 'would_reschedule_booking',
  handoff: 'would_handoff',
  tool_called: 'would_call_tool',
};

/** Names the writes of a dry run (playground, copilot) for what they would do: nothing was saved. */
export function asDryRun(actions: Action[]): Action[] {
  return actions.map((a) => {
    const type = dryRunNames[a.type];
    return type ? { type, data: { ...a.data, dry_run: true } } : a;
  });
}

/**
 * Fills {{name}}, {{contact.name}}, {{name|there}}, {{anything}} from the variables, as prose (see
 * platform/placeholders.ts): a missing or empty value with no default drops the placeholder with
 * the space and comma before it, so "Welcome to Glow Salon, {{name}}." reads "Welcome to Glow
 * Salon." rather than "Welcome to Glow Salon,."
 */
export function fillVariables(template: string, vars: Record<string, string>): string {
  return renderPlaceholders(template, lookupIn(vars));
}
