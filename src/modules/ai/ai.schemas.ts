import { z } from 'zod';
import { describe, idOf } from '../../platform/http/schemas.ts';

const turn = z.strictObject({
  role: describe(z.enum(['customer', 'agent']), 'Who said it.', 'customer'),
  text: describe(z.string().max(4096), 'What was said.', 'Do you have parking?'),
});

export const testAgentBody = z.strictObject({
  message: describe(
    z.string().trim().min(1).max(4096),
    "The customer message to answer (WhatsApp's 4,096-character limit).",
    'kal 3 baje haircut book karna hai',
  ),
  history: describe(z.array(turn).max(50), 'Earlier turns, oldest first.', [
    { role: 'customer', text: 'Hi' },
    { role: 'agent', text: 'Hello! How can I help?' },
  ]).optional(),
  dynamic_variables: describe(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    'Values for {{placeholders}} in the greeting and instructions, as a conversation would have.',
    { name: 'Asha' },
  ).optional(),
});

export const sourceObject = z.object({
  doc_id: idOf('kb', 'The knowledge document.'),
  chunk_id: describe(z.string(), 'The passage used.', 'chunk_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  title: describe(z.string(), 'The passage heading or FAQ question.', 'Do you have parking?'),
  score: describe(z.number(), 'Search relevance (higher is better).', 0.71),
});

export const actionObject = z.object({
  type: describe(
    z.enum([
      'knowledge_searched',
      'lead_captured',
      'availability_checked',
      'booking_created',
      'booking_proposed',
      'booking_cancelled',
      'handoff',
      'would_capture_lead',
      'would_book',
      'would_cancel_booking',
      'would_handoff',
    ]),
    'What the agent did. The playground and copilot write nothing: their leads, bookings, cancellations and handoffs are `would_capture_lead`, `would_book`, `would_cancel_booking` and `would_handoff`, with `data.dry_run: true`.',
    'booking_proposed',
  ),
  data: describe(
    z.record(z.string(), z.unknown()),
    'Details: lead fields, the slot, the handoff reason. Ids are null when nothing was written.',
    {
      start_at: '2026-05-11T09:30:00.000Z',
    },
  ),
});

export const testAgentResponse = z.object({
  object: describe(z.literal('agent_test'), 'The type of this object.', 'agent_test'),
  agent_id: idOf('agt'),
  reply: describe(
    z.string(),
    'What the agent would send.',
    'Done! Your Haircut is booked for Monday 11 May at 15:00.',
  ),
  sources: describe(z.array(sourceObject), 'Knowledge passages the reply is based on.'),
  actions: describe(
    z.array(actionObject),
    'What the agent would do. The playground writes nothing: leads, bookings, cancellations and handoffs appear as `would_capture_lead`, `would_book`, `would_cancel_booking` and `would_handoff` with `data.dry_run: true` (their ids are null); knowledge and availability are read for real, and `booking_proposed` is a slot the agent offers.',
  ),
  dry_run: describe(z.literal(true), 'Always true: nothing was written.', true),
  answered: describe(z.boolean(), 'False when the agent could not answer.', true),
  engine: describe(
    z.string(),
    '`builtin`, the LLM provider, or `fallback` when the provider failed.',
    'builtin',
  ),
});

export const copilotResponse = z.object({
  object: describe(z.literal('copilot_suggestions'), 'The type of this object.', 'copilot_suggestions'),
  conversation_id: idOf('conv'),
  suggestions: describe(
    z.array(
      z.object({
        text: describe(
          z.string(),
          'A reply the human agent can send or edit.',
          'Yes, free parking is available in the basement.',
        ),
        sources: describe(z.array(sourceObject), 'Knowledge it is based on.'),
      }),
    ),
    "Draft replies, best first (from the agent's engine, then further knowledge passages).",
  ),
  next_best_actions: describe(
    z.array(
      z.object({
        type: describe(
          z.enum([
            'capture_lead',
            'book_appointment',
            'cancel_booking',
            'share_hours',
            'handoff',
            'resolve_handoff',
            'close_conversation',
          ]),
          'The suggested step.',
          'book_appointment',
        ),
        label: describe(z.string(), 'The step in words.', 'Book the appointment the customer asked for'),
        data: describe(
          z.record(z.string(), z.unknown()),
          'Details for the step (lead fields, the slot).',
          {},
        ),
      }),
    ),
    'What the human agent may do next.',
  ),
});
