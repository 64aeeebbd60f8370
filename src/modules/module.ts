import type { Metric } from 'prom-client';
import type { AppContext } from '../platform/context.ts';
import type { ParleyMigration } from '../platform/db/migrate.ts';
import type { EraseStep } from '../platform/erasure.ts';
import type { AnyRoute } from '../platform/http/route.ts';
import type { SocketRoute } from '../platform/http/sockets.ts';
import type { Ports } from '../platform/ports.ts';
import type { RetentionKind, RetentionStep } from '../platform/retention.ts';

/**
 * A domain module: its tables, its routes, its background jobs and anything it runs in the
 * background. Modules are listed once in `src/modules/index.ts`.
 */
export interface Module {
  name: string;
  /** Migrations by name; names sort in run order (each module owns a number range). */
  migrations?: Record<string, ParleyMigration>;
  routes?: AnyRoute[];
  /** WebSocket endpoints (HTTP upgrades by path). */
  sockets?: SocketRoute[];
  /**
   * Registers job handlers, event sinks and hooks; runs in every role, before the queue starts.
   * What it returns is the module's instance for this app, kept as `ctx.modules[name]`.
   */
  setup?(ctx: AppContext): unknown;
  /**
   * Operations this module provides to modules below it, which declared them (src/platform/ports.ts).
   * Called once every module is set up; the result is merged into `ctx.ports`.
   */
  provides?(ctx: AppContext): Partial<Ports>;
  /** Prometheus metrics this module keeps for the app, served on /metrics. */
  metrics?(ctx: AppContext): Metric[];
  /**
   * Runs when the app closes, in every role, after the HTTP server stops and before the queue and
   * the database close: ends what the module runs itself (live calls) and waits for its writes.
   */
  close?(ctx: AppContext): void | Promise<void>;
  /**
   * Ends what holds upgraded sockets open (live calls' media WebSockets), run as the server
   * starts closing: the HTTP server's close waits for every socket it accepted, upgraded ones too.
   */
  closeSockets?(ctx: AppContext): Promise<void>;
  /**
   * Before a shutdown (SIGTERM), while the app still serves: takes no new long-lived work (calls)
   * and waits until what runs here ends or `deadline` (ms since the epoch) passes.
   */
  drain?(ctx: AppContext, deadline: number): Promise<void>;
  /**
   * This module's part of erasing a person (`DELETE /v1/contacts/{id}`, `POST
   * /v1/contacts/{id}/erase`): removes or irreversibly redacts, in this module's own tables,
   * everything that identifies them. Idempotent: a crashed erasure runs it again. A module adding
   * a table that can hold personal data implements it (docs/privacy.md).
   */
  erase?: EraseStep;
  /**
   * This module's part of retention (docs/privacy.md): per kind of record it owns, a step deleting
   * a small batch of a workspace's records older than the workspace's setting.
   */
  retain?: Partial<Record<RetentionKind, RetentionStep>>;
  /** Starts periodic work (timers) in worker processes; returns a stop function. */
  startWorker?(ctx: AppContext): (() => void | Promise<void>) | undefined;
}
