import type { AppContext } from '../platform/context.ts';
import type { ParleyMigration } from '../platform/db/migrate.ts';
import type { AnyRoute } from '../platform/http/route.ts';

/**
 * A domain module: its tables, its routes, its background jobs and anything it runs in the
 * background. Modules are listed once in `src/modules/index.ts`.
 */
export interface Module {
  name: string;
  /** Migrations by name; names sort in run order (each module owns a number range). */
  migrations?: Record<string, ParleyMigration>;
  routes?: AnyRoute[];
  /** Registers job handlers and event sinks; runs in every role, before the queue starts. */
  setup?(ctx: AppContext): void | Promise<void>;
  /** Starts periodic work (timers) in worker processes; returns a stop function. */
  startWorker?(ctx: AppContext): (() => void | Promise<void>) | undefined;
}
