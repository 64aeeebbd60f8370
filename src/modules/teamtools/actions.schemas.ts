import { z } from 'zod';
import { describe, idOf } from '../../platform/http/schemas.ts';
import { templateRef } from '../messaging/index.ts';

export const actionTypes = [
  'assign_team',
  'assign_user',
  'add_tags',
  'remove_tags',
  'set_priority',
  'send_canned',
  'send_template',
  'handoff',
  'snooze',
  'close',
  'add_note',
  'webhook',
] as const;
export type ActionType = (typeof actionTypes)[number];

const tagList = describe(z.array(z.string().trim().min(1).max(64)).min(1).max(20), 'Tags.', ['vip']);
const act = <T extends ActionType, S extends z.ZodRawShape>(type: T, shape: S, what: string) =>
  z.strictObject({ type: describe(z.literal(type), what, type), ...shape });

/** One action of a macro or an automation; run in the order listed. */
export const actionSchema = z.discriminatedUnion('type', [
  act('assign_team', { team_id: idOf('team', 'The team to assign to.') }, 'Assign to a team.'),
  act('assign_user', { user_id: idOf('usr', 'The person to assign to.') }, 'Assign to a person.'),
  act('add_tags', { tags: tagList }, 'Add tags.'),
  act('remove_tags', { tags: tagList }, 'Remove tags.'),
  act(
    'set_priority',
    { priority: describe(z.enum(['low', 'normal', 'high', 'urgent']), 'The priority.', 'high') },
    'Set the priority.',
  ),
  act(
    'send_canned',
    { canned_response_id: idOf('cr', 'The canned response sent, filled in for the conversation.') },
    'Send a canned response to the customer.',
  ),
  act(
    'send_template',
    { template: templateRef },
    'Send an approved template (works outside the WhatsApp window).',
  ),
  act(
    'handoff',
    {
      reason: describe(z.string().trim().min(1).max(500), 'Why, shown to people.', 'VIP customer').optional(),
      team_id: idOf('team', 'Hand off to this team.').optional(),
    },
    'Pause the AI and hand the conversation to people.',
  ),
  act(
    'snooze',
    { minutes: describe(z.number().int().min(1).max(525_600), 'How long to snooze.', 60) },
    'Snooze the conversation.',
  ),
  act('close', {}, 'Close (resolve) the conversation.'),
  act(
    'add_note',
    { text: describe(z.string().trim().min(1).max(10_000), 'The private note.', 'Refund asked twice') },
    'Add a private note for the team.',
  ),
  act(
    'webhook',
    {
      url: describe(
        z.url({ protocol: /^https?$/ }).max(2048),
        'Where the conversation is POSTed as JSON.',
        'https://example.com/hook',
      ),
    },
    'POST the conversation (and the event) to a URL.',
  ),
]);
export type Action = z.infer<typeof actionSchema>;

export const actionList = describe(
  z.array(actionSchema).min(1).max(20),
  `Actions run in order: ${actionTypes.join(', ')}. One that fails does not stop the others.`,
  [
    { type: 'add_tags', tags: ['vip'] },
    { type: 'assign_team', team_id: 'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D' },
  ],
);

export const actionResult = z.object({
  index: describe(z.number().int(), 'Position of the action in the list, from 0.', 0),
  type: describe(z.enum(actionTypes), 'The action.', 'add_tags'),
  status: describe(z.enum(['ok', 'error', 'skipped']), 'What happened.', 'ok'),
  error: describe(
    z.object({
      code: describe(z.string(), 'Error code.', 'not_found'),
      message: describe(z.string(), 'What went wrong.', 'No canned response with id cr_...'),
    }),
    'Why it failed (status error or skipped).',
  ).optional(),
});
export type ActionResult = z.infer<typeof actionResult>;
