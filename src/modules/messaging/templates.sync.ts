import type { AppContext } from '../../platform/context.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import type { Tx } from '../../platform/events.ts';
import { toJson } from '../../platform/json.ts';
import type { ProviderTemplate } from '../channels/index.ts';
import type { TemplateRow } from './messaging.tables.ts';
import { presentTemplate } from './templates.service.ts';

/**
 * Template sync: a business's templates as its WhatsApp Business Account holds them are adopted
 * with their real status, category, quality, language and components. A known template (same
 * name and language) is updated; a new one stored. Nothing is submitted for review again
 * (`queueTemplateReview` is not called). A status change emits `template.status_updated`.
 */
export async function adoptTemplates(
  ctx: AppContext,
  scope: Scope,
  templates: ProviderTemplate[],
): Promise<{ created: number; updated: number; unchanged: number }> {
  const counts = { created: 0, updated: 0, unchanged: 0 };
  const now = ctx.clock.now().toISOString();
  // One transaction per 100, so a WABA with thousands of templates never holds the writer long.
  for (let i = 0; i < templates.length; i += 100) {
    const part = templates.slice(i, i + 100);
    await ctx.transaction(async (tx) => {
      // The part's known templates with one query, its new ones with one insert.
      const known = await tenant(tx.db, scope)
        .selectFrom('templates')
        .selectAll()
        .where(
          'name',
          'in',
          part.map((t) => t.name),
        )
        .execute();
      const byKey = new Map(known.map((r) => [`${r.name}:${r.language}`, r]));
      const fresh: TemplateRow[] = [];
      for (const t of part) {
        const existing = byKey.get(`${t.name}:${t.language}`);
        if (existing) counts[await updateOne(tx, scope, existing, t, now)]++;
        else if (!fresh.some((f) => f.name === t.name && f.language === t.language)) {
          fresh.push(newTemplateRow(scope, t, now));
          counts.created++;
        }
      }
      if (fresh.length) await tx.db.insertInto('templates').values(fresh).execute();
    });
  }
  return counts;
}

function newTemplateRow(scope: Scope, t: ProviderTemplate, now: string): TemplateRow {
  return {
    ...newRow('tpl', scope),
    name: t.name,
    language: t.language,
    ...columnsOf(t),
    examples: t.examples ? toJson(t.examples) : null,
    synced_at: now,
    created_at: now,
    updated_at: now,
  };
}

function columnsOf(t: ProviderTemplate) {
  return {
    category: t.category,
    body: t.body,
    header: t.header ? toJson(t.header) : null,
    buttons: t.buttons.length ? toJson(t.buttons) : null,
    footer: t.footer,
    status: t.status,
    status_reason: t.statusReason,
    provider_template_id: t.providerTemplateId || null,
    quality: t.quality,
  };
}

async function updateOne(
  tx: Tx,
  scope: Scope,
  existing: TemplateRow,
  t: ProviderTemplate,
  now: string,
): Promise<'updated' | 'unchanged'> {
  const cols = columnsOf(t);
  const changed = (Object.keys(cols) as Array<keyof typeof cols>).some(
    (k) => (existing[k] ?? null) !== (cols[k] ?? null),
  );
  if (!changed) {
    await tx.db.updateTable('templates').set({ synced_at: now }).where('id', '=', existing.id).execute();
    return 'unchanged';
  }
  const patch = {
    ...cols,
    // Samples of Parley's own are kept; Meta's fill in where there were none.
    examples: existing.examples ?? (t.examples ? toJson(t.examples) : null),
    synced_at: now,
    updated_at: now,
  };
  await tx.db.updateTable('templates').set(patch).where('id', '=', existing.id).execute();
  if (existing.status !== t.status)
    await tx.emit({
      workspaceId: scope.workspaceId,
      livemode: scope.livemode,
      type: 'template.status_updated',
      actor: { type: 'system', id: null },
      data: presentTemplate({ ...existing, ...patch }),
    });
  return 'updated';
}

/**
 * Meta changed a template's category (`template_category_update`) or quality rating
 * (`message_template_quality_update`). A category change runs the `templateCategoryChanged` port (the
 * broadcasts module flags scheduled broadcasts of a template that turned marketing).
 */
export async function applyTemplateChange(
  ctx: AppContext,
  scope: Scope,
  ref: { name: string; language?: string },
  change: { category?: TemplateRow['category']; quality?: string },
): Promise<void> {
  await ctx.transaction(async (tx) => {
    let q = tenant(tx.db, scope).selectFrom('templates').selectAll().where('name', '=', ref.name);
    if (ref.language) q = q.where('language', '=', ref.language);
    const now = ctx.clock.now().toISOString();
    for (const row of await q.execute()) {
      const patch: Partial<TemplateRow> = {};
      if (change.category && change.category !== row.category) patch.category = change.category;
      if (change.quality && change.quality !== row.quality) patch.quality = change.quality;
      if (Object.keys(patch).length === 0) continue;
      await tx.db
        .updateTable('templates')
        .set({ ...patch, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      if (patch.category)
        await ctx.ports.templateCategoryChanged?.(tx, {
          workspaceId: scope.workspaceId,
          livemode: scope.livemode,
          template: { ...row, ...patch },
          previous: row.category,
        });
    }
  });
}
