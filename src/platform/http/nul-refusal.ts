import type { FastifyRequest } from 'fastify';
import { ApiError } from '../errors.ts';
import { NUL_MESSAGE, nulFields } from '../nul.ts';
import type { AnyRoute } from './route.ts';

/**
 * A NUL in an API caller's body or query is a 400 naming each field (platform/nul.ts). Only in
 * what the route reads: a route without a body (or query) schema ignores one sent anyway, as it
 * ignores malformed JSON, and documents no 400 for it.
 */
export function refuseNul(route: AnyRoute, request: FastifyRequest) {
  const allowed = route.nulAllowedIn ?? [];
  const fields = (route.body ? (request.nulFields ?? []) : []).filter(
    (f) => !allowed.some((a) => f === a || f.startsWith(`${a}.`)),
  );
  if (route.query && request.query && typeof request.query === 'object')
    fields.push(...nulFields(request.query));
  if (!fields.length) return;
  const errors = fields.slice(0, 50).map((field) => ({ field, message: NUL_MESSAGE }));
  throw new ApiError('validation_failed', `${fields[0]}: ${NUL_MESSAGE}`, { errors });
}
