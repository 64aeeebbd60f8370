import { z } from 'zod';
import { describe, idOf } from '../../platform/http/schemas.ts';

export const erasureObject = z.object({
  id: idOf('era', 'Unique identifier of the erasure.'),
  object: describe(z.literal('contact_erasure'), 'The type of this object.', 'contact_erasure'),
  livemode: describe(z.boolean(), 'True for live-mode objects, false for test-mode ones.', false),
  contact_id: idOf('ct', 'The contact erased (it no longer exists).'),
  reason: describe(
    z.string().nullable(),
    'Why, as given with the request (null for a plain delete).',
    'Customer request under DPDP s.12',
  ),
  status: describe(
    z.enum(['running', 'completed']),
    '`running` while the job works through the modules (it resumes after a crash); `completed` when nothing of the person is left.',
    'completed',
  ),
  created_at: describe(z.string(), 'When it was asked for.', '2026-11-25T09:00:00.000Z'),
  completed_at: describe(z.string().nullable(), 'When it completed.', '2026-11-25T09:00:02.000Z'),
});

export const eraseContactBody = z.strictObject({
  reason: describe(
    z.string().trim().min(1).max(500),
    'Why (kept on the erasure record; say the request, not the person).',
    'Customer request under DPDP s.12',
  ),
});

export const exportQuery = z.strictObject({
  format: describe(
    z.enum(['json', 'zip']),
    '`json` (the default) or `zip` (the document and the files kept of their messages). Without it, `Accept: application/zip` asks for the zip.',
    'zip',
  ).optional(),
});
