/**
 * What an erasure takes out of a job queue (docs/privacy.md), the same on both queues: the jobs
 * whose payload, error or singleton key names the person. Pure functions; each queue finds the
 * candidates in its own storage and applies the verdicts.
 */
export interface JobErasure {
  /**
   * Ids of the person's objects (contact, conversations, calls, messages): a payload string equal
   * to one names them (found by value anywhere in the payload, arrays included).
   */
  ids: string[];
  /**
   * Text that names them wherever it appears, in any case: their phone's forms and email, and the
   * ids of their contact, conversations and calls (a URL or a singleton key holds those inside it).
   */
  texts: string[];
}

export interface ErasedJobs {
  /** Jobs deleted: finished ones naming the person, and pending ones about them only. */
  deleted: number;
  /** Pending jobs for several people (a batch of sends) that lost the person's ids and stay for the others. */
  changed: number;
}

export type JobVerdict = { action: 'keep' } | { action: 'delete' } | { action: 'update'; payload: unknown };

/** Whether a string names the person: one of their ids exactly, or one of the texts inside it. */
export function namer(match: JobErasure): (s: string) => boolean {
  const ids = new Set(match.ids);
  const texts = match.texts.filter(Boolean).map((t) => t.toLowerCase());
  return (s) => {
    if (ids.has(s)) return true;
    const lower = s.toLowerCase();
    return texts.some((t) => lower.includes(t));
  };
}

/**
 * A job found naming the person: a finished one (completed, failed, cancelled) is deleted, with
 * its payload. A pending one is about them and deleted, unless they are only elements of a list
 * of ids (a batch of messages to send, of which theirs is one): then their ids leave the list and
 * the job stays for the others (deleted if the list is left empty).
 */
export function judgeJob(
  job: { payload: unknown; key: string | null; error: string | null; finished: boolean },
  names: (s: string) => boolean,
): JobVerdict {
  if ((job.key && names(job.key)) || (job.error && names(job.error))) return { action: 'delete' };
  if (job.finished) return mentions(job.payload, names) ? { action: 'delete' } : { action: 'keep' };
  let scalar = false;
  let removed = false;
  let emptied = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (names(v)) scalar = true;
      return v;
    }
    if (Array.isArray(v)) {
      const kept = v.filter((x) => !(typeof x === 'string' && names(x)));
      if (kept.length !== v.length) {
        removed = true;
        if (!kept.length) emptied = true;
      }
      return kept.map(walk);
    }
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const payload = walk(job.payload);
  if (scalar || emptied) return { action: 'delete' };
  return removed ? { action: 'update', payload } : { action: 'keep' };
}

function mentions(v: unknown, names: (s: string) => boolean): boolean {
  if (typeof v === 'string') return names(v);
  if (Array.isArray(v)) return v.some((x) => mentions(x, names));
  if (v && typeof v === 'object') return Object.values(v).some((x) => mentions(x, names));
  return false;
}
