import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import type { AppContext } from '../../platform/context.ts';

/** How often a process holding live calls says it lives (see calls.owners.ts). */
export const HEARTBEAT_MS = 2_000;

/** Every how many heartbeats a process compares the calls stored as its own with those it holds. */
const AUDIT_EVERY = 2;

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
   * any (a process without calls has nothing for the reaper to look after). Every AUDIT_EVERY
   * beats it also lets go of calls it no longer holds (see `#audit`).
   */
  async beat() {
    const live = this.#ids();
    if (live.length === 0) return;
    await this.#alive();
    this.#aliveAt = Date.now();
    if (++this.#beats % AUDIT_EVERY === 0) await this.#audit(new Set(live));
  }

  #beats = 0;
  /** When this process last wrote its row (a claim writes it only if no heartbeat did lately). */
  #aliveAt = 0;
  /** Calls written as this process's that it did not hold at the last audit. */
  #missing = new Set<string>();

  /**
   * A call stored as this process's but no longer live here (a session that ended without its
   * end being written, a dial whose hand-over to a session failed) would be kept alive by this
   * process's row for as long as the process holds any other call. One missing at two audits in a
   * row is let go (`owner` cleared): the reaper then judges it by when it was claimed, as a call
   * of a process that is gone. Two audits, so a call between leaving `live` and its end being
   * written is not taken for one.
   */
  async #audit(live: Set<string>) {
    const ctx = this.#ctx;
    if (!ctx) return;
    try {
      const stored = await ctx.db
        .selectFrom('calls')
        .select('id')
        .where('owner', '=', this.id)
        .where('status', 'in', HELD)
        .execute();
      const missing = new Set(stored.map((c) => c.id).filter((id) => !live.has(id)));
      const lost = [...missing].filter((id) => this.#missing.has(id));
      this.#missing = missing;
      for (let i = 0; i < lost.length; i += 500)
        await ctx.db
          .updateTable('calls')
          .set({ owner: null })
          .where('id', 'in', lost.slice(i, i + 500))
          .where('owner', '=', this.id)
          .where('status', 'in', HELD)
          .execute();
      if (lost.length)
        ctx.logger.warn({ calls: lost.length }, 'calls stored as held here but not live: let go');
    } catch (err) {
      if (this.#ctx) ctx.logger.warn({ err: (err as Error).message }, 'auditing held calls failed');
    }
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
    // The row must exist before the reaper looks; while the heartbeat renews it, a claim (one per
    // new call) adds no write of its own.
    if (Date.now() - this.#aliveAt >= HEARTBEAT_MS) {
      this.#aliveAt = Date.now();
      await this.#alive();
    }
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
