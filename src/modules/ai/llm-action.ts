import { z } from 'zod';
import { ApiError } from '../../platform/errors.ts';
import type { AgentConfig } from '../agents/index.ts';
import { type ContactDetails, ContactNeeded } from './booking-contact.ts';
import type { AgentTools, CallAction } from './engine.ts';

/**
 * The LLM's answer as two separate fields: `reply` (the words the customer reads or hears) and
 * `action` (what happens: answer, book, reschedule, cancel, hand off, capture a lead; on a call
 * also end the call or transfer it). Only `action` is ever executed; the reply's words never
 * decide that a booking, a cancellation or a handoff happened (issue 32).
 */
const opt = z.string().nullish();
const leadFields = {
  name: opt,
  email: opt,
  phone: opt,
  intent: opt,
};

export const llmActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('answer') }),
  z.object({
    type: z.literal('book'),
    start_at: z.string().min(1).describe('A free slot from check_availability, ISO 8601'),
    service_id: opt,
    notes: opt,
  }),
  z.object({ type: z.literal('reschedule'), start_at: z.string().min(1).describe('New start, ISO 8601') }),
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('handoff'), reason: opt }),
  z.object({ type: z.literal('capture_lead'), ...leadFields }),
  z.object({ type: z.literal('end_call') }),
  z.object({ type: z.literal('transfer'), to: z.enum(['human', 'number']), reason: opt }),
  z.object({
    type: z.literal('tool'),
    tool: z.string().min(1).describe("The name of one of the business's tools"),
    args: z.record(z.string(), z.unknown()).nullish().describe('Its arguments, as its schema says'),
  }),
]);

export const llmAnswerSchema = z.object({
  reply: z.string().describe('What the customer reads (or hears on a call)'),
  action: llmActionSchema,
  /** Contact details the customer gave in this message, saved whatever the action. */
  lead: z.object(leadFields).nullish(),
});

export type LlmAction = z.infer<typeof llmActionSchema>;
export type LlmAnswer = z.infer<typeof llmAnswerSchema>;
export type ActionType = LlmAction['type'];

export interface CallOptions {
  transferTo: string | null;
  human: boolean;
}

/**
 * The action types this agent may use: its tools decide, end_call/transfer only on a call, and
 * `tool` when it lists workspace tools (`workspaceTools`).
 */
export function allowedActions(
  agent: AgentConfig,
  call: CallOptions | undefined,
  workspaceTools = false,
): ActionType[] {
  const has = (x: AgentConfig['tools'][number]) => agent.tools.includes(x);
  return [
    'answer',
    ...(has('booking') ? (['book', 'reschedule', 'cancel'] as const) : []),
    ...(has('handoff') ? (['handoff'] as const) : []),
    ...(has('lead_capture') ? (['capture_lead'] as const) : []),
    ...(call ? (['end_call'] as const) : []),
    ...(call && (call.human || call.transferTo) ? (['transfer'] as const) : []),
    ...(workspaceTools ? (['tool'] as const) : []),
  ];
}

const describe: Record<ActionType, string> = {
  answer: '"answer": only reply (answers, greetings, questions back to the customer).',
  book: '"book" with "start_at" (a free slot from check_availability, ISO 8601) and "service_id": book it.',
  reschedule:
    '"reschedule" with "start_at" (a free slot, ISO 8601): move the customer\'s next booking (never cancel and book again).',
  cancel:
    '"cancel": cancel the customer\'s next booking (only when they ask to cancel, not when they ask about the policy).',
  handoff:
    '"handoff" with "reason": hand the conversation to a person (the customer asks for one, or you cannot help).',
  capture_lead:
    '"capture_lead" with "name", "email", "phone", "intent": save the contact details the customer gave.',
  end_call:
    '"end_call": end the phone call after your reply (the caller said goodbye or needs nothing else).',
  transfer: '"transfer" with "to" ("human" or "number") and "reason": transfer the call after your reply.',
  tool: '"tool" with "tool" (one of the business\'s tools listed below) and "args": call it; "reply" may be a short "one moment" line. Its answer comes back to you before you answer the customer.',
};

/** The system prompt's part that asks for the JSON answer. */
export function actionPrompt(allowed: ActionType[]): string {
  return [
    'Answer with exactly one JSON object and nothing else:',
    // The action first: a streamed reply can be spoken as it comes once its action is known.
    '{"action": {"type": "answer"}, "reply": "<your words to the customer>", "lead": null}',
    'The action is what actually happens; only this field does anything, your words never do. action.type is one of:',
    ...allowed.map((a) => `- ${describe[a]}`),
    'Say in "reply" only what the action does (never "I have booked you" with action "answer"). "lead": the name, email and phone the customer gave in this message, or null.',
  ].join('\n');
}

/**
 * Reads the model's final text as the answer. Lenient about the wrapping small models add (a
 * ```json fence, words around the object, an action given as a bare string), strict about the
 * fields. Returns the answer or why it is not one.
 */
