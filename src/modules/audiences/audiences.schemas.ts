import { z } from 'zod';
import { baseObject, describe, idOf, listQuery } from '../../platform/http/schemas.ts';
import { ATTRIBUTE_KEY } from '../contacts/index.ts';

const tagList = (d: string) => describe(z.array(z.string().trim().min(1).max(100)).max(50), d, ['vip']);

export const audienceFilter = describe(
  z.strictObject({
    tags: tagList('Contacts carrying every one of these tags.').optional(),
    any_tags: tagList('Contacts carrying at least one of these tags.').optional(),
    attributes: describe(
      z.record(
        z.string().regex(ATTRIBUTE_KEY, 'attribute names are letters, digits, `_` and `-`'),
        z.union([z.string().max(2000), z.number(), z.boolean()]),
      ),
      'Contacts whose attributes have these values (compared as text: 3 matches "3").',
      { plan: 'premium' },
    ).optional(),
    dnd: describe(z.boolean(), 'Only contacts with this do-not-disturb flag.', false).optional(),
    opted_out: describe(z.boolean(), 'Only contacts with this opt-out flag.', false).optional(),
  }),
  'A rule: the audience is the contacts matching every condition, evaluated each time it is used.',
  { tags: ['vip'], attributes: { city: 'Pune' } },
);

export const createAudienceBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(200), 'Name of the audience.', 'Diwali VIPs'),
  description: describe(
    z.string().max(2000),
    'What the audience is for.',
    'Premium customers in Pune',
  ).optional(),
  filter: describe(
    audienceFilter,
    'Give a filter for a rule-based audience; omit it for a static list of members.',
  ).optional(),
});

export const updateAudienceBody = z
  .strictObject({
    name: describe(z.string().trim().min(1).max(200), 'Name of the audience.', 'Diwali VIPs').optional(),
    description: describe(
      z.string().max(2000).nullable(),
      'What the audience is for (null clears it).',
      'Premium customers',
    ).optional(),
    filter: describe(audienceFilter, 'The new rule (rule-based audiences only).').optional(),
  })
  .meta({ examples: [{ name: 'Diwali VIPs', description: 'Premium customers in Pune' }] });

export const audienceObject = z.object({
  ...baseObject('aud', 'audience'),
  name: describe(z.string(), 'Name.', 'Diwali VIPs'),
  description: describe(z.string().nullable(), 'Description.', 'Premium customers in Pune'),
  type: describe(
    z.enum(['static', 'rule']),
    '`static`: explicit members; `rule`: contacts matching `filter`.',
    'static',
  ),
  filter: describe(
    z.record(z.string(), z.unknown()).nullable(),
    'The rule (rule-based audiences), else null.',
    { tags: ['vip'] },
  ),
  contact_count: describe(z.number().int(), 'Contacts in the audience now.', 42),
});

export const membersBody = z.strictObject({
  contact_ids: describe(z.array(idOf('ct')).max(1000), 'Contacts by id (at most 1,000).', [
    'ct_01JD5Z8Q4X3N2M1K0H9G8F7E6D',
  ]).optional(),
  phones: describe(
    z.array(z.string().max(40)).max(1000),
    'Contacts by phone (at most 1,000). On add, a phone with no contact yet creates one.',
    ['+919876543210'],
  ).optional(),
});

export const addMembersResponse = z.object({
  audience: describe(audienceObject, 'The audience after the change.'),
  added: describe(z.number().int(), 'Contacts newly added (those already members are not counted).', 2),
  created_contacts: describe(z.number().int(), 'Contacts created for phones that had none.', 1),
});

export const removeMembersResponse = z.object({
  audience: describe(audienceObject, 'The audience after the change.'),
  removed: describe(z.number().int(), 'Contacts removed.', 1),
});

export const listAudiencesQuery = listQuery({
  type: describe(z.enum(['static', 'rule']).optional(), 'Only audiences of this type.', 'static'),
});
