import type { Module } from '../module.ts';
import { runDigests } from './notifications.digest.ts';
import { eraseMentions } from './notifications.erase.ts';
import { digestJob, pushJob } from './notifications.jobs.ts';
import { notificationsMigrations } from './notifications.migrations.ts';
import { notificationRoutes } from './notifications.routes.ts';
import { deliverPush, digestFrequencyOf, NOTIFIED, notificationSink } from './notifications.service.ts';

export const notificationsModule: Module = {
  name: 'notifications',
  migrations: notificationsMigrations,
  routes: notificationRoutes,
  erase: eraseMentions,
  setup(ctx) {
    ctx.queue.register(pushJob, (p) => deliverPush(ctx, p.userId, p.message));
    ctx.queue.register(digestJob, () => runDigests(ctx, (userId) => digestFrequencyOf(ctx, userId)));
    ctx.reactions.add({
      name: 'notifications.push',
      hears: NOTIFIED,
      step: 'record',
      run: notificationSink(ctx),
    });
  },
  startWorker(ctx) {
    // Digests are gathered when a period ends: a poll every minute (one job at a time).
    const poll = () =>
      ctx.queue
        .enqueue(ctx.db, digestJob, {}, { singletonKey: 'notifications.digest' })
        .catch((err) => ctx.logger.warn({ err }, 'digest scheduling failed'));
    const timer = setInterval(poll, 60_000);
    timer.unref();
    return () => clearInterval(timer);
  },
};
