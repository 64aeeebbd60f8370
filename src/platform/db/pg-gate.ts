import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * A FIFO turnstile in front of pg-pool. pg-pool's `connectionTimeoutMillis` bounds two different
 * waits with one figure: making a connection (the database answering) and waiting in line while all
 * connections are checked out (the app being busy). A burst of requests (200 handoffs at once on a
 * 20-connection pool) is the second kind: each request only needs its turn. So the pool keeps its
 * 5 s for a connection that does not come, and waiting in line is bounded here, longer
 * (`waitMs`, under the request timeout); past it the request fails as a database that does not
 * answer would (503).
 */
export class CheckoutGate {
  #free: number;
  readonly #waitMs: number;
  readonly #waiters: Array<{ resolve: () => void; timer: NodeJS.Timeout }> = [];

  constructor(size: number, waitMs: number) {
    this.#free = size;
    this.#waitMs = waitMs;
  }

  /** How many wait for a turn right now. */
  get waiting(): number {
    return this.#waiters.length;
  }

  enter(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i >= 0) this.#waiters.splice(i, 1);
          // The message pg-pool uses, so it is recognised as the database being unavailable.
          reject(new Error(`timeout exceeded when trying to connect (pool busy for ${this.#waitMs} ms)`));
        }, this.#waitMs),
      };
      this.#waiters.push(waiter);
    });
  }

  leave() {
    const next = this.#waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve();
    } else this.#free++;
  }
}

/** The pool as Kysely sees it: each checkout first takes its turn at the gate, each release gives it back. */
export function gatedPool(pool: pg.Pool, gate: CheckoutGate): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      await gate.enter();
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        gate.leave();
        throw err;
      }
      const release = client.release;
      let released = false;
      client.release = (err?: Error | boolean) => {
        client.release = release;
        if (!released) {
          released = true;
          gate.leave();
        }
        return release.call(client, err);
      };
      return client as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}
