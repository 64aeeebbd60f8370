import { Histogram } from 'prom-client';
import type { Module } from '../module.ts';
import { eraseToolCalls } from './tools.erase.ts';
import { ConnectionPool } from './tools.http.ts';
import { toolsMigrations } from './tools.migrations.ts';
import { toolRoutes } from './tools.routes.ts';

/** The tools module's instance: the histogram every tool call is observed in, the app's sockets to tools. */
export interface ToolsInstance {
  duration: Histogram<'effect' | 'outcome'>;
  connections: ConnectionPool;
}

declare module '../../platform/context.ts' {
  interface AppModules {
    tools: ToolsInstance;
  }
}

/** Tools: requests to the business's own systems that agents make (docs/tools.md). */
export const toolsModule: Module = {
  name: 'tools',
  migrations: toolsMigrations,
  routes: toolRoutes,
  erase: eraseToolCalls,
  setup(): ToolsInstance {
    return {
      duration: new Histogram({
        name: 'parley_tool_duration_seconds',
        help: 'Tool calls from the first request to the last answer (retries included), by effect (read, write) and outcome (ok, failed, mocked, skipped).',
        labelNames: ['effect', 'outcome'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 15, 30],
        registers: [],
      }),
      connections: new ConnectionPool(),
    };
  },
  close(ctx) {
    ctx.modules.tools.connections.close();
  },
  metrics(ctx) {
    return [ctx.modules.tools.duration];
  },
};
