import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, nullableTimestamp } from '../../platform/http/schemas.ts';
import { ianaTimezone } from '../../platform/timezone.ts';
import { weekdays } from './windows.ts';

export const campaignStatuses = ['draft', 'scheduled', 'running', 'paused', 'completed', 'canceled'] as const;
export const recipientStates = [
  'pending',
  'scheduled',
  'in_progress',
  'completed',
  'skipped',
  'expired',
  'canceled',
] as const;
export const recipientResults = ['answered', 'voicemail', 'no_answer', 'busy', 'failed', 'sent'] as const;
/** Results a campaign may retry. */
export const retryableResults = ['no_answer', 'busy', 'voicemail', 'failed'] as const;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time HH:MM (24 h)');

const windowSchema = z
  .strictObject({
    days: describe(z.array(z.enum(weekdays)).min(1).max(7), 'Days the window applies to.', [
      'mon',
      'tue',
      'wed',
      'thu',
      'fri',
    ]),
    start: describe(hhmm, 'Opens at (local time of the recipient, or of `timezone`).', '09:00'),
    end: describe(hhmm, 'Closes at (exclusive).', '21:00'),
  })
  .refine((w) => w.start < w.end, {
    message: 'must be later than start (a window that crosses midnight is two windows)',
    path: ['end'],
  });

const instant = (description: string, example: string) =>
  describe(
    z
      .string()
      .refine(
        (s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s)),
        'must be an ISO 8601 date-time',
      ),
    description,
    example,
  );

export const scheduleSchema = describe(
  z.strictObject({
    start_at: instant('Do not dial before this (default: when started).', '2026-06-01T03:30:00Z').optional(),
    end_at: instant(
      'Stop here: recipients not reached by then are `expired`.',
      '2026-06-05T15:30:00Z',
    ).optional(),
    windows: describe(
      z.array(windowSchema).min(1, 'give at least one window, or leave windows out for the defaults').max(21),
      'When calls may be placed, in local time. Without it: 09:00-21:00 for Indian numbers (TRAI) and 08:00-21:00 elsewhere, every day. For Indian, US and Canadian numbers these legal hours also bound any window given.',
      [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '10:00', end: '19:00' }],
    ).optional(),
    timezone: describe(
      ianaTimezone(['recipient']),
      "`recipient` (default): each window holds in the recipient's own zone (contact attribute `timezone`, else the number's country or prefix; several possible zones must all be open). Or one IANA zone for everyone.",
      'recipient',
    ).optional(),
  }),
  'When the campaign may dial.',
  {
    windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '10:00', end: '19:00' }],
    timezone: 'recipient',
  },
);

const templateRef = describe(
  z.union([
    describe(z.string().min(1).max(512), 'An approved template by name.', 'appointment_reminder'),
    z.strictObject({
      name: describe(z.string().min(1).max(512), 'Template name.', 'appointment_reminder'),
      language: describe(
        z.string().min(2).max(15),
        'Template language (default: the only one, or en).',
        'en',
      ).optional(),
      variables: describe(
        z.union([
          z.array(z.union([z.string(), z.number()])).max(100),
          z.record(z.string(), z.union([z.string(), z.number()])),
        ]),
        'Template variables; values may hold `{{contact fields}}` such as `{{name}}`.',
        { name: '{{name}}' },
      ).optional(),
    }),
  ]),
  'WhatsApp campaigns: the approved template sent to each recipient.',
  { name: 'appointment_reminder', language: 'en', variables: { name: '{{name}}' } },
);

const common = {
  name: describe(z.string().trim().min(1).max(200), 'Name of the campaign.', 'June reminders'),
  schedule: scheduleSchema,
  max_attempts: describe(
    z.number().int().min(1).max(10),
    'Attempts per recipient, the first included (default 3).',
    3,
  ),
  retry_delay_minutes: describe(
    z.number().int().min(1).max(10_080),
    'Minutes between attempts (default 60); a retry falling outside the window waits for it to open.',
    60,
  ),
  retry_on: describe(
    z.array(z.enum(retryableResults)).max(4),
    'Results that are tried again (default: no_answer, busy, voicemail, failed for voice; failed for WhatsApp).',
    ['no_answer', 'busy'],
  ),
  calls_per_second: describe(
    z.number().min(0.01).max(50),
    'Pace: dials (or messages) started per second at most (default 1).',
    1,
  ),
  max_concurrency: describe(
    z.number().int().min(1).max(10_000),
    "Voice: live calls at once at most (default and upper bound: the plan's concurrent calls, which calls made through the API share).",
    10,
  ),
  ignore_dnd: describe(
    z.boolean(),
    'Also reach contacts on do-not-disturb (transactional calls). Opted-out contacts are always skipped.',
    false,
  ),
  dynamic_variables: describe(
    z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    "Voice: dynamic variables of every call (the contact's fields are added per recipient).",
    { offer: '20% off' },
  ),
};

