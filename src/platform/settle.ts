/**
 * Waits for every one of `work` (none is left running into a commit or a rollback: on SQLite a
 * statement still queued when the transaction ends would run outside it), then fails with the
 * first failure, or with the first that `prefer` picks (a cause before the failures it caused).
 */
export async function settleAll(
  work: ReadonlyArray<Promise<unknown> | undefined>,
  prefer?: (error: unknown) => boolean,
): Promise<void> {
  const outcomes = await Promise.allSettled(work);
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  if (failures.length === 0) return;
  throw (prefer && failures.find(prefer)) ?? failures[0];
}
