import { Duration } from 'luxon';
import { validationFailed } from '../../platform/errors.ts';

/** When a snooze ends: an ISO 8601 time in the coming year, or a duration from now. */
export function parseSnoozeUntil(until: string, now: Date): string {
  // An ISO 8601 duration ("PT2H", "P1D") counts from now: an example that never goes stale.
  const duration = /^P/i.test(until) ? Duration.fromISO(until.toUpperCase()) : undefined;
  if (duration && !duration.isValid)
    throw validationFailed([{ field: 'until', message: 'must be an ISO 8601 time or duration, e.g. PT2H' }]);
  const t = duration ? new Date(now.getTime() + duration.as('milliseconds')) : new Date(until);
  if (Number.isNaN(t.getTime()))
    throw validationFailed([
      { field: 'until', message: 'must be an ISO 8601 time, e.g. 2026-05-11T09:00:00Z' },
    ]);
  if (t.getTime() <= now.getTime())
    throw validationFailed([{ field: 'until', message: 'must be in the future' }]);
  if (t.getTime() - now.getTime() > 366 * 86_400_000)
    throw validationFailed([{ field: 'until', message: 'must be within a year' }]);
  return t.toISOString();
}
