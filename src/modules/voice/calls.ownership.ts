import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import type { AppContext } from '../../platform/context.ts';

/** How often a process holding live calls says it lives (see calls.owners.ts). */
export const HEARTBEAT_MS = 2_000;

/** Statuses of a call some process must be holding. */
export const HELD = ['dialing', 'ringing', 'in_progress'] as const;

/** The calls of this process, claimed as they become live; the process's liveness on a heartbeat. */
export class CallOwnership {
  readonly id = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly reaped = new Counter({
    name: 'parley_calls_server_lost_total',
    help: 'Calls ended because the process holding them stopped (ended_reason server_lost).',
    registers: [],
  });
  #timer: NodeJS.Timeout | null = null;
  #ctx: AppContext | null = null;
  #ids: () => string[] = () => [];

  /** Starts the heartbeat; `ids()` are the calls live here. Runs in every role. */
  start(ctx: AppContext, ids: () => string[]) {
    this.#ctx = ctx;
    this.#ids = ids;
    this.#timer ??= setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  stop() {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#ctx = null;
  }

  /** Claims calls at once (a call that just became live here): this process is their owner. */
  claim(callIds: string[]) {
    void this.#claim(callIds);
  }

  /**
   * Says this process lives: one row (`call_owners`) for all its calls, renewed while it holds
   * any (a process without calls has nothing for the reaper to look after).
   */
  beat() {
    return this.#ids().length > 0 ? this.#alive() : Promise.resolve();
  }

  async #alive() {
    const ctx = this.#ctx;
    if (!ctx) return;
    const now = new Date().toISOString();
    try {
      await ctx.db
        .insertInto('call_owners')
        .values({ id: this.id, seen_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at: now }))
        .execute();
    } catch (err) {
      if (this.#ctx) ctx.logger.warn({ err: (err as Error).message }, 'call owner heartbeat failed');
    }
  }

  async #claim(callIds: string[]) {
    const ctx = this.#ctx;
    if (!ctx || callIds.length === 0) return;
    await this.#alive();
    // `owner_seen_at` is when it was claimed: the reaper's measure for an owner with no row yet.
    const now = new Date().toISOString();
    try {
      for (let i = 0; i < callIds.length; i += 500)
        await ctx.db
          .updateTable('calls')
          .set({ owner: this.id, owner_seen_at: now })
          .where('id', 'in', callIds.slice(i, i + 500))
          .where('status', 'in', ['queued', ...HELD])
          .execute();
    } catch (err) {
      if (this.#ctx) ctx.logger.warn({ err: (err as Error).message }, 'claiming calls failed');
    }
  }
}
