import { ApiError, type ErrorCode, type FieldError } from '../../platform/errors.ts';
import type { ItemError } from './calls.write.ts';

/** Codes an item of a batch may fail with that the route documents; any other is `unprocessable`. */
export const batchItemCodes: ErrorCode[] = [
  'validation_failed',
  'not_found',
  'channel_not_configured',
  'contact_dnd',
  'contact_opted_out',
  'unprocessable',
];

/**
 * A batch where no call was placed is an error (SPEC: 201 only when at least one call was
 * created): the items' common code, else `validation_failed` when one item was invalid, else
 * `unprocessable`. `errors` names each item's fields (`calls[0].from`); `items` has every item's
 * code and message as a partial batch's `errors` would.
 */
export function noCallPlaced(items: ItemError[], headers: Record<string, string>): ApiError {
  const codes = new Set<ErrorCode>(
    items.map((i) =>
      batchItemCodes.includes(i.code as ErrorCode) ? (i.code as ErrorCode) : 'unprocessable',
    ),
  );
  const code: ErrorCode =
    codes.size === 1 ? [...codes][0] : codes.has('validation_failed') ? 'validation_failed' : 'unprocessable';
  const errors: FieldError[] = items.flatMap((i) =>
    i.errors?.length
      ? i.errors.map((e) => ({ field: `calls[${i.index}].${e.field}`, message: e.message }))
      : [{ field: `calls[${i.index}]`, message: i.message }],
  );
  const summary = items
    .slice(0, 3)
    .map((i) => `calls[${i.index}]: ${i.message}`)
    .join('; ');
  return new ApiError(code, `No call was placed. ${summary}${items.length > 3 ? '; ...' : ''}`, {
    errors,
    headers,
    details: { items },
  });
}
