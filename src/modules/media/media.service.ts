import { createHash } from 'node:crypto';
import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import { newRow, type Scope, tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { objectHead } from '../../platform/http/schemas.ts';
import type { MediaFilesTable } from './media.tables.ts';
import { detectMediaType, MB, mediaTypes } from './media.types.ts';

export function presentMedia(row: MediaFilesTable) {
  return {
    ...objectHead(row, 'media'),
    kind: row.kind,
    mime_type: row.mime_type,
    filename: row.filename,
    size: row.size,
    sha256: row.sha256,
    download_url: `/v1/media/${row.id}/content`,
    created_at: row.created_at,
    // An uploaded file never changes.
    updated_at: row.created_at,
  };
}
export type MediaObject = ReturnType<typeof presentMedia>;

/** Declared types that name the same bytes under another name. */
const ALIASES: Record<string, string> = {
  'audio/opus': 'audio/ogg',
  'image/heif': 'image/heic',
  'image/heic': 'image/heif',
};
const sameType = (declared: string, sniffed: string) => declared === sniffed || ALIASES[declared] === sniffed;

const fmt = (n: number) => (n >= MB ? `${Math.round((n / MB) * 10) / 10} MB` : `${Math.round(n / 1024)} KB`);

/**
 * Stores an uploaded file once its bytes say what it is: a declared type the bytes contradict, a
 * type Parley does not keep, or a file over WhatsApp's limit for its kind is refused (415, 413).
 */
export async function storeMedia(
  ctx: AppContext,
  scope: Scope,
  file: { bytes: Buffer; filename: string | null; declaredType: string | null },
): Promise<MediaObject> {
  if (file.bytes.length === 0)
    throw new ApiError('validation_failed', 'The file is empty.', {
      errors: [{ field: 'file', message: 'is empty' }],
    });
  const declared = file.declaredType?.split(';')[0]?.trim().toLowerCase() || undefined;
  const { type: sniffed, note } = await detectMediaType(file.bytes, declared);
  const spec = sniffed ? mediaTypes[sniffed] : undefined;
  const generic = !declared || declared === 'application/octet-stream';
  if (!generic && sniffed && declared !== sniffed && !sameType(declared, sniffed))
    throw new ApiError(
      'unsupported_media_type',
      `The file was declared ${declared} but its bytes are ${sniffed}${note ? ` (${note})` : ''}; send it with its real type.`,
    );
  if (!sniffed || !spec)
    throw new ApiError(
      'unsupported_media_type',
      `The file's bytes are not a type Parley keeps (JPEG, PNG, HEIC, HEIF or AVIF images, WebP stickers, AAC, AMR, MP3, MP4 or OGG audio, MP4, 3GPP or QuickTime video, PDF, text or Office documents)${sniffed ? `: they are ${sniffed}${note ? ` (${note})` : ''}` : ''}.`,
    );
  if (file.bytes.length > spec.maxBytes)
    throw new ApiError(
      'payload_too_large',
      `The ${spec.kind} is ${fmt(file.bytes.length)}; WhatsApp takes at most ${fmt(spec.maxBytes)} for a ${sniffed} ${spec.kind}.`,
    );
  const row: MediaFilesTable = {
    ...newRow('media', scope),
    kind: spec.kind,
    mime_type: sniffed,
    filename: file.filename?.slice(0, 255) ?? null,
    size: file.bytes.length,
    sha256: createHash('sha256').update(file.bytes).digest('hex'),
    content_base64: file.bytes.toString('base64'),
    created_at: ctx.clock.now().toISOString(),
  };
  await ctx.db.insertInto('media_files').values(row).execute();
  return presentMedia(row);
}

/**
 * Deletes uploaded files (an erasure: files that were sent to the erased person only). Their
 * `GET /v1/media/{id}/content` is a 404 from then on. Ids of other workspaces or modes are ignored.
 */
export async function deleteMediaFiles(db: Db | Trx, scope: Scope, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  const r = await tenant(db, scope).deleteFrom('media_files').where('id', 'in', ids).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** What an uploaded file of this workspace and mode is (not its bytes), or undefined. */
export function mediaFileInfo(
  db: Db | Trx,
  scope: Scope,
  id: string,
): Promise<Pick<MediaFilesTable, 'id' | 'kind' | 'mime_type' | 'filename' | 'size'> | undefined> {
  return tenant(db, scope)
    .selectFrom('media_files')
    .select(['id', 'kind', 'mime_type', 'filename', 'size'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** An uploaded file of this workspace and mode, or 404. Other modules send it with this. */
export async function getMediaFile(db: Db | Trx, scope: Scope, id: string): Promise<MediaFilesTable> {
  return tenant(db, scope).getById('media_files', id, 'media');
}