export const createCampaignBody = z
  .strictObject({
    name: common.name,
    type: describe(z.enum(['voice', 'whatsapp']), 'Voice calls, or a WhatsApp template.', 'voice'),
    agent_id: idOf('agt', 'Voice: the AI agent that talks (or give voice_flow_id).').optional(),
    voice_flow_id: idOf('vf', 'Voice: the scripted flow that runs (or give agent_id).').optional(),
    template: templateRef.optional(),
    audience_id: idOf('aud', 'Who is reached: the audience, as it is when the campaign starts.'),
    from: describe(
      z.string().min(3).max(100),
      "The channel address to call or send from (default: the workspace's channel).",
      '+919800000001',
    ).optional(),
    schedule: common.schedule.optional(),
    max_attempts: common.max_attempts.optional(),
    retry_delay_minutes: common.retry_delay_minutes.optional(),
    retry_on: common.retry_on.optional(),
    calls_per_second: common.calls_per_second.optional(),
    max_concurrency: common.max_concurrency.optional(),
    ignore_dnd: common.ignore_dnd.optional(),
    dynamic_variables: common.dynamic_variables.optional(),
  })
  .meta({
    examples: [
      {
        name: 'June reminders',
        type: 'voice',
        agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        audience_id: 'aud_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        schedule: {
          windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '10:00', end: '19:00' }],
          timezone: 'recipient',
        },
        max_attempts: 3,
        retry_delay_minutes: 60,
        retry_on: ['no_answer', 'busy'],
        max_concurrency: 10,
        dynamic_variables: { offer: '20% off' },
      },
    ],
  });
export type CreateCampaignInput = z.output<typeof createCampaignBody>;

/** Any of the settings, as the create body takes them; `max_concurrency` may be null (no cap). */
export const updateCampaignBody = z
  .strictObject({ ...common, max_concurrency: common.max_concurrency.nullable() })
  .partial();
export type UpdateCampaignInput = z.output<typeof updateCampaignBody>;

const count = (description: string) => describe(z.number().int(), description, 0);

export const statsSchema = describe(
  z.object({
    total: count(
      'Recipients in all. total = pending + scheduled + in_progress + completed + skipped + expired + canceled.',
    ),
    pending: count('Waiting for their time, their window or a retry.'),
    scheduled: count('Claimed: a dial (or send) is queued.'),
    in_progress: count('On a live call (or being sent).'),
    completed: count('Done. completed = answered + voicemail + no_answer + busy + failed + sent.'),
    answered: count('Completed with an answered call.'),
    voicemail: count('Completed on voicemail.'),
    no_answer: count('Completed without an answer.'),
    busy: count('Completed busy.'),
    failed: count('Completed with a failed call or send.'),
    sent: count('WhatsApp: completed with the template handed to the provider.'),
    skipped: count('Left out: do-not-disturb, opted out, or no usable number.'),
    expired: count('Not reached before the end of the schedule.'),
    canceled: count('Left out because the campaign was canceled.'),
    attempts: count('Calls (or messages) made in all, retries included.'),
    answer_rate: describe(
      z.number().nullable(),
      'answered / completed (voice), or null before any completed.',
      0.62,
    ),
    avg_duration_seconds: describe(z.number().nullable(), 'Average length of answered calls.', 74.5),
    outcomes: describe(
      z.record(z.string(), z.number().int()),
      "Completed recipients by outcome (a flow's end outcome).",
      { confirmed: 12 },
    ),
  }),
  'Live counts that add up.',
);

const scheduleObject = z.object({
  start_at: nullableTimestamp('Not before'),
  end_at: nullableTimestamp('Not after'),
  windows: describe(
    z
      .array(
        z.object({
          days: describe(z.array(z.enum(weekdays)), 'Days the window applies to.', ['mon', 'tue']),
          start: describe(z.string(), 'Opens at (HH:MM, local).', '09:00'),
          end: describe(z.string(), 'Closes at (HH:MM, local, exclusive).', '21:00'),
        }),
      )
      .nullable(),
    'The windows, or null for the legal defaults (09:00-21:00 India, 08:00-21:00 elsewhere).',
    null,
  ),
  timezone: describe(z.string(), '`recipient` or an IANA zone.', 'recipient'),
});

