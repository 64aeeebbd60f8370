import type { Db, Trx } from '../../platform/db/database.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { ApiError, type FieldError } from '../../platform/errors.ts';
import type { ChannelType, OutboundMedia } from '../channels/index.ts';
import { getMediaFile, mediaTypes as uploadTypes } from '../media/index.ts';
import { type ContentInput, type MediaInput, mediaTypes } from './content.ts';
import type { StoredMedia } from './messages.present.ts';

/**
 * A send's `media_id` (a file uploaded with `POST /v1/media`), read before the send is written:
 * the file must be this workspace's and mode's, and its kind the message's type (a document
 * carries any file). Its type and name are kept on the input for the stored message.
 */
export async function resolveUploadedMedia(
  db: Db | Trx,
  scope: Scope,
  input: ContentInput,
  channelType: ChannelType,
): Promise<FieldError[]> {
  const type = input.type;
  if (!(mediaTypes as readonly string[]).includes(type)) return [];
  const m = input[type as (typeof mediaTypes)[number]] as MediaInput | undefined;
  if (!m?.media_id) return [];
  const field = `${type}.media_id`;
  // Twilio fetches an MMS's file from a public URL (MediaUrl); it takes no upload.
  if (channelType === 'sms')
    return [
      {
        field,
        message: 'SMS carries a file only by its public url; uploaded files go on WhatsApp and email',
      },
    ];
  let file: Awaited<ReturnType<typeof getMediaFile>>;
  try {
    file = await getMediaFile(db, scope, m.media_id);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_found')
      return [{ field, message: `is no file uploaded to this workspace (${m.media_id})` }];
    throw err;
  }
  if (type !== 'document' && file.kind !== type)
    return [
      { field, message: `is a ${file.kind} (${file.mime_type}); send it as type ${file.kind} or document` },
    ];
  // WhatsApp's images and videos are JPEG, PNG, MP4 and 3GPP; any file goes as a document.
  if (channelType === 'whatsapp' && type !== 'document' && uploadTypes[file.mime_type]?.whatsapp === false)
    return [
      {
        field,
        message: `is a ${file.mime_type} ${file.kind}, which WhatsApp does not take as ${type === 'image' ? 'an image' : `a ${type}`} (${type === 'video' ? 'MP4 or 3GPP' : 'JPEG or PNG'} only); convert it, send it as a document, or send it on another channel`,
      },
    ];
  m.uploaded = { mime_type: file.mime_type, filename: file.filename };
  return [];
}

/** The stored media of a send (a URL, or an uploaded file by id). */
export function storedMediaOf(m: MediaInput): StoredMedia {
  return {
    url: m.url ?? null,
    ...(m.media_id ? { media_id: m.media_id } : {}),
    caption: m.caption ?? null,
    filename: m.filename ?? m.uploaded?.filename ?? null,
    ...(m.uploaded ? { mime_type: m.uploaded.mime_type } : {}),
  };
}

/** The provider-neutral media of a stored message: an uploaded file's bytes are read for the adapter. */
export async function outboundMediaOf(
  db: Db | Trx,
  scope: Scope,
  media: StoredMedia,
): Promise<OutboundMedia> {
  const out: OutboundMedia = {
    ...(media.url ? { url: media.url } : {}),
    ...(media.caption ? { caption: media.caption } : {}),
    ...(media.filename ? { filename: media.filename } : {}),
  };
  if (media.media_id) {
    const file = await getMediaFile(db, scope, media.media_id);
    out.file = {
      content: Buffer.from(file.content_base64, 'base64'),
      mimeType: file.mime_type,
      sha256: file.sha256,
      ...(media.filename || file.filename ? { filename: media.filename ?? file.filename ?? undefined } : {}),
    };
  }
  return out;
}
