import { z } from 'zod';
import { describe, idOf } from '../../../platform/http/schemas.ts';

/** The handoff policy (SPEC: Team operations): who owns a handoff and what happens when nobody replies. */
export interface HandoffPolicy {
  team_id: string | null;
  reply_within_minutes: number;
  on_timeout: 'reassign' | 'ai_resume' | 'callback' | 'notify';
  max_reassignments: number;
  out_of_hours: { message: string | null; ai_continues: boolean };
  /** A conversation the AI answered last, whose customer stays silent this long, is resolved. Null: never. */
  auto_resolve_after_minutes: number | null;
  /** A conversation marked urgent (a person, a macro or an automation) while the AI answers it goes to a person at once. */
  urgent_to_person: boolean;
}

export const DEFAULT_HANDOFF_POLICY: HandoffPolicy = {
  team_id: null,
  reply_within_minutes: 15,
  on_timeout: 'reassign',
  max_reassignments: 2,
  out_of_hours: { message: null, ai_continues: true },
  auto_resolve_after_minutes: null,
  urgent_to_person: true,
};

const fields = {
  team_id: describe(
    idOf('team').nullable(),
    "The team handoffs go to when nothing else names one (the channel's `handoff_policy.team_id` comes first). Null: none (unassigned).",
    'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  reply_within_minutes: describe(
    z.number().int().min(1).max(10_080),
    'A person must reply within this many minutes (counted in business hours when the agent has hours). 0 is refused.',
    15,
  ),
  on_timeout: describe(
    z.enum(['reassign', 'ai_resume', 'callback', 'notify']),
    '`reassign`: another member of the team by its rule (at most `max_reassignments` times, then `notify`); `ai_resume`: the AI takes the conversation back; `callback`: tagged `callback` for a person to call back, the customer is told; `notify`: only `conversation.handoff_timeout` (webhooks, the inbox).',
    'reassign',
  ),
  max_reassignments: describe(z.number().int().min(0).max(20), 'The most reassignments of one handoff.', 2),
  auto_resolve_after_minutes: describe(
    z.number().int().min(1).max(43_200).nullable(),
    'A conversation the AI answered last (not handed off), whose customer then stays silent this many minutes, is resolved (`conversation.resolved`, then CSAT as on any resolve). Null (the default): never.',
    60,
  ),
  urgent_to_person: describe(
    z.boolean(),
    "A conversation marked urgent (by a macro or an automation's `set_priority`) while the AI is answering it is handed to a person at once: queued for the policy's team, the customer told a person will reply (default true). False: the AI goes on answering and only the priority changes.",
    true,
  ),
  out_of_hours: describe(
    z.strictObject({
      message: describe(
        z.string().trim().min(1).max(1000).nullable(),
        "Told to the customer when a handoff happens out of hours; `{{next_opening}}` is replaced by the next opening (local time and zone). Null: a built-in message in the customer's language.",
        'We are closed now; a person will answer from {{next_opening}}.',
      ).optional(),
      ai_continues: describe(
        z.boolean(),
        'Out of hours, the AI keeps answering meanwhile (the handoff stays owned and its timer starts at the next opening).',
        true,
      ).optional(),
    }),
    'What happens when a handoff comes while the business is closed.',
  ),
};

/** A policy as written (every field optional: the rest comes from the workspace default, then the built-in). */
export const handoffPolicyInput = describe(
  z.strictObject({
    team_id: fields.team_id.optional(),
    reply_within_minutes: fields.reply_within_minutes.optional(),
    on_timeout: fields.on_timeout.optional(),
    max_reassignments: fields.max_reassignments.optional(),
    out_of_hours: fields.out_of_hours.optional(),
    auto_resolve_after_minutes: fields.auto_resolve_after_minutes.optional(),
    urgent_to_person: fields.urgent_to_person.optional(),
  }),
  'A handoff policy: a person must reply within `reply_within_minutes`, else Parley acts as `on_timeout` says.',
);
export type HandoffPolicyInput = z.output<typeof handoffPolicyInput>;

export const handoffPolicyObject = z.object({
  team_id: describe(
    z.string().nullable(),
    'The team handoffs go to (null: none).',
    'team_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  reply_within_minutes: describe(z.number().int(), 'Minutes a person has to reply.', 15),
  on_timeout: describe(
    z.enum(['reassign', 'ai_resume', 'callback', 'notify']),
    'What Parley does when nobody replied in time.',
    'reassign',
  ),
  max_reassignments: describe(z.number().int(), 'The most reassignments of one handoff.', 2),
  auto_resolve_after_minutes: describe(
    z.number().int().nullable(),
    'Minutes of customer silence after an AI answer before the conversation is resolved (null: never).',
    null,
  ),
  urgent_to_person: describe(
    z.boolean(),
    'Whether a conversation marked urgent while the AI answers it goes to a person at once.',
    true,
  ),
  out_of_hours: describe(
    z.object({
      message: describe(z.string().nullable(), 'The out-of-hours message (null: built-in).', null),
      ai_continues: describe(z.boolean(), 'Whether the AI keeps answering out of hours.', true),
    }),
    'What happens out of hours.',
  ),
});

export function mergePolicy(
  base: HandoffPolicy,
  input: HandoffPolicyInput | null | undefined,
): HandoffPolicy {
  if (!input) return base;
  return {
    team_id: input.team_id !== undefined ? input.team_id : base.team_id,
    reply_within_minutes: input.reply_within_minutes ?? base.reply_within_minutes,
    on_timeout: input.on_timeout ?? base.on_timeout,
    max_reassignments: input.max_reassignments ?? base.max_reassignments,
    out_of_hours: {
      message:
        input.out_of_hours?.message !== undefined ? input.out_of_hours.message : base.out_of_hours.message,
      ai_continues: input.out_of_hours?.ai_continues ?? base.out_of_hours.ai_continues,
    },
    auto_resolve_after_minutes:
      input.auto_resolve_after_minutes !== undefined
        ? input.auto_resolve_after_minutes
        : base.auto_resolve_after_minutes,
    urgent_to_person: input.urgent_to_person ?? base.urgent_to_person,
  };
}
