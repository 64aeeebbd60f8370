import { contactMergeReaction } from '../contacts/index.ts';
import type { Module } from '../module.ts';
import { eraseAudienceMembers } from './audiences.erase.ts';
import { audiencesMigrations } from './audiences.migrations.ts';
import { audienceRoutes } from './audiences.routes.ts';

export const audiencesModule: Module = {
  name: 'audiences',
  erase: eraseAudienceMembers,
  migrations: audiencesMigrations,
  routes: audienceRoutes,
  setup(ctx) {
    // A contact merge: the kept contact joins the other's audiences (once each); the rest of the
    // other's memberships go, since the merged-away contact is never reached again.
    ctx.reactions.add(
      contactMergeReaction('audiences.contact_merge', async (tx, e) => {
        await tx.db
          .updateTable('audience_members')
          .set({ contact_id: e.intoId })
          .where('contact_id', '=', e.fromId)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('audience_members as kept')
                  .select('kept.audience_id')
                  .where('kept.contact_id', '=', e.intoId)
                  .whereRef('kept.audience_id', '=', 'audience_members.audience_id'),
              ),
            ),
          )
          .execute();
        await tx.db.deleteFrom('audience_members').where('contact_id', '=', e.fromId).execute();
      }),
    );
  },
};