export const campaignObject = z.object({
  ...baseObject('cmp', 'campaign'),
  name: common.name,
  type: describe(z.enum(['voice', 'whatsapp']), 'Voice calls, or a WhatsApp template.', 'voice'),
  agent_id: describe(idOf('agt').nullable(), 'The agent (voice).', null),
  voice_flow_id: describe(idOf('vf').nullable(), 'The flow (voice).', 'vf_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  template: describe(
    z
      .object({
        name: describe(z.string(), 'Template name.', 'appointment_reminder'),
        language: describe(z.string(), 'Template language.', 'en'),
        variables: describe(z.unknown(), 'Template variables.', { name: '{{name}}' }),
      })
      .nullable(),
    'The template (WhatsApp).',
    null,
  ),
  audience_id: idOf('aud', 'The audience.'),
  from: describe(z.string().nullable(), 'Address it calls or sends from.', null),
  schedule: describe(scheduleObject, 'When it may dial.'),
  max_attempts: common.max_attempts,
  retry_delay_minutes: common.retry_delay_minutes,
  retry_on: common.retry_on,
  calls_per_second: common.calls_per_second,
  max_concurrency: describe(
    z.number().int().nullable(),
    "Live calls at once at most (null: the plan's).",
    null,
  ),
  ignore_dnd: common.ignore_dnd,
  dynamic_variables: common.dynamic_variables,
  status: describe(
    z.enum(campaignStatuses),
    'draft → scheduled/running ⇄ paused → completed, or canceled.',
    'running',
  ),
  stats: statsSchema,
  started_at: nullableTimestamp('When it started'),
  paused_at: nullableTimestamp('When it was last paused'),
  canceled_at: nullableTimestamp('When it was canceled'),
  completed_at: nullableTimestamp('When it completed'),
});

export const recipientObject = z.object({
  ...baseObject('cmpr', 'campaign_recipient'),
  campaign_id: idOf('cmp', 'The campaign.'),
  contact_id: idOf('ct', 'The contact.'),
  phone: describe(z.string().nullable(), 'The number (E.164).', '+919876543210'),
  status: describe(z.enum(recipientStates), 'Where the recipient is.', 'completed'),
  result: describe(z.enum(recipientResults).nullable(), "The last attempt's result.", 'answered'),
  attempts: describe(z.number().int(), 'Attempts made.', 1),
  next_attempt_at: nullableTimestamp('Not dialed before'),
  last_call_id: describe(idOf('call').nullable(), 'The last call.', null),
  message_id: describe(idOf('msg').nullable(), 'The message (WhatsApp).', null),
  outcome: describe(z.string().nullable(), "The flow's end outcome, when there is one.", 'confirmed'),
  duration_seconds: describe(z.number().int().nullable(), 'Length of the answered call.', 62),
  timezones: describe(z.array(z.string()), 'Zones the number may be in (all must be open).', [
    'Asia/Kolkata',
  ]),
  timezone_source: describe(
    z.enum(['contact', 'country', 'prefix', 'campaign']),
    "Where the zones came from: the contact's `timezone` attribute, the number's country, its prefix, or the campaign's own zone.",
    'country',
  ),
  error: describe(
    z
      .object({
        code: describe(z.string(), 'Machine-readable reason.', 'contact_dnd'),
        message: describe(z.string(), 'The reason in a sentence.', 'The contact is on do-not-disturb.'),
      })
      .nullable(),
    'Why it was skipped or failed.',
    null,
  ),
});

export const campaignListQuery = listQuery({
  status: describe(z.enum(campaignStatuses), 'Only campaigns in this status.', 'running').optional(),
  type: describe(z.enum(['voice', 'whatsapp']), 'Only this type.', 'voice').optional(),
});

export const recipientListQuery = listQuery({
  status: describe(
    z.enum([...recipientStates, ...recipientResults]),
    'Only recipients in this status, or completed with this result (answered, voicemail, no_answer, busy, failed, sent).',
    'no_answer',
  ).optional(),
});

export const cancelQuery = z.object({
  hangup: describe(
    z
      .preprocess(
        (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
        z.boolean(),
      )
      .optional(),
    "Also hang up the campaign's live calls (default: they finish).",
    false,
  ),
});
