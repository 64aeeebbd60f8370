import {
  CompiledQuery,
  type ConnectionProvider,
  type DatabaseConnection,
  type Dialect,
  type Kysely,
  Transaction,
} from 'kysely';
import type { Database } from './schema.ts';

/**
 * The transaction's one connection, handed to every statement at once. Kysely's own provider
 * makes each statement wait for the one before it to come back; on a pg client in pipeline mode
 * this one lets statements that do not wait for each other go out together, in the order they were
 * issued, and PostgreSQL runs them in that order. Code that awaits each statement runs as before.
 */
class SharedConnection implements ConnectionProvider {
  readonly #connection: DatabaseConnection;
  #running = 0;
  #idle: Array<() => void> = [];
  /** The first statement that failed, caught by its caller or not. */
  failed: { error: unknown } | undefined;

  constructor(connection: DatabaseConnection) {
    this.#connection = connection;
  }

  provideConnection<T>(consumer: (connection: DatabaseConnection) => Promise<T>): Promise<T> {
    const run = consumer(this.#connection);
    this.#running++;
    run.then(
      () => this.#done(),
      (error: unknown) => {
        this.failed ??= { error };
        this.#done();
      },
    );
    return run;
  }

  /** Resolves once no statement issued is still running. */
  settled(): Promise<void> {
    return this.#running === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  #done() {
    if (--this.#running > 0) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}

const begin = CompiledQuery.raw('begin');
const commit = CompiledQuery.raw('commit');
const rollback = CompiledQuery.raw('rollback');

/** Kysely's Transaction refuses these; a stand-in for the driver it never calls. */
const noDriver = {
  init: () => Promise.reject(new Error('not a driver')),
  acquireConnection: () => Promise.reject(new Error('not a driver')),
  beginTransaction: () => Promise.reject(new Error('not a driver')),
  commitTransaction: () => Promise.reject(new Error('not a driver')),
  rollbackTransaction: () => Promise.reject(new Error('not a driver')),
  releaseConnection: () => Promise.reject(new Error('not a driver')),
  destroy: () => Promise.reject(new Error('not a driver')),
};

/**
 * A transaction on PostgreSQL whose `begin` goes out with its first statement (one round trip
 * fewer than Kysely's, which waits for `begin` to come back), and in which statements issued
 * without awaiting each other are pipelined. The pool's clients must be in pipeline mode.
 */
export function pipelinedTransaction<T>(
  db: Kysely<Database>,
  dialect: Dialect,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const executor = db.getExecutor();
  return executor.provideConnection(async (connection) => {
    const shared = new SharedConnection(connection);
    const trx = new Transaction<Database>({
      config: { dialect },
      dialect,
      driver: noDriver,
      executor: executor.withConnectionProvider(shared),
    });
    const begun = connection.executeQuery(begin);
    // Its failure (a broken connection) fails the statements behind it too; it is awaited below.
    begun.catch(() => {});
    let result: T;
    try {
      result = await fn(trx);
      await begun;
      // A statement left running, or one that failed and was caught: PostgreSQL would answer the
      // commit of an aborted transaction with a rollback, silently. Neither commits here.
      await shared.settled();
      if (shared.failed) throw shared.failed.error;
    } catch (err) {
      await shared.settled();
      await connection.executeQuery(rollback).catch(() => {});
      throw err;
    }
    await connection.executeQuery(commit);
    return result;
  });
}
