import type { AppContext } from '../../platform/context.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';
import { eraseContactConsents } from './contacts.consents.ts';

/** The consent ledger keeps only the fact of the erasure and its time. */
export async function eraseConsents(ctx: AppContext, subject: ErasureSubject) {
  await ctx.transaction((tx) => eraseContactConsents(tx, subject, subject.contactId, ctx.clock.now()));
}
