import type { Module } from '../module.ts';
import { eraseContactJob, runErasure } from './privacy.erasure.ts';
import { privacyMigrations } from './privacy.migrations.ts';
import { purgeOldAuditEntries, retentionJob, runRetention, scheduleRetention } from './privacy.retention.ts';
import { privacyRoutes } from './privacy.routes.ts';

/** A person's rights over their data: erasure, export, retention and the audit log. */
export const privacyModule: Module = {
  name: 'privacy',
  migrations: privacyMigrations,
  routes: privacyRoutes,
  retain: { audit_log: purgeOldAuditEntries },
  setup(ctx) {
    ctx.queue.register(eraseContactJob, (payload) => runErasure(ctx, payload.erasureId));
    ctx.queue.register(retentionJob, (payload, job) => runRetention(ctx, payload.day, job));
  },
  startWorker(ctx) {
    return scheduleRetention(ctx);
  },
};
