import { chunked } from '../../platform/chunked.ts';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError, type FieldError, validationFailed } from '../../platform/errors.ts';
import type { Actor } from '../../platform/events.ts';
import { type Page, type PageRequest, paginate, whereEquals } from '../../platform/http/pagination.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import { checkHeaderSample, queueTemplateReview } from '../channels/index.ts';
import { parsePlaceholders } from './content.ts';
import type { TemplateRow, TemplateStatus } from './messaging.tables.ts';

export type { Scope };

/** A template's header: text (with at most one placeholder), or an image, video or document given at send time. */
export type TemplateHeader = { type: 'text'; text: string } | { type: 'image' | 'video' | 'document' };
export const isMediaHeader = (h: { type: string } | null | undefined): boolean =>
  h?.type === 'image' || h?.type === 'video' || h?.type === 'document';

export interface TemplateButton {
  /** `otp`: an authentication template's one-time-password button (adopted by sync only). */
  type: 'quick_reply' | 'url' | 'phone_number' | 'otp';
  text: string;
  url?: string;
  phone_number?: string;
  otp_type?: string;
}

export function presentTemplate(row: TemplateRow) {
  const ph = parsePlaceholders(row.body);
  return {
    ...objectHead(row, 'template'),
    name: row.name,
    language: row.language,
    category: row.category,
    body: row.body,
    header: fromJson<TemplateHeader | null>(row.header, null),
    footer: row.footer,
    buttons: fromJson<TemplateButton[]>(row.buttons, []),
    placeholders: typeof ph === 'string' ? [] : ph.names,
    status: row.status,
    status_reason: row.status_reason,
    quality: row.quality ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
export type TemplateObject = ReturnType<typeof presentTemplate>;

function checkTemplateText(
  body: string | undefined,
  header: TemplateHeader | null | undefined,
  examples?: TemplateExamples | null,
): FieldError[] {
  const errors: FieldError[] = [];
  if (body !== undefined) {
    const ph = parsePlaceholders(body);
    if (typeof ph === 'string') errors.push({ field: 'body', message: ph });
  }
  if (header && isMediaHeader(header)) {
    // Meta reviews a media header on a sample file: the handle its Resumable Upload API returns.
    if (!examples?.header_handle && !examples?.header_media_id)
      errors.push({
        field: 'examples.header_handle',
        message: `is required for a ${header.type} header: the handle of a sample file uploaded with Meta's Resumable Upload API, or header_media_id (a file uploaded with POST /v1/media, which Parley uploads to Meta)`,
      });
  } else if (header && 'text' in header) {
    const ph = parsePlaceholders(header.text);
    if (typeof ph === 'string') errors.push({ field: 'header.text', message: ph });
    else if (ph.names.length > 1)
      errors.push({ field: 'header.text', message: 'may have at most one placeholder' });
  }
  return errors;
}

/** An uploaded header sample (`examples.header_media_id`) Parley will upload to Meta: fit for it? */
function checkSampleFile(
  ctx: AppContext,
  db: Db | Trx,
  scope: Scope,
  header: TemplateHeader | null | undefined,
  examples: TemplateExamples | null | undefined,
): Promise<FieldError[]> {
  if (!header || header.type === 'text' || !examples?.header_media_id || examples.header_handle)
    return Promise.resolve([]);
  return checkHeaderSample(ctx, db, scope, header.type, examples.header_media_id);
}

export type Values = string[] | Record<string, string | number>;
export interface TemplateExamples {
  header?: Values;
  body?: Values;
  buttons?: Array<{ index: number; value: string }>;
  /** A media header's sample: the handle of a file uploaded with Meta's Resumable Upload API. */
  header_handle?: string;
  /** A file uploaded with POST /v1/media: Parley uploads it with Meta's Resumable Upload API for the handle. */
  header_media_id?: string;
}

export interface CreateTemplateInput {
  name: string;
  language: string;
  category: TemplateRow['category'];
  body: string;
  header?: TemplateHeader | null;
  footer?: string | null;
  buttons?: TemplateButton[];
  examples?: TemplateExamples;
}

/** Test mode approves at once; live mode starts `pending` until the provider reviews it. */
export async function createTemplate(ctx: AppContext, scope: Scope, input: CreateTemplateInput) {
  const errors = checkTemplateText(input.body, input.header, input.examples);
  if (!errors.length)
    errors.push(...(await checkSampleFile(ctx, ctx.db, scope, input.header, input.examples)));
  if (errors.length) throw validationFailed(errors);
  const now = ctx.clock.now().toISOString();
  const row: TemplateRow = {
    ...newRow('tpl', scope),
    name: input.name,
    language: input.language,
    category: input.category,
    body: input.body,
    header: input.header ? toJson(input.header) : null,
    buttons: input.buttons?.length ? toJson(input.buttons) : null,
    footer: input.footer ?? null,
    examples: input.examples ? toJson(input.examples) : null,
    status: scope.livemode ? 'pending' : 'approved',
    status_reason: null,
    created_at: now,
    updated_at: now,
  };
  return ctx.transaction(async (tx) => {
    const existing = await findTemplate(tx.db, scope, input.name, input.language);
    if (existing) {
      throw new ApiError(
        'conflict',
        `A template ${input.name} (${input.language}) already exists: ${existing.id}.`,
        { details: { existing_id: existing.id } },
      );
    }
    await tx.db.insertInto('templates').values(row).execute();
    await queueTemplateReview(ctx, tx, scope, row.id);
    return presentTemplate(row);
  });
}

export async function findTemplate(
  db: Db | Trx,
  scope: Scope,
  name: string,
  language: string,
): Promise<TemplateRow | undefined> {
  return tenant(db, scope)
    .selectFrom('templates')
    .selectAll()
    .where('name', '=', name)
    .where('language', '=', language)
    .executeTakeFirst();
}

/** Without a language: the only template of that name, or an error asking for the language. */
export async function findTemplateForSend(
  db: Db | Trx,
  scope: Scope,
  name: string,
  language: string | undefined,
): Promise<TemplateRow> {
  const rows = language
    ? [await findTemplate(db, scope, name, language)].filter((row) => row !== undefined)
    : await tenant(db, scope).selectFrom('templates').selectAll().where('name', '=', name).limit(2).execute();
  const found = templateForSend(rows, name, language);
  if (found instanceof ApiError) throw found;
  return found;
}

/** A send's template reference, as the batched writer keys it. */
export const templateRefKey = (name: string, language: string | undefined) =>
  `${name}\u0000${language ?? ''}`;

/**
 * The templates of many sends of one workspace and mode, with one query: each reference
 * (name, language) gets its row or the error `findTemplateForSend` would throw for it.
 */
export async function findTemplatesForSend(
  db: Db | Trx,
  scope: Scope,
  refs: ReadonlyArray<{ name: string; language?: string }>,
): Promise<Map<string, TemplateRow | ApiError>> {
  const byName = new Map<string, TemplateRow[]>();
  for (const names of chunked([...new Set(refs.map((r) => r.name))])) {
    const rows = await tenant(db, scope)
      .selectFrom('templates')
      .selectAll()
      .where('name', 'in', names)
      .execute();
    for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  }
  const found = new Map<string, TemplateRow | ApiError>();
  for (const { name, language } of refs) {
    const rows = (byName.get(name) ?? []).filter((row) => !language || row.language === language);
    found.set(templateRefKey(name, language), templateForSend(rows, name, language));
  }
  return found;
}

/** The one template a send names among the rows that match it, or why there is none. */
function templateForSend(
  rows: TemplateRow[],
  name: string,
  language: string | undefined,
): TemplateRow | ApiError {
  if (rows.length === 0)
    return new ApiError(
      'template_not_approved',
      language
        ? `No template named ${name} in language ${language}; create it with POST /v1/templates.`
        : `No template named ${name}; create it with POST /v1/templates.`,
      { details: { template: name } },
    );
  if (rows.length > 1)
    return validationFailed([
      { field: 'template.language', message: `is required: template ${name} exists in several languages` },
    ]);
  return rows[0]!;
}

export function getTemplateRow(db: Db | Trx, scope: Scope, id: string): Promise<TemplateRow> {
  return tenant(db, scope).getById('templates', id, 'template');
}

export async function listTemplates(
  ctx: AppContext,
  scope: Scope,
  f: { status?: TemplateStatus; name?: string; language?: string; category?: string },
  page: PageRequest,
): Promise<Page<TemplateObject>> {
  const q = tenant(ctx.db, scope).selectFrom('templates').selectAll();
  const filtered = whereEquals(q, f, ['status', 'name', 'language', 'category']);
  return paginate(filtered.orderBy('id', 'desc'), page, presentTemplate);
}

export interface UpdateTemplateInput {
  category?: TemplateRow['category'];
  body?: string;
  header?: TemplateHeader | null;
  footer?: string | null;
  buttons?: TemplateButton[];
  examples?: TemplateExamples;
  status?: TemplateStatus;
}

/**
 * The columns an update changes. New content sends a live template back to review; a status set
 * in test mode is kept as given.
 */
function templatePatch(
  input: UpdateTemplateInput,
  livemode: boolean,
  now: string,
): { patch: Partial<TemplateRow>; contentChanged: boolean } {
  const patch: Partial<TemplateRow> = { updated_at: now };
  if (input.category !== undefined) patch.category = input.category;
  if (input.body !== undefined) patch.body = input.body;
  if (input.header !== undefined) patch.header = input.header ? toJson(input.header) : null;
  if (input.footer !== undefined) patch.footer = input.footer;
  if (input.buttons !== undefined) patch.buttons = input.buttons.length ? toJson(input.buttons) : null;
  if (input.examples !== undefined) patch.examples = toJson(input.examples);
  const contentChanged = ['category', 'body', 'header', 'footer', 'buttons', 'examples'].some(
    (k) => k in patch,
  );
  if (contentChanged && livemode) {
    patch.status = 'pending';
    patch.status_reason = null;
  }
  if (input.status !== undefined) {
    patch.status = input.status;
    patch.status_reason = input.status === 'approved' ? null : 'set in test mode';
  }
  return { patch, contentChanged };
}

/**
 * Editing the content sends a live template back to review (`pending`); in test mode it stays
 * approved. `status` may be set only in test mode, to rehearse rejected or paused templates.
 */
export async function updateTemplate(
  ctx: AppContext,
  scope: Scope,
  id: string,
  input: UpdateTemplateInput,
  actor: Actor,
) {
  if (input.status !== undefined && scope.livemode) {
    throw validationFailed([
      {
        field: 'status',
        message: 'can be set only in test mode; live statuses come from the provider review',
      },
    ]);
  }
  return ctx.transaction(async (tx) => {
    const row = await getTemplateRow(tx.db, scope, id);
    const examples = input.examples ?? fromJson<TemplateExamples | null>(row.examples, null);
    const errors = checkTemplateText(input.body, input.header, examples);
    const header =
      input.header !== undefined ? input.header : fromJson<TemplateHeader | null>(row.header, null);
    if (!errors.length) errors.push(...(await checkSampleFile(ctx, tx.db, scope, header, examples)));
    if (errors.length) throw validationFailed(errors);
    const { patch, contentChanged } = templatePatch(input, scope.livemode, ctx.clock.now().toISOString());
    await tx.db.updateTable('templates').set(patch).where('id', '=', row.id).execute();
    const updated = { ...row, ...patch };
    if (contentChanged) await queueTemplateReview(ctx, tx, scope, updated.id);
    if (updated.status !== row.status) {
      await tx.emit({
        workspaceId: scope.workspaceId,
        livemode: scope.livemode,
        type: 'template.status_updated',
        actor,
        data: presentTemplate(updated),
      });
    }
    return presentTemplate(updated);
  });
}

export async function deleteTemplate(ctx: AppContext, scope: Scope, id: string) {
  const row = await getTemplateRow(ctx.db, scope, id);
  await ctx.db.deleteFrom('templates').where('id', '=', row.id).execute();
  return { id: row.id, object: 'template' as const, deleted: true as const };
}

/**
 * Records a provider's review result (e.g. Meta's template webhook). Without a language, every
 * language of that name changes. Emits `template.status_updated` for each template that changed.
 */
export async function setTemplateStatus(
  ctx: AppContext,
  scope: Scope,
  ref: { name: string; language?: string },
  status: TemplateStatus,
  reason?: string,
): Promise<TemplateObject[]> {
  return ctx.transaction(async (tx) => {
    let q = tenant(tx.db, scope).selectFrom('templates').selectAll().where('name', '=', ref.name);
    if (ref.language) q = q.where('language', '=', ref.language);
    const rows = await q.execute();
    const out: TemplateObject[] = [];
    const now = ctx.clock.now().toISOString();
    for (const row of rows) {
      if (row.status === status && (row.status_reason ?? null) === (reason ?? null)) {
        out.push(presentTemplate(row));
        continue;
      }
      const patch = { status, status_reason: reason ?? null, updated_at: now };
      await tx.db.updateTable('templates').set(patch).where('id', '=', row.id).execute();
      const updated = presentTemplate({ ...row, ...patch });
      await tx.emit({
        workspaceId: scope.workspaceId,
        livemode: scope.livemode,
        type: 'template.status_updated',
        actor: { type: 'system', id: null },
        data: updated,
      });
      out.push(updated);
    }
    return out;
  });
}
