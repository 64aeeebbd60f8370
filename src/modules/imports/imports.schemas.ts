import { z } from 'zod';
import { baseObject, describe, idOf, listQuery, nullableTimestamp } from '../../platform/http/schemas.ts';

const onConflict = describe(
  z.enum(['skip', 'update']),
  'What to do with a row whose phone (or, without a phone, email) is already a contact: `skip` it, or `update` it (name and email replaced when given, attributes merged, tags added).',
  'skip',
);
const audienceId = describe(
  idOf('aud'),
  'A static audience every imported contact (new or existing) is added to.',
  'aud_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
);

export const importQuery = z.object({
  audience_id: audienceId.optional(),
  on_conflict: onConflict.optional(),
});

const jsonRow = z.strictObject({
  phone: describe(
    z.string().max(40).nullable(),
    'Phone number (E.164 or local to the default country).',
    '+919876543210',
  ).optional(),
  name: describe(z.string().max(200).nullable(), 'Full name.', 'Asha Rao').optional(),
  email: describe(z.string().max(254).nullable(), 'Email address.', 'asha@example.com').optional(),
  tags: describe(
    z.union([z.array(z.string().max(100)).max(100), z.string().max(2000)]).nullable(),
    'Tags, as a list or one string separated by `;` or `|`.',
    ['vip'],
  ).optional(),
  attributes: describe(
    z
      .record(
        z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
        z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
      )
      .nullable(),
    'Attributes (merged into existing ones on update).',
    { city: 'Pune' },
  ).optional(),
});

// A CSV or multipart upload arrives as bytes (or nothing parsed); the JSON shape applies to JSON bodies only.
export const importBody = z.preprocess(
  (v) => (Buffer.isBuffer(v) ? {} : v),
  z.strictObject({
    rows: describe(
      z.array(jsonRow).max(1_000_000),
      'The rows, for a JSON upload (row numbers in errors count from 1).',
      [{ phone: '+919876543210', name: 'Asha Rao', tags: ['vip'] }],
    ).optional(),
    audience_id: audienceId.optional(),
    on_conflict: onConflict.optional(),
  }),
);

const rowError = z.object({
  row: describe(
    z.number().int(),
    'The line of the file (the header is line 1), or the index from 1 of a JSON row; 0 for the whole file.',
    7,
  ),
  field: describe(z.string(), 'The field at fault (`file` for the file as a whole).', 'phone'),
  message: describe(z.string(), 'What is wrong.', 'must be a valid E.164 phone number (got "12345")'),
});

export const importObject = z.object({
  ...baseObject('imp', 'import'),
  status: describe(
    z.enum(['queued', 'processing', 'completed', 'failed']),
    '`failed`: the file could not be read to its end; the counts say what was written before.',
    'completed',
  ),
  source: describe(z.enum(['csv', 'json']), 'How the rows were sent.', 'csv'),
  filename: describe(z.string().nullable(), 'Name of the uploaded file (multipart uploads).', 'contacts.csv'),
  byte_size: describe(z.number().int(), 'Size of the upload.', 52_318),
  on_conflict: onConflict,
  audience_id: describe(
    z.string().nullable(),
    'The audience the contacts were added to.',
    'aud_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ),
  total_rows: describe(
    z.number().int(),
    'Data rows read so far (final once completed); blank rows are not counted.',
    1000,
  ),
  created: describe(z.number().int(), 'Contacts created.', 950),
  updated: describe(z.number().int(), 'Existing contacts updated (`on_conflict: update`).', 0),
  skipped: describe(
    z.number().int(),
    'Rows not written: existing contacts under `on_conflict: skip`, and repeats of a phone earlier in the file.',
    40,
  ),
  failed: describe(z.number().int(), 'Rows refused (an invalid phone or email, or neither).', 10),
  errors: describe(z.array(rowError), `Problems by row: the first ${1000} only.`),
  error_count: describe(z.number().int(), 'All problems, including those beyond the stored list.', 10),
  errors_truncated: describe(z.boolean(), 'True when `errors` holds only the first 1,000.', false),
  started_at: nullableTimestamp('When processing started'),
  completed_at: nullableTimestamp('When it completed or failed'),
});

export const listImportsQuery = listQuery({
  status: describe(
    z.enum(['queued', 'processing', 'completed', 'failed']).optional(),
    'Only imports in this status.',
    'completed',
  ),
});
