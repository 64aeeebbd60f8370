import { z } from 'zod';
import { describe, idOf, listQuery, timestamp } from '../../platform/http/schemas.ts';

const settingsShape = {
  enabled: describe(z.boolean(), 'Ask customers after a conversation is resolved.', true),
  question: describe(
    z.string().trim().min(1).max(500),
    'The question asked (the channel adds how to answer: a list on WhatsApp, a digit on SMS, links on email).',
    'How did we do today?',
  ),
  scale: describe(z.literal(5), 'Answers are 1 (bad) to 5 (great).', 5),
  send_on: describe(z.literal('resolve'), 'When it is asked: when the conversation is resolved.', 'resolve'),
};

export const csatSettings = z.object(settingsShape);
export const putCsatBody = z
  .strictObject({
    agent_id: idOf(
      'agt',
      "These settings are this agent's (overriding the workspace's) when given.",
    ).optional(),
    enabled: settingsShape.enabled,
    question: settingsShape.question.optional(),
    scale: settingsShape.scale.optional(),
    send_on: settingsShape.send_on.optional(),
  })
  .meta({ examples: [{ enabled: true, question: 'How did we do today?' }] });

export const csatSettingsObject = z.object({
  object: describe(z.literal('csat_settings'), 'The type of this object.', 'csat_settings'),
  agent_id: describe(z.string().nullable(), "The agent these are for; null: the workspace's.", null),
  csat: describe(csatSettings, 'The settings: on or off, the question, the scale and when it is asked.'),
});

export const csatSettingsQuery = z.object({
  agent_id: idOf('agt', "The agent's settings (its own, else the workspace's).").optional(),
});

export const csatAnswerObject = z.object({
  object: describe(z.literal('csat_answer'), 'The type of this object.', 'csat_answer'),
  conversation_id: idOf('conv', 'The conversation rated.'),
  contact_id: idOf('ct', 'Who answered.'),
  agent_id: describe(
    z.string().nullable(),
    'The agent of the conversation.',
    'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  channel: describe(z.string(), 'Where it was asked.', 'whatsapp'),
  score: describe(z.number().int(), 'The answer, 1 (bad) to 5 (great).', 5),
  comment: describe(z.string().nullable(), 'What they wrote with the digit, if anything.', 'quick, thanks'),
  asked_at: timestamp('When it was asked'),
  answered_at: timestamp('When the answer came'),
});

export const listCsatQuery = listQuery({
  agent_id: idOf('agt', 'Only answers about this agent’s conversations.').optional(),
  score: describe(z.coerce.number().int().min(1).max(5), 'Only this score.', 5).optional(),
  contact_id: idOf('ct', "Only this contact's answers (the inbox's contact panel).").optional(),
  conversation_id: idOf('conv', "Only this conversation's answers.").optional(),
});

export const respondParams = z.object({
  token: describe(z.string().min(10).max(64), 'The token of the emailed link.', 'k3J9xQ2mP8vR4tW7yZ1a'),
});
export const respondQuery = z.object({
  score: describe(z.coerce.number().int().min(1).max(5), 'The score clicked, 1 to 5.', 5),
});
export const respondResponse = z.object({
  recorded: describe(z.boolean(), 'True when this answer was stored.', true),
  score: describe(z.number().int(), 'The score stored.', 5),
});
