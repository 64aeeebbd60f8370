import { z } from 'zod';
import { baseObject, describe, listQuery } from '../../platform/http/schemas.ts';

/** The variables a canned response may use; anything else in `{{...}}` is refused at save. */
export const cannedVariables = [
  'contact.name',
  'contact.phone',
  'user.name',
  'agent.name',
  'business.address',
] as const;

const shortCode = describe(
  z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, - and _ only (no spaces)'),
  'What a person types after `/` in the inbox composer to pick it; unique per workspace and mode (case-insensitive).',
  'hours',
);
const title = describe(z.string().trim().min(1).max(200), 'A name people recognise.', 'Opening hours');
const content = describe(
  z.string().trim().min(1).max(4096),
  `The text sent. It may use ${cannedVariables.map((v) => `\`{{${v}}}\``).join(', ')}: filled in when sent (an unknown value is left empty).`,
  'Hi {{contact.name}}, we are open 10:00-19:00 at {{business.address}}. — {{user.name}}',
);

export const createCannedBody = z
  .strictObject({ short_code: shortCode, title, content })
  .meta({ examples: [{ short_code: 'hours', title: 'Opening hours', content: 'Hi {{contact.name}}!' }] });

export const updateCannedBody = z
  .strictObject({ short_code: shortCode.optional(), title: title.optional(), content: content.optional() })
  .meta({ examples: [{ content: 'Hello {{contact.name}}, thanks for waiting.' }] });

export const cannedObject = z.object({
  ...baseObject('cr', 'canned_response'),
  short_code: shortCode,
  title,
  content,
});

export const listCannedQuery = listQuery({
  q: describe(
    z.string().max(100),
    'Only those whose short code or title starts with or contains this.',
    'hou',
  ).optional(),
});
