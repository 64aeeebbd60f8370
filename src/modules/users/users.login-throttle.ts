import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';

/**
 * Sign-in throttling that an attacker cannot turn against the user. Failures count per email and
 * client address together: from the third, each next attempt from that address waits longer
 * (1 s, 2 s, 4 s, ... up to 5 minutes), and past `PARLEY_LOGIN_MAX_ATTEMPTS` that address is
 * refused for that email until its window ends, while the user signing in from elsewhere is not
 * affected. A much higher ceiling per email (`PARLEY_LOGIN_MAX_ATTEMPTS_PER_EMAIL`) stops an
 * attack spread over many addresses. Attempts per client address, whatever the email, are
 * limited too. Counts live in the database, so every process sees the same.
 */
const WINDOW_MS = 15 * 60_000;
const FREE_FAILURES = 2;
const MAX_DELAY_MS = 5 * 60_000;

const pairKey = (email: string, client: string) => `pair:${email}|${client}`;
const emailKey = (email: string) => `email:${email}`;

function refuse(untilMs: number, nowMs: number): never {
  const retryAfter = Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
  throw new ApiError('rate_limited', `Too many sign-in attempts; retry in ${retryAfter} s.`, {
    headers: { 'Retry-After': String(retryAfter) },
  });
}

/** Before anything is looked up: the same answer, as fast, for an email with an account and one without. */
export async function throttleLogin(ctx: AppContext, email: string, clientAddress: string) {
  const now = ctx.clock.now().getTime();
  const perClient = await ctx.rateLimits.hit(
    `login:client:${clientAddress}`,
    WINDOW_MS,
    ctx.config.loginMaxAttemptsPerClient,
    1,
    now,
  );
  if (!perClient.allowed) refuse(perClient.resetAtMs, now);
  const rows = await ctx.db
    .selectFrom('login_throttle')
    .selectAll()
    .where('key', 'in', [pairKey(email, clientAddress), emailKey(email)])
    .execute();
  for (const row of rows) {
    const windowEnd = Date.parse(row.window_started_at) + WINDOW_MS;
    if (windowEnd <= now) continue;
    const isPair = row.key.startsWith('pair:');
    const ceiling = isPair ? ctx.config.loginMaxAttempts : ctx.config.loginMaxAttemptsPerEmail;
    if (row.failures >= ceiling) refuse(windowEnd, now);
    if (row.next_attempt_at && Date.parse(row.next_attempt_at) > now)
      refuse(Date.parse(row.next_attempt_at), now);
  }
}

/** How long the next attempt waits after `failures` failures from one address for one email. */
export const delayAfter = (failures: number) =>
  failures <= FREE_FAILURES ? 0 : Math.min(MAX_DELAY_MS, 1000 * 2 ** (failures - FREE_FAILURES - 1));

async function recordFailure(ctx: AppContext, key: string, delay: (failures: number) => number) {
  const now = ctx.clock.now();
  const row = await ctx.db.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
  const fresh = !row || Date.parse(row.window_started_at) + WINDOW_MS <= now.getTime();
  const failures = fresh ? 1 : row.failures + 1;
  const wait = delay(failures);
  const values = {
    failures,
    window_started_at: fresh ? now.toISOString() : row.window_started_at,
    next_attempt_at: wait ? new Date(now.getTime() + wait).toISOString() : null,
  };
  await ctx.db
    .insertInto('login_throttle')
    .values({ key, ...values })
    .onConflict((oc) => oc.column('key').doUpdateSet(values))
    .execute();
}

/** A wrong password (or an unknown email): counted for the address and email, and for the email. */
export async function loginFailed(ctx: AppContext, email: string, clientAddress: string) {
  await recordFailure(ctx, pairKey(email, clientAddress), delayAfter);
  await recordFailure(ctx, emailKey(email), () => 0);
  // Windows that ended are forgotten (their next failure would start afresh anyway).
  const cutoff = new Date(ctx.clock.now().getTime() - WINDOW_MS).toISOString();
  await ctx.db.deleteFrom('login_throttle').where('window_started_at', '<', cutoff).execute();
}

/** The right password: the address starts afresh for this email (the per-email count stays). */
export async function loginSucceeded(ctx: AppContext, email: string, clientAddress: string) {
  await ctx.db.deleteFrom('login_throttle').where('key', '=', pairKey(email, clientAddress)).execute();
}
