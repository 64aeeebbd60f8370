import type { AppContext } from '../context.ts';
import { sha256Hex } from '../crypto.ts';
import { scopeColumns, tenant } from '../db/scope.ts';
import { ApiError } from '../errors.ts';
import type { Auth } from './route.ts';

const TTL_MS = 24 * 3_600_000;
/** A first request still unanswered after this long is taken as dead; a retry may run again. */
const STALE_LOCK_MS = 60_000;
/**
 * How long a retry waits for the first request with its key to finish (then it gets the same
 * answer): concurrent identical requests are answered alike on every storage. After that, 409.
 */
const WAIT_FOR_FIRST_MS = 5_000;
const POLL_MS = 25;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotencyClaim =
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'claimed'; requestHash: string };

export function validateIdempotencyKey(key: string) {
  if (key.length < 1 || key.length > 255) {
    throw new ApiError('validation_failed', 'Idempotency-Key must be 1 to 255 characters.', {
      errors: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 characters' }],
    });
  }
}

/**
 * Claims an Idempotency-Key for this request, or answers with what the first request with the
 * same key answered. The same key with another body is `idempotency_conflict`.
 */
export async function claimIdempotencyKey(
  ctx: AppContext,
  auth: Auth,
  key: string,
  fingerprint: string,
): Promise<IdempotencyClaim> {
  validateIdempotencyKey(key);
  const requestHash = sha256Hex(fingerprint);
  const scoped = tenant(ctx.db, auth);
  const waitUntil = performance.now() + (ctx.config.testing?.idempotencyWaitMs ?? WAIT_FOR_FIRST_MS);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const now = ctx.clock.now();
    const existing = await scoped
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('key', '=', key)
      .executeTakeFirst();
    if (existing) {
      const seen = earlierUse(existing, requestHash, now);
      if (seen === 'running') {
        // The first request is still running: wait for its answer (it is this one's too).
        if (performance.now() >= waitUntil) throw stillRunning();
        await new Promise((r) => setTimeout(r, POLL_MS));
        continue;
      }
      if (seen !== 'lapsed') return seen;
      await scoped
        .deleteFrom('idempotency_keys')
        .where('key', '=', key)
        .where('created_at', '=', existing.created_at)
        .execute();
    }
    const inserted = await ctx.db
      .insertInto('idempotency_keys')
      .values({
        ...scopeColumns(auth),
        key,
        request_hash: requestHash,
        status_code: null,
        response_body: null,
        created_at: now.toISOString(),
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { kind: 'claimed', requestHash };
  }
  throw stillRunning();
}

interface KeyRow {
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  created_at: string;
}

/**
 * What an earlier request with the key means for this one: its stored answer to replay, `running`
 * while it has none, or `lapsed` when the key is free again (expired, or its request died). The
 * key used with another request is `idempotency_conflict`.
 */
function earlierUse(
  existing: KeyRow,
  requestHash: string,
  now: Date,
): IdempotencyClaim | 'running' | 'lapsed' {
  const age = now.getTime() - Date.parse(existing.created_at);
  const expired = age > TTL_MS;
  const staleLock = existing.status_code === null && age > STALE_LOCK_MS;
  if (expired || staleLock) return 'lapsed';
  if (existing.request_hash !== requestHash) {
    throw new ApiError(
      'idempotency_conflict',
      'This Idempotency-Key was already used with a different request. Use a new key for a new request.',
    );
  }
  if (existing.status_code === null) return 'running';
  const body = existing.response_body === null ? null : JSON.parse(existing.response_body);
  return { kind: 'replay', response: { status: existing.status_code, body } };
}

/**
 * The first request with this key is still running after the wait, or died with its process (then
 * the key is free again once STALE_LOCK_MS has passed since it began). Either way a retry is right.
 */
function stillRunning() {
  const seconds = 2;
  return new ApiError(
    'idempotency_conflict',
    `A request with this Idempotency-Key is still being processed; retry in ${seconds} s (it is safe to retry with the same key and body).`,
    { headers: { 'Retry-After': String(seconds) }, details: { retryable: true } },
  );
}

export async function completeIdempotencyKey(
  ctx: AppContext,
  auth: Auth,
  key: string,
  response: StoredResponse,
) {
  await tenant(ctx.db, auth)
    .updateTable('idempotency_keys')
    .set({ status_code: response.status, response_body: JSON.stringify(response.body ?? null) })
    .where('key', '=', key)
    .execute();
}

/** The first request failed unexpectedly: free the key so a retry runs the request again. */
export async function releaseIdempotencyKey(ctx: AppContext, auth: Auth, key: string) {
  await tenant(ctx.db, auth)
    .deleteFrom('idempotency_keys')
    .where('key', '=', key)
    .where('status_code', 'is', null)
    .execute();
}

export async function purgeExpiredIdempotencyKeys(ctx: AppContext) {
  const cutoff = new Date(ctx.clock.now().getTime() - TTL_MS).toISOString();
  await ctx.db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).execute();
}
