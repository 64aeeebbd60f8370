/**
 * SCIM 2.0's wire shapes (RFC 7643, 7644): its error body, list responses, the `eq` filters
 * identity providers send, and PATCH operations. The users and groups endpoints use these.
 */
import { z } from 'zod';
import { ApiError } from '../../platform/errors.ts';

export const SCIM = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
} as const;

export const SCIM_CONTENT_TYPE = 'application/scim+json';

/** A refusal in SCIM's terms: an HTTP status and, for a 400 or 409, a `scimType`. */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType?: string;
  constructor(status: number, detail: string, scimType?: string) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
  }
}

/** The SCIM error body for what a handler threw (Parley's own errors mapped to their SCIM meaning). */
export function scimErrorOf(err: unknown): { status: number; body: Record<string, unknown> } {
  let e: ScimError;
  if (err instanceof ScimError) e = err;
  else if (err instanceof ApiError)
    e = new ScimError(
      err.status,
      err.message,
      err.code === 'conflict' ? 'uniqueness' : err.status === 400 ? 'invalidValue' : undefined,
    );
  else throw err;
  return {
    status: e.status,
    body: {
      schemas: [SCIM.error],
      status: String(e.status),
      ...(e.scimType ? { scimType: e.scimType } : {}),
      detail: e.message,
    },
  };
}

export const invalidValue = (detail: string) => new ScimError(400, detail, 'invalidValue');

/** The request's JSON body (`application/scim+json` or `application/json`), or a SCIM 400. */
export function scimBody(raw: Buffer | undefined): unknown {
  if (!raw?.length) throw new ScimError(400, 'The request has no body.', 'invalidSyntax');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ScimError(400, 'The body is not valid JSON.', 'invalidSyntax');
  }
}

/** Parses with `schema` or answers SCIM's 400 naming the first bad attribute. */
export function parseScim<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw invalidValue(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'is invalid'}`);
}

/** `attribute eq "value"`: the one filter form identity providers send to find a user or group. */
export function parseFilter(filter: string | undefined, allowed: string[]) {
  if (!filter) return undefined;
  const m = /^\s*([A-Za-z][\w.]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(filter);
  if (!m) throw new ScimError(400, `Unsupported filter: only \`attribute eq "value"\` is.`, 'invalidFilter');
  const attribute = allowed.find((a) => a.toLowerCase() === m[1]!.toLowerCase());
  if (!attribute)
    throw new ScimError(
      400,
      `Filtering on ${m[1]} is not supported (${allowed.join(', ')} are).`,
      'invalidFilter',
    );
  return { attribute, value: m[2]!.replace(/\\(.)/g, '$1') };
}

export const listQuery = z.object({
  filter: z.string().max(500).optional(),
  startIndex: z.coerce.number().int().min(1).default(1),
  count: z.coerce.number().int().min(0).max(500).default(100),
});

export function listOf(resources: unknown[], total: number, startIndex: number) {
  return {
    schemas: [SCIM.list],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** SCIM booleans arrive as JSON booleans, or (Entra ID) as the strings "True" and "False". */
export const scimBoolean = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i)
    .transform((s) => s.toLowerCase() === 'true'),
]);

export const patchBody = z.object({
  schemas: z.array(z.string()).optional(),
  Operations: z
    .array(
      z.object({
        op: z
          .string()
          .transform((s) => s.toLowerCase())
          .pipe(z.enum(['add', 'replace', 'remove'])),
        path: z.string().max(500).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(100),
});
