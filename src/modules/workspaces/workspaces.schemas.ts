import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import { baseObject, describe, idOf, nullableTimestamp } from '../../platform/http/schemas.ts';
import { limitNames, planNames } from '../../platform/limits.ts';

export const scopePattern = /^(\*|[a-z_]+:(read|write|\*))$/;

export const scope = describe(
  z.string().regex(scopePattern, 'must be `*`, `resource:read`, `resource:write` or `resource:*`'),
  'A permission: `*`, or `resource:read|write|*` (write implies read).',
  'messages:write',
);

export const countryCode = describe(
  z
    .string()
    .transform((s) => s.toUpperCase())
    .refine(
      (c) => isSupportedCountry(c as never),
      'must be an ISO 3166-1 alpha-2 country code with phone numbering (e.g. IN, US)',
    ),
  'Default country for phone numbers given without a country code (ISO 3166-1 alpha-2).',
  'IN',
);

export const createWorkspaceBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(200), 'Name of the business or team.', 'Glow Salon'),
  plan: describe(
    z.enum(planNames),
    "Plan that sets the rate limits (`starter`, `growth` or `enterprise`). Default: the server's `PARLEY_DEFAULT_PLAN` (`enterprise` unless configured).",
    'starter',
  ).optional(),
  default_country: countryCode.default('IN'),
});

const limitValue = z.number().int().min(0).max(1_000_000_000).nullable();

export const limitOverrides = z.strictObject(
  Object.fromEntries(
    limitNames.map((name) => [
      name,
      describe(limitValue, `Override of \`${name}\` (null: unlimited).`, 600).optional(),
    ]),
  ) as Record<(typeof limitNames)[number], z.ZodOptional<typeof limitValue>>,
);

export const updateWorkspaceBody = z.strictObject({
  plan: describe(z.enum(planNames), 'The new plan.', 'growth').optional(),
  limits: describe(
    limitOverrides.nullable(),
    'Per-limit overrides of the plan, merged into the ones already set: a number replaces the plan\'s figure, `null` makes that limit unlimited. `"limits": null` removes every override (back to the plan\'s figures).',
    { messages_per_hour: 5000, requests_per_day: null },
  ).optional(),
});

const effectiveLimits = z.object(
  Object.fromEntries(
    limitNames.map((name) => [
      name,
      describe(z.number().nullable(), `Effective \`${name}\` (null: unlimited).`, 60),
    ]),
  ) as Record<(typeof limitNames)[number], z.ZodNullable<z.ZodNumber>>,
);

export const workspaceObject = z.object({
  id: idOf('ws', 'Unique identifier of the workspace.'),
  object: describe(z.literal('workspace'), 'The type of this object.', 'workspace'),
  name: describe(z.string(), 'Name of the workspace.', 'Glow Salon'),
  plan: describe(z.string(), 'Plan that sets the rate limits.', 'starter'),
  default_country: describe(z.string(), 'Default country for phone numbers.', 'IN'),
  livemode: describe(z.boolean(), 'The mode of the key that read this object.', true),
  created_at: baseObject('ws', 'workspace').created_at,
  updated_at: baseObject('ws', 'workspace').updated_at,
});

export const adminWorkspaceObject = workspaceObject.extend({
  limits: describe(effectiveLimits, "The limits in force: the plan's figures with the overrides applied."),
  limit_overrides: describe(
    z.record(z.string(), z.number().nullable()),
    "The overrides set on this workspace (empty: the plan's figures).",
    { messages_per_hour: 5000 },
  ),
});

export const apiKeyObject = z.object({
  ...baseObject('key', 'api_key'),
  name: describe(z.string().nullable(), 'A label for the key.', 'CRM integration'),
  mode: describe(
    z.enum(['live', 'test']),
    'Live keys act on live objects, test keys on test objects.',
    'test',
  ),
  prefix: describe(z.string(), 'The first characters of the key, to tell keys apart.', 'prl_test_a1B2'),
  scopes: describe(z.array(z.string()), 'What the key may do.', ['*']),
  last_used_at: nullableTimestamp('When the key last authenticated a request (to the minute)'),
  revoked_at: nullableTimestamp('When the key was revoked'),
});

export const createdApiKeyObject = apiKeyObject.extend({
  key: describe(
    z.string(),
    'The secret key. Shown only in this response: store it now.',
    'prl_test_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6',
  ),
});

export const createWorkspaceResponse = z.object({
  workspace: describe(workspaceObject, 'The new workspace.'),
  api_keys: describe(
    z.array(createdApiKeyObject),
    'One live and one test key, each shown only in this response.',
  ),
});

export const createApiKeyBody = z.strictObject({
  name: describe(z.string().trim().min(1).max(200), 'A label for the key.', 'CRM integration').optional(),
  scopes: describe(z.array(scope).min(1).max(50), 'What the key may do (default `["*"]`).', [
    'messages:write',
    'conversations:read',
  ]).optional(),
});

export const meResponse = z.object({
  workspace: describe(
    z.object({
      id: idOf('ws'),
      name: describe(z.string(), 'Workspace name.', 'Glow Salon'),
      plan: describe(z.string(), 'Plan.', 'starter'),
      default_country: describe(z.string(), 'Default country for phone numbers.', 'IN'),
    }),
    'The workspace the key belongs to.',
  ),
  api_key: describe(
    z
      .object({
        id: idOf('key'),
        mode: describe(z.enum(['live', 'test']), 'Mode of the key.', 'live'),
        scopes: describe(z.array(z.string()), 'Scopes of the key.', ['*']),
        prefix: describe(z.string(), 'First characters of the key.', 'prl_live_a1B2'),
      })
      .nullable(),
    'The key used for this request (null for an inbox session).',
  ),
  user: describe(
    z.object({ id: idOf('usr'), role: describe(z.string(), 'Role of the user.', 'agent') }).nullable(),
    'The signed-in user, for an inbox session (null for an API key).',
  ),
  limits: describe(
    z.record(z.string(), z.number().nullable()),
    'The limits of the workspace plan (null: unlimited).',
    { requests_per_minute: 60 },
  ),
  livemode: describe(z.boolean(), 'Mode of this request.', true),
  api_version: describe(z.literal('v1'), 'API version.', 'v1'),
});
