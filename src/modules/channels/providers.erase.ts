import type { AppContext } from '../../platform/context.ts';
import { tenant } from '../../platform/db/scope.ts';
import type { ErasureSubject } from '../../platform/erasure.ts';

const PAGE = 500;

/** A stored payload as text to search: forms decoded, base64 (multipart, MIME) decoded. */
function readable(contentType: string, raw: string): string {
  if (/^(multipart\/|message\/rfc822)/i.test(contentType)) return Buffer.from(raw, 'base64').toString('utf8');
  if (contentType === 'application/x-www-form-urlencoded') {
    try {
      return [...new URLSearchParams(raw).values()].join('\n');
    } catch {
      return raw;
    }
  }
  return raw;
}

/**
 * Raw provider payloads (kept to replay an inbound webhook) that name the person are deleted:
 * the workspace's payloads are read page by page, decoded, and searched for their identifiers.
 */
export async function eraseProviderPayloads(ctx: AppContext, subject: ErasureSubject) {
  const needles = subject.identifiers.map((s) => s.toLowerCase()).filter(Boolean);
  if (!needles.length) return;
  let after = '';
  for (;;) {
    const rows = await tenant(ctx.db, subject)
      .selectFrom('provider_inbound')
      .select(['id', 'content_type', 'raw_body'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (!rows.length) return;
    const hits = rows
      .filter((r) => {
        const text = readable(r.content_type, r.raw_body).toLowerCase();
        return needles.some((n) => text.includes(n));
      })
      .map((r) => r.id);
    if (hits.length) await ctx.db.deleteFrom('provider_inbound').where('id', 'in', hits).execute();
    after = rows[rows.length - 1]!.id;
  }
}
