import type { Module } from '../module.ts';
import { eraseEventPayloads } from './events.erase.ts';
import { eventRoutes } from './events.routes.ts';
import { purgeEvents, purgeWorkspaceEvents } from './events.service.ts';
import type { StreamOptions } from './events.stream.ts';

/** The events module (the table is the platform's); tests pass a short heartbeat. */
export function createEventsModule(options: Partial<StreamOptions> = {}): Module {
  return {
    name: 'events',
    erase: eraseEventPayloads,
    retain: { events: purgeWorkspaceEvents },
    routes: eventRoutes({ heartbeatMs: options.heartbeatMs ?? 15_000 }),
    startWorker(ctx) {
      const run = () => purgeEvents(ctx).catch((err) => ctx.logger.warn({ err }, 'event purge failed'));
      void run();
      const timer = setInterval(run, 3_600_000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

export const eventsModule = createEventsModule();
