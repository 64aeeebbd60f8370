/** A clock that tests can replace. Timestamps are ISO 8601 UTC with milliseconds. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const iso = (d: Date) => d.toISOString();

/**
 * Whether `s` is an ISO 8601 date (`2026-05-01`) or date-time (`2026-05-01T10:00:00Z`) of a day that
 * exists. `Date.parse` alone would take `2026-02-30` as 2 March (or refuse it, by format) and guess
 * at free text such as `5` or `March 3`, so a range given wrongly would be read as another one.
 */
export function isIsoDateOrInstant(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?=$|[T ])/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const day = new Date(Date.UTC(2000, mo - 1, d));
  day.setUTCFullYear(y);
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return false;
  return s.length === 10 || !Number.isNaN(Date.parse(s));
}
