import { z } from 'zod';
import { errorCodes } from '../errors.ts';
import type { IdPrefix } from '../ids.ts';

/**
 * Building blocks for route schemas. Every field carries a description and an example, because
 * the OpenAPI document (and the SDK typed from it) is generated from these schemas.
 */
export const describe = <T extends z.ZodType>(schema: T, description: string, example?: unknown): T =>
  schema.meta(example === undefined ? { description } : { description, examples: [example] }) as T;

const exampleUlid = '01JD5Z8Q4X3N2M1K0H9G8F7E6D';

export const idOf = (prefix: IdPrefix, description?: string) =>
  describe(
    z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`), `must be an id starting with ${prefix}_`),
    description ?? `Identifier (\`${prefix}_\` prefix).`,
    `${prefix}_${exampleUlid}`,
  );

export const timestamp = (description: string) =>
  describe(z.string(), `${description} (ISO 8601, UTC).`, '2026-05-10T08:23:41.000Z');

export const nullableTimestamp = (description: string) =>
  describe(z.string().nullable(), `${description} (ISO 8601, UTC), or null.`, '2026-05-10T08:23:41.000Z');

/** `id`, `livemode`, `created_at`, `updated_at`: on every object. */
export const baseObject = (prefix: IdPrefix, objectName: string) => ({
  id: idOf(prefix, `Unique identifier of the ${objectName}.`),
  object: describe(z.literal(objectName), 'The type of this object.', objectName),
  livemode: describe(z.boolean(), 'True for live-mode objects, false for test-mode ones.', false),
  created_at: timestamp('When it was created'),
  updated_at: timestamp('When it last changed'),
});

/** The first fields of an object as the API answers it (`...objectHead(row, 'lead')`): `baseObject`'s id, object and livemode. */
export const objectHead = <T extends string>(row: { id: string; livemode: number }, object: T) => ({
  id: row.id,
  object,
  livemode: row.livemode === 1,
});

export const idParams = (prefix: IdPrefix) => z.object({ id: idOf(prefix) });

/** Query strings give strings; repeated parameters give arrays. */
export const queryBoolean = (description: string) =>
  describe(
    z
      .preprocess(
        (v) => (v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : v),
        z.boolean(),
      )
      .optional(),
    description,
    true,
  );

export const queryList = (description: string, example: string) =>
  describe(
    z
      .preprocess(
        (v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v),
        z.array(z.string().min(1)),
      )
      .optional(),
    description,
    example,
  );

export const paginationQuery = {
  page: describe(z.coerce.number().int().min(1).max(1_000_000).default(1), 'Page number, from 1.', 1),
  per_page: describe(
    z.coerce.number().int().min(1).max(100).optional(),
    'Items per page (default 20, max 100).',
    20,
  ),
  limit: describe(z.coerce.number().int().min(1).max(100).optional(), 'Alias of per_page.', 20),
  starting_after: describe(
    z
      .string()
      .regex(/^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be the id of an item of this list')
      .optional(),
    "The page of items after this item's id, in the list's order (the last id of the page read): pages that do not shift when items are added or removed meanwhile. Not with a `page` past 1.",
    `ct_${exampleUlid}`,
  ),
  ending_before: describe(
    z
      .string()
      .regex(/^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be the id of an item of this list')
      .optional(),
    "The page of items before this item's id, in the list's order (the first id of the page read).",
    `ct_${exampleUlid}`,
  ),
};

/**
 * A list's query: pagination and its filters; any other parameter is a 400 naming it, except
 * those starting with `openPrefix` (`attributes.` on contacts), whose names are open-ended.
 */
export function listQuery<T extends z.ZodRawShape>(filters: T, opts: { openPrefix?: string } = {}) {
  const shape = { ...paginationQuery, ...filters };
  const prefix = opts.openPrefix;
  if (!prefix) return z.strictObject(shape);
  return z
    .object(shape)
    .catchall(z.unknown())
    .superRefine((value, ctx) => {
      const keys = Object.keys(value).filter((k) => !(k in shape) && !k.startsWith(prefix));
      if (keys.length) ctx.addIssue({ code: 'unrecognized_keys', keys, input: value });
    }) as unknown as z.ZodObject<typeof shape>;
}

export const listResponse = <T extends z.ZodType>(item: T) =>
  z.object({
    data: describe(z.array(item), 'The items of this page.'),
    meta: describe(
      z.object({
        total: describe(z.number().int(), 'Items matching the filters, across all pages.', 248),
        page: describe(z.number().int(), 'This page, from 1.', 1),
        per_page: describe(z.number().int(), 'Items per page.', 20),
        total_pages: describe(z.number().int(), 'Number of pages.', 13),
        has_more: describe(
          z.boolean(),
          'Whether more items follow: after this page (by page number or `starting_after`), or before it (`ending_before`).',
          true,
        ),
      }),
      'Pagination.',
    ),
  });

export const errorResponse = z
  .object({
    error: describe(
      z
        .object({
          code: describe(
            z.enum(Object.keys(errorCodes) as [keyof typeof errorCodes]),
            'Machine-readable error code.',
            'validation_failed',
          ),
          message: describe(
            z.string(),
            'Human-readable explanation.',
            'to: must be a valid E.164 phone number',
          ),
          request_id: describe(
            z.string(),
            'The request id, also in the X-Request-Id header.',
            `req_${exampleUlid}`,
          ),
          errors: describe(
            z.array(
              z.object({
                field: describe(z.string(), 'The invalid field, dotted for nested ones.', 'to'),
                message: describe(z.string(), 'What is wrong with it.', 'must be a valid E.164 phone number'),
              }),
            ),
            'Every invalid field (validation errors only).',
          ).optional(),
        })
        .catchall(z.unknown()),
      'The error.',
    ),
  })
  .meta({ description: 'The one error shape of every failed request.' });

export const deletedResponse = (prefix: IdPrefix, objectName: string) =>
  z.object({
    id: idOf(prefix, `The deleted ${objectName}.`),
    object: describe(z.literal(objectName), 'The type of the deleted object.', objectName),
    deleted: describe(z.literal(true), 'Always true.', true),
  });

export const stringMap = (description: string) =>
  describe(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), description, {
    plan: 'premium',
  });
