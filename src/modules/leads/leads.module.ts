import { moveContactRows } from '../../platform/db/rows.ts';
import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { eraseLeads } from './leads.erase.ts';
import { leadsMigrations } from './leads.migrations.ts';
import { leadRoutes } from './leads.routes.ts';

export const leadsModule: Module = {
  name: 'leads',
  erase: eraseLeads,
  migrations: leadsMigrations,
  routes: leadRoutes,
  setup(ctx) {
    // A contact merge: the other contact's leads become the kept one's.
    ctx.reactions.add(
      contactMergeReaction('leads.contact_merge', async (tx, e) => {
        await moveContactRows(
          tx.db,
          'leads',
          { workspaceId: e.workspaceId, livemode: e.livemode },
          e.fromId,
          e.intoId,
        );
      }),
    );
  },
};
