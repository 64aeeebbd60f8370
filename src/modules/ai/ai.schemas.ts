import { z } from 'zod';
import { describe, idOf, timestamp } from '../../platform/http/schemas.ts';
import { updateAgentBody } from '../agents/index.ts';

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
      'booking_rescheduled',
      'reschedule_proposed',
      'handoff',
      'would_capture_lead',
      'would_book',
      'would_cancel_booking',
      'would_reschedule_booking',
      'would_handoff',
      'tool_called',
      'tool_proposed',
      'would_call_tool',
    ]),
    "What the agent did. The playground, copilot and replay write nothing: their leads, bookings, cancellations, moves and handoffs are `would_capture_lead`, `would_book`, `would_cancel_booking`, `would_reschedule_booking` and `would_handoff`, with `data.dry_run: true`. `booking_proposed` and `reschedule_proposed` are a slot offered and awaiting the customer's yes. `tool_called` is a workspace tool run (`data.tool_call_id`, `GET /v1/conversations/{id}/tool-calls`); `tool_proposed` a write tool read back and awaiting the customer's yes; `would_call_tool` a tool a dry run called (mocks and reads only).",
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

export const aiRepliesQuery = z.object({
  message_ids: describe(
    z
      .string()
      .regex(
        /^msg_[0-9A-HJKMNP-TV-Z]{26}(,msg_[0-9A-HJKMNP-TV-Z]{26}){0,99}$/,
        'must be up to 100 msg_ ids separated by commas',
      ),
    'The AI-written messages to explain, separated by commas (at most 100); without it, the latest 100 AI replies of the conversation.',
    'msg_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ).optional(),
});

export const aiRepliesResponse = z.object({
  data: describe(
    z.array(
      z.object({
        message_id: idOf('msg', 'The message the AI sent.'),
        engine: describe(z.string(), '`builtin`, the LLM provider, or `fallback`.', 'builtin'),
        answered: describe(z.boolean(), 'False when the agent could not answer.', true),
        sources: describe(z.array(sourceObject), 'Knowledge passages the answer is based on.'),
        actions: describe(z.array(actionObject), 'What the agent did while answering.'),
        model: describe(
          z.string().nullable(),
          'The model that answered (`provider:name`, `builtin` when a fallback chain ended at the built-in engine; null for a built-in agent or when no model answered).',
          'openai:gpt-4o-mini',
        ),
        input_tokens: describe(
          z.number().int().nullable(),
          'Tokens the answering model read for this reply, tool rounds included (null when its server did not say).',
          1840,
        ),
        output_tokens: describe(
          z.number().int().nullable(),
          'Tokens it wrote for this reply, tool rounds included.',
          96,
        ),
      }),
    ),
    'One entry per given message the AI wrote (others are left out).',
  ),
});

export const replayBody = z.strictObject({
  conversation_ids: describe(
    z.array(idOf('conv')).min(1).max(100),
    'Replay the customer messages of these conversations (any agent answered them). Without it, the conversations this agent answers.',
    ['conv_01JD5Z8Q4X3N2M1K0H9G8F7E6D'],
  ).optional(),
  since: describe(
    z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a timezone (Z or +05:30)' }),
    'Only customer messages from this time on. Default without `conversation_ids`: the last 7 days.',
    '2026-05-03T00:00:00Z',
  ).optional(),
  limit: describe(
    z.number().int().min(1).max(1000),
    'At most this many customer messages, the newest (default 100).',
    200,
  ).optional(),
  draft: describe(
    updateAgentBody.omit({ phone_number: true, status: true }),
    'Agent fields to try instead of the saved ones (as in `PATCH /v1/agents/{id}`: `business`, `handoff` and `model` merge field by field); nothing is saved.',
    { business: { services: [{ name: 'Haircut', duration_minutes: 45, price: 600 }] } },
  ).optional(),
});

export const replayResponse = z.object({
  object: describe(z.literal('agent_replay'), 'The type of this object.', 'agent_replay'),
  agent_id: idOf('agt'),
  draft: describe(z.boolean(), 'True when the replies now come from the draft.', false),
  results: describe(
    z.array(
      z.object({
        message_id: idOf('msg', 'The customer message.'),
        conversation_id: idOf('conv'),
        created_at: timestamp('When the customer sent it.'),
        text: describe(z.string(), 'What the customer wrote.', 'How much is a haircut?'),
        reply_then: describe(
          z.string().nullable(),
          'The reply the conversation got next (from the AI or a person); null when none.',
          'A Haircut costs 500 and takes about 45 minutes.',
        ),
        reply_now: describe(
          z.string(),
          'What the agent answers now.',
          'A Haircut costs 600 and takes about 45 minutes.',
        ),
        actions_then: describe(
          z.array(actionObject),
          "What the AI did with that reply (empty for a person's reply).",
        ),
        actions_now: describe(z.array(actionObject), 'What the agent would do now (nothing was written).'),
        sources_now: describe(z.array(sourceObject), 'Knowledge passages the reply now is based on.'),
        changed: describe(
          z.boolean(),
          'The reply now differs from the reply then, or does something else (lead, booking, cancellation, move, offer, handoff).',
          true,
        ),
      }),
    ),
    'Each customer message, oldest first.',
  ),
  summary: describe(
    z.object({
      total: describe(z.number().int(), 'Messages replayed.', 42),
      changed: describe(z.number().int(), 'Of them, how many would be answered differently.', 7),
    }),
    'Counts.',
  ),
});

export const modelCheckResponse = z.object({
  object: describe(z.literal('model_check'), 'The type of this object.', 'model_check'),
  agent_id: idOf('agt'),
  provider: describe(z.string(), "The agent's model provider.", 'ollama'),
  model: describe(z.string(), "The agent's model name.", 'llama3.1:8b'),
  reachable: describe(z.boolean(), 'The server answered (any HTTP answer counts).', true),
  model_found: describe(
    z.boolean().nullable(),
    'The model answered a request (false: the server said 404); null when not known.',
    true,
  ),
  streaming: describe(z.boolean().nullable(), 'A streamed request sent text as it came.', true),
  tool_calling: describe(
    z.boolean().nullable(),
    'The model called a function when told to (false: set `model.tool_calling` to `json`).',
    true,
  ),
  json_output: describe(z.boolean().nullable(), 'The model answered a JSON object as asked.', true),
  latency_ms: describe(z.number().int().nullable(), 'Time of the streamed request, whole (ms).', 640),
  error: describe(
    z.string().nullable(),
    'Why the first request failed (connection refused, 401, 404, timeout), or null.',
    null,
  ),
});
