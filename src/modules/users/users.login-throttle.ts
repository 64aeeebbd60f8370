import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';

const LOGIN_WINDOW_MS = 15 * 60_000;

async function hit(ctx: AppContext, subject: string, limit: number) {
  const now = ctx.clock.now().getTime();
  const res = await ctx.rateLimits.hit(`login:${subject}`, LOGIN_WINDOW_MS, limit, 1, now);
  if (res.allowed) return;
  const retryAfter = Math.max(1, Math.ceil((res.resetAtMs - now) / 1000));
  throw new ApiError('rate_limited', `Too many sign-in attempts; retry in ${retryAfter} s.`, {
    headers: { 'Retry-After': String(retryAfter) },
  });
}

export async function throttleLogin(ctx: AppContext, email: string, clientAddress: string) {
  await hit(ctx, `email:${email}`, ctx.config.loginMaxAttempts);
  await hit(ctx, `client:${clientAddress}`, ctx.config.loginMaxAttemptsPerClient);
}

export async function loginSucceeded(_ctx: AppContext, _email: string, _clientAddress: string) {}
