import { z } from 'zod';
import type { Db, Trx } from '../../platform/db/database.ts';
import { type Scope, tenant } from '../../platform/db/scope.ts';
import { describe } from '../../platform/http/schemas.ts';
import { fromJson } from '../../platform/json.ts';

/**
 * An agent's analysis plan (SPEC: Analysis and reports): a summary or not, a structured schema
 * (a JSON Schema object whose properties are strings, numbers, integers, booleans or enums) and
 * success criteria. Stored as JSON on the agent; the analysis module runs it.
 */
export const propertyTypes = ['string', 'number', 'integer', 'boolean'] as const;
export type PropertyType = (typeof propertyTypes)[number];

export interface AnalysisProperty {
  type: PropertyType;
  enum?: Array<string | number>;
  description?: string;
}
export interface AnalysisSchema {
  type: 'object';
  properties: Record<string, AnalysisProperty>;
  required?: string[];
}
export interface AnalysisSettings {
  summary: boolean;
  structured: AnalysisSchema | null;
  success_criteria: string[];
}

export const analysisDefaults: AnalysisSettings = { summary: true, structured: null, success_criteria: [] };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why one property is not allowed, or null. */
function propertyProblem(p: unknown): string | null {
  if (!isRecord(p)) return 'must be an object such as {"type": "string"}';
  const extra = Object.keys(p).filter((k) => !['type', 'enum', 'description'].includes(k));
  if (extra.length) return `has unsupported keywords: ${extra.join(', ')}`;
  if (p.type === undefined && p.enum === undefined) return 'needs a type or an enum';
  if (p.type !== undefined && !propertyTypes.includes(p.type as PropertyType))
    return `has type ${JSON.stringify(p.type)}; allowed: ${propertyTypes.join(', ')} (or an enum)`;
  if (p.description !== undefined && typeof p.description !== 'string') return 'description must be a string';
  if (p.enum === undefined) return null;
  if (!Array.isArray(p.enum) || p.enum.length === 0 || p.enum.length > 100)
    return 'enum must be a list of 1 to 100 values';
  const kinds = new Set(p.enum.map((v) => typeof v));
  if (kinds.size !== 1 || !(kinds.has('string') || kinds.has('number')))
    return 'enum values must be all strings or all numbers';
  if (p.type === 'boolean') return 'a boolean cannot have an enum';
  // The values must be of the declared type, or no value could ever validate against it.
  if (p.type === 'string' && !kinds.has('string'))
    return 'enum values must be strings (the type is "string")';
  if ((p.type === 'number' || p.type === 'integer') && !kinds.has('number'))
    return `enum values must be numbers (the type is "${p.type}")`;
  if (p.type === 'integer' && !p.enum.every((v) => Number.isInteger(v)))
    return 'enum values must be integers (the type is "integer")';
  return null;
}

/** The problems of a structured schema, as field errors (path relative to `structured`). */
export function schemaProblems(s: unknown): Array<{ path: string[]; message: string }> {
  if (!isRecord(s)) return [{ path: [], message: 'must be a JSON Schema object: {"type": "object", ...}' }];
  if (s.type !== 'object') return [{ path: ['type'], message: 'must be "object"' }];
  const extra = Object.keys(s).filter((k) => !['type', 'properties', 'required', 'description'].includes(k));
  if (extra.length) return [{ path: [], message: `has unsupported keywords: ${extra.join(', ')}` }];
  if (!isRecord(s.properties)) return [{ path: ['properties'], message: 'must be an object of properties' }];
  const names = Object.keys(s.properties);
  if (names.length === 0 || names.length > 50)
    return [{ path: ['properties'], message: 'must have 1 to 50 properties' }];
  const out: Array<{ path: string[]; message: string }> = [];
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name))
      out.push({ path: ['properties', name], message: 'name must be letters, digits and _' });
    const problem = propertyProblem(s.properties[name]);
    if (problem) out.push({ path: ['properties', name], message: problem });
  }
  if (s.required !== undefined) {
    const ok =
      Array.isArray(s.required) && s.required.every((r) => typeof r === 'string' && names.includes(r));
    if (!ok) out.push({ path: ['required'], message: 'must list names of properties' });
  }
  return out;
}

const structured = z.unknown().superRefine((s, zctx) => {
  if (s === null) return;
  for (const p of schemaProblems(s)) zctx.addIssue({ code: 'custom', path: p.path, message: p.message });
});

export const analysisSettingsInput = describe(
  z.strictObject({
    summary: describe(z.boolean(), 'Whether a short summary is written.', true).optional(),
    structured: describe(
      structured,
      'A JSON Schema object of the fields to extract (properties of type string, number, integer, boolean, or an enum); null: none.',
      {
        type: 'object',
        properties: {
          name: { type: 'string' },
          email: { type: 'string' },
          booked: { type: 'boolean' },
          service: { type: 'string', enum: ['haircut', 'colour'] },
        },
      },
    ).optional(),
    success_criteria: describe(
      z.array(z.string().trim().min(1).max(500)).max(20),
      'What counts as a success, in plain words (e.g. "an appointment was booked").',
      ['An appointment was booked'],
    ).optional(),
  }),
  'What is worked out when a call ends or a conversation is resolved.',
);
export type AnalysisSettingsInput = z.output<typeof analysisSettingsInput>;

export const analysisSettingsObject = describe(
  z.object({
    summary: describe(z.boolean(), 'Whether a summary is written.', true),
    structured: describe(
      z.record(z.string(), z.unknown()).nullable(),
      'The JSON Schema object of fields to extract (null: none).',
      null,
    ),
    success_criteria: describe(z.array(z.string()), 'What counts as a success.', [
      'An appointment was booked',
    ]),
  }),
  'The analysis plan.',
);

export const parseAnalysisSettings = (json: string | null): AnalysisSettings => ({
  ...analysisDefaults,
  ...fromJson<Partial<AnalysisSettings>>(json, {}),
});

/** The stored plan with an update merged over it. */
export function mergeAnalysisSettings(previous: string | null, input: AnalysisSettingsInput): string {
  const prev = parseAnalysisSettings(previous);
  return JSON.stringify({
    summary: input.summary ?? prev.summary,
    structured:
      input.structured !== undefined ? (input.structured as AnalysisSchema | null) : prev.structured,
    success_criteria: input.success_criteria ?? prev.success_criteria,
  });
}

/** The fields of the analysis schemas of the workspace's agents (or one agent's), in first-seen order. */
export async function analysisFieldNames(db: Db | Trx, scope: Scope, agentId?: string): Promise<string[]> {
  let q = tenant(db, scope).selectFrom('agents').select(['id', 'analysis']).orderBy('id', 'asc');
  if (agentId) q = q.where('id', '=', agentId);
  const names = new Set<string>();
  for (const row of await q.execute())
    for (const name of Object.keys(parseAnalysisSettings(row.analysis).structured?.properties ?? {}))
      names.add(name);
  return [...names];
}
