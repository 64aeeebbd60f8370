/** A clock that tests can replace. Timestamps are ISO 8601 UTC with milliseconds. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const iso = (d: Date) => d.toISOString();