export function parseAnswer(
  text: string,
  allowed: ActionType[],
): { ok: true; answer: LlmAnswer } | { ok: false; why: string } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return { ok: false, why: 'no JSON object' };
  let raw: unknown;
  try {
    raw = JSON.parse(text.slice(start, end + 1));
  } catch {
    return { ok: false, why: 'invalid JSON' };
  }
  if (raw && typeof raw === 'object' && typeof (raw as { action?: unknown }).action === 'string')
    (raw as { action: unknown }).action = { type: (raw as { action: string }).action };
  const parsed = llmAnswerSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, why: `fields: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  if (!allowed.includes(parsed.data.action.type))
    return { ok: false, why: `action ${parsed.data.action.type} is not available to this agent` };
  if (!parsed.data.reply.trim() && parsed.data.action.type === 'answer')
    return { ok: false, why: 'empty reply' };
  return { ok: true, answer: parsed.data };
}

/** The note sent back to the model when its answer could not be read, for its one retry. */
export function retryNote(why: string, allowed: ActionType[]): string {
  return `[Your last answer could not be used (${why}). Answer again with only the JSON object {"action": {"type": ...}, "reply": "...", "lead": null}; action.type one of ${allowed.map((a) => `"${a}"`).join(', ')}.]`;
}

export interface Executed {
  /** The reply to send: the model's, or an honest one when the action could not be done. */
  reply: string;
  callAction?: CallAction;
}

const clean = (o: Record<string, string | null | undefined>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string' && v.trim())) as Record<
    string,
    string
  >;

/**
 * Does what the `action` field says, through the recording tools. A booking or a move the
 * calendar refuses (taken, closed, past), or a cancellation with no booking, replaces the
 * model's reply with one that says so: the customer is never told something happened that did not.
 */
export async function executeAction(
  answer: LlmAnswer,
  agent: AgentConfig,
  t: AgentTools & { handedOff: () => boolean },
  call: CallOptions | undefined,
): Promise<Executed> {
  const reply = answer.reply.trim();
  const a = answer.action;
  await saveLead(answer, agent, t);
  switch (a.type) {
    case 'book':
    case 'reschedule':
      return { reply: (await moveOrBook(a, agent, t, clean({ ...(answer.lead ?? {}) }))) ?? reply };
    case 'cancel':
      return { reply: (await t.cancelBooking()) ? reply : "I couldn't find an upcoming booking to cancel." };
    case 'handoff':
      await t.handoff(a.reason?.trim() || 'The AI handed the conversation to a person');
      return { reply: reply || "I'm connecting you with a member of our team." };
    case 'end_call':
      return { reply: reply || 'Goodbye!', callAction: { type: 'end_call' } };
    case 'transfer':
      return transfer(a, reply, t, call);
    default:
      return { reply };
  }
}

async function saveLead(answer: LlmAnswer, agent: AgentConfig, t: AgentTools): Promise<void> {
  const lead = clean({ ...(answer.lead ?? {}) });
  const a = answer.action;
  if (a.type === 'capture_lead')
    Object.assign(lead, clean({ name: a.name, email: a.email, phone: a.phone, intent: a.intent }));
  if (agent.tools.includes('lead_capture') && (lead.name || lead.email || lead.phone))
    await t.captureLead(lead);
}

/** Books or moves; returns the reply that replaces the model's when the calendar refuses, else null. */
async function moveOrBook(
  a: Extract<LlmAction, { type: 'book' | 'reschedule' }>,
  agent: AgentConfig,
  t: AgentTools,
  /** The name, phone or email the customer gave in this message, stored on the contact for a booking that needs them. */
  contact: ContactDetails = {},
): Promise<string | null> {
  const verb = a.type === 'book' ? 'book that time' : 'move your booking';
  if (Number.isNaN(Date.parse(a.start_at)))
    return `Sorry, I couldn't ${verb}: ${a.start_at} is not a date and time. Which time would suit you?`;
  try {
    if (a.type === 'book') {
      const serviceId =
        agent.business.services.find((s) => s.id === a.service_id)?.id ??
        agent.business.services[0]?.id ??
        null;
      await t.book({ serviceId, startAt: a.start_at, notes: a.notes ?? undefined, contact });
    } else {
      const current = await t.findBooking();
      if (!current) return "I couldn't find an upcoming booking to move. Shall I make a new one?";
      await t.rescheduleBooking(current.id, a.start_at);
    }
    return null;
  } catch (err) {
    // A website visitor's booking waits for their details: the model's "booked" is never said.
    if (err instanceof ContactNeeded) return contactQuestion(err);
    if (err instanceof ApiError && err.status < 500)
      return `Sorry, I couldn't ${verb}: ${err.message} Shall I look for another time?`;
    throw err;
  }
}

/** What the customer is asked when the booking tool refused for want of their details. */
export function contactQuestion(err: ContactNeeded): string {
  const wanted = err.missing
    .map((m) => (m === 'name' ? 'your name' : 'a phone number or email'))
    .join(' and ');
  return `Before I book it, may I have ${wanted}, so our team can reach you about your booking?`;
}

async function transfer(
  a: Extract<LlmAction, { type: 'transfer' }>,
  reply: string,
  t: AgentTools,
  call: CallOptions | undefined,
): Promise<Executed> {
  const reason = a.reason?.trim() || undefined;
  const said = reply || 'Please hold while I transfer your call.';
  if (a.to === 'number' && call?.transferTo)
    return { reply: said, callAction: { type: 'transfer', to: call.transferTo, human: false, reason } };
  if (a.to === 'human' && call?.human) {
    await t.handoff(reason ?? 'The caller asked for a human');
    return { reply: said, callAction: { type: 'transfer', human: true, reason } };
  }
  return { reply: "I can't transfer this call, but I'm happy to help with your question." };
}
