import { DateTime } from 'luxon';
import { z } from 'zod';
import { baseObject, describe, idOf, listQuery } from '../../platform/http/schemas.ts';
import { SLOT_STEP_MINUTES } from './schedule.ts';

const instant = (description: string, example: string) =>
  describe(
    z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a timezone (Z or +05:30)' }),
    description,
    example,
  );

export const createBookingBody = z
  .strictObject({
    agent_id: idOf('agt', 'The agent whose business is booked (its hours, services and calendar).'),
    service_id: idOf(
      'svc',
      "One of the agent's services; sets the length. Required unless `end_at` is given.",
    ).optional(),
    start_at: instant(
      'When the appointment starts (any offset; stored in UTC). Must be in the future, within opening hours.',
      '2026-05-11T09:30:00Z',
    ),
    end_at: instant(
      'When it ends; only without a service (with one, the service duration decides).',
      '2026-05-11T10:15:00Z',
    ).optional(),
    contact_id: idOf('ct', 'Who the booking is for.').optional(),
    phone: describe(
      z.string().min(3).max(40),
      'Who the booking is for, by phone, when there is no contact_id: the contact is found or created.',
      '+919876543210',
    ).optional(),
    name: describe(
      z.string().trim().min(1).max(200),
      'Name for a contact created from `phone`.',
      'Asha Rao',
    ).optional(),
    conversation_id: idOf(
      'conv',
      'The conversation the booking was made in (gives the contact when none is given).',
    ).optional(),
    notes: describe(
      z.string().max(2000),
      'Free text for the business.',
      'Prefers Priya as stylist',
    ).optional(),
  })
  .meta({
    examples: [
      {
        agent_id: 'agt_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        service_id: 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
        start_at: '2030-05-13T09:30:00Z',
        end_at: '2030-05-13T10:15:00Z',
        phone: '+919876543210',
        name: 'Asha Rao',
        notes: 'Prefers Priya as stylist',
      },
    ],
  });

export const cancelBookingBody = z.strictObject({
  reason: describe(
    z.string().trim().min(1).max(500),
    'Why it was cancelled.',
    'Customer asked to cancel',
  ).optional(),
});

export const rescheduleBookingBody = z
  .strictObject({
    start_at: instant(
      'The new start (in the future, within opening hours, not overlapping another booking).',
      '2026-05-12T11:00:00Z',
    ),
    service_id: idOf('svc', "Change the service too (default: the booking's service).").optional(),
    end_at: instant(
      'The new end, for a booking without a service (default: the same length as before).',
      '2026-05-12T11:45:00Z',
    ).optional(),
  })
  .meta({ examples: [{ start_at: '2030-05-14T11:00:00Z', end_at: '2030-05-14T11:45:00Z' }] });

const bookingStatuses = ['confirmed', 'cancelled'] as const;

export const bookingObject = z.object({
  ...baseObject('bk', 'booking'),
  agent_id: idOf('agt', 'The agent whose business is booked.'),
  contact_id: idOf('ct', 'Who the booking is for.'),
  conversation_id: describe(idOf('conv').nullable(), 'The conversation it was made in.', null),
  service_id: describe(idOf('svc').nullable(), 'The service booked.', 'svc_01JD5Z8Q4X3N2M1K0H9G8F7E6D'),
  service_name: describe(z.string().nullable(), 'Name of the service when booked.', 'Haircut'),
  start_at: describe(z.string(), 'Start (ISO 8601, UTC).', '2026-05-11T09:30:00.000Z'),
  end_at: describe(z.string(), 'End (ISO 8601, UTC).', '2026-05-11T10:15:00.000Z'),
  local_start: describe(
    z.string(),
    'Start in the business timezone, with its offset.',
    '2026-05-11T15:00:00+05:30',
  ),
  timezone: describe(z.string(), 'The business timezone.', 'Asia/Kolkata'),
  status: describe(z.enum(bookingStatuses), 'confirmed, or cancelled.', 'confirmed'),
  notes: describe(z.string().nullable(), 'Free text.', null),
  cancelled_at: describe(z.string().nullable(), 'When it was cancelled (ISO 8601, UTC).', null),
  cancellation_reason: describe(z.string().nullable(), 'Why it was cancelled.', null),
});

export const bookingListQuery = listQuery({
  agent_id: idOf('agt', 'Only bookings of this agent.').optional(),
  contact_id: idOf('ct', 'Only bookings of this contact.').optional(),
  conversation_id: idOf('conv', 'Only bookings made in this conversation.').optional(),
  status: describe(z.enum(bookingStatuses), 'Only bookings with this status.', 'confirmed').optional(),
  from: instant('Only bookings starting at or after this time.', '2026-05-01T00:00:00Z').optional(),
  to: instant('Only bookings starting before this time.', '2026-06-01T00:00:00Z').optional(),
});

export const availabilityQuery = z.object({
  date: describe(
    z
      .string()
      .refine(
        (d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && DateTime.fromISO(d).isValid,
        'must be a date YYYY-MM-DD',
      ),
    'The day, in the business timezone (default: today there).',
    '2026-05-11',
  ).optional(),
  service_id: idOf('svc', 'The service to fit (its duration); default 30 minutes.').optional(),
});

export const availabilityObject = z.object({
  object: describe(z.literal('availability'), 'The type of this object.', 'availability'),
  agent_id: idOf('agt', 'The agent.'),
  date: describe(z.string(), 'The day, in the business timezone.', '2026-05-11'),
  timezone: describe(z.string(), 'The business timezone.', 'Asia/Kolkata'),
  service_id: describe(idOf('svc').nullable(), 'The service fitted.', null),
  duration_minutes: describe(z.number().int(), 'Length of each slot.', 45),
  slot_step_minutes: describe(
    z.number().int(),
    `Slots start every this many minutes from each opening time (${SLOT_STEP_MINUTES}).`,
    SLOT_STEP_MINUTES,
  ),
  closed: describe(
    z.boolean(),
    'True when the business is closed all day (closed weekday or holiday).',
    false,
  ),
  slots: describe(
    z.array(
      z.object({
        start_at: describe(z.string(), 'Start (ISO 8601, UTC).', '2026-05-11T09:30:00.000Z'),
        end_at: describe(z.string(), 'End (ISO 8601, UTC).', '2026-05-11T10:15:00.000Z'),
        local_start: describe(z.string(), 'Start in the business timezone.', '2026-05-11T15:00:00+05:30'),
        remaining: describe(
          z.number().int(),
          "Places still free then: the service's `capacity` less the bookings running at the busiest moment of the slot.",
          2,
        ),
      }),
    ),
    "Free slots: within opening hours, in the future, with fewer bookings running (buffers included) than the service's `capacity` (1 without a service).",
  ),
});
