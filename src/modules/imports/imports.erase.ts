import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import { type ErasureSubject, redactText } from '../../platform/erasure.ts';

/**
 * Imported files are kept in chunks while an import runs, and imports keep their row errors: the
 * person's identifiers are replaced in both, wherever they appear.
 */
export async function eraseImportData(ctx: AppContext, subject: ErasureSubject) {
  const imports = await tenant(ctx.db, subject).selectFrom('imports').select(['id', 'errors']).execute();
  for (const imp of imports) {
    const errors = redactText(imp.errors, subject.identifiers)!;
    if (errors !== imp.errors)
      await ctx.db.updateTable('imports').set({ errors }).where('id', '=', imp.id).execute();
    const chunks = await ctx.db
      .selectFrom('import_chunks')
      .select(['seq', 'data'])
      .where('import_id', '=', imp.id)
      .execute();
    for (const c of chunks) {
      const data = redactText(c.data, subject.identifiers)!;
      if (data !== c.data)
        await ctx.db
          .updateTable('import_chunks')
          .set({ data })
          .where('import_id', '=', imp.id)
          .where('seq', '=', c.seq)
          .execute();
    }
  }
}
