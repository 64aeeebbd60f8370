import type { Module } from '../module.ts';
import { eraseMentions } from './notifications.erase.ts';
import { pushJob } from './notifications.jobs.ts';
import { notificationsMigrations } from './notifications.migrations.ts';
import { notificationRoutes } from './notifications.routes.ts';
import { deliverPush, NOTIFIED, notificationSink } from './notifications.service.ts';

export const notificationsModule: Module = {
  name: 'notifications',
  migrations: notificationsMigrations,
  routes: notificationRoutes,
  erase: eraseMentions,
  setup(ctx) {
    ctx.queue.register(pushJob, (p) => deliverPush(ctx, p.userId, p.message));
    ctx.reactions.add({
      name: 'notifications.push',
      hears: NOTIFIED,
      step: 'record',
      run: notificationSink(ctx),
    });
  },
};
