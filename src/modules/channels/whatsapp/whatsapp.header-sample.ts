import type { AppContext } from '../../../platform/context.ts';
import type { Db, Trx } from '../../../platform/db/database.ts';
import type { Scope } from '../../../platform/db/scope.ts';
import type { FieldError } from '../../../platform/errors.ts';
import { mediaFileInfo } from '../../media/index.ts';
import { channelConfigOf, findChannelForSend } from '../channels.service.ts';

const MB = 1024 * 1024;

/**
 * What Meta's template review takes as a media header's sample (uploaded with its Resumable Upload
 * API): an image is JPEG or PNG up to 5 MB, a video MP4 up to 16 MB, a document PDF up to 100 MB.
 */
const SAMPLE_LIMITS = {
  image: { types: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  video: { types: ['video/mp4'], maxBytes: 16 * MB },
  document: { types: ['application/pdf'], maxBytes: 100 * MB },
} as const;

const FIELD = 'examples.header_media_id';

/**
 * Whether an uploaded file (`examples.header_media_id`) can be a template's media header sample,
 * checked when the template is written so nothing unfit reaches Meta: the file is this workspace's
 * and mode's, of a type and size Meta takes for the header, and in live mode the Meta WhatsApp
 * channel that submits it knows its app (`credentials.app_id`, where the upload goes).
 */
export async function checkHeaderSample(
  ctx: AppContext,
  db: Db | Trx,
  scope: Scope,
  headerType: keyof typeof SAMPLE_LIMITS,
  mediaId: string,
): Promise<FieldError[]> {
  const file = await mediaFileInfo(db, scope, mediaId);
  if (!file)
    return [{ field: FIELD, message: `${mediaId} is not a file uploaded to this workspace in this mode` }];
  const limits = SAMPLE_LIMITS[headerType];
  const header = `${headerType === 'image' ? 'an' : 'a'} ${headerType} header`;
  if (!(limits.types as readonly string[]).includes(file.mime_type))
    return [
      {
        field: FIELD,
        message: `is ${file.mime_type}: Meta takes only ${limits.types.join(' or ')} as the sample of ${header}`,
      },
    ];
  if (file.size > limits.maxBytes)
    return [
      {
        field: FIELD,
        message: `is ${Math.ceil(file.size / MB)} MB: Meta takes the sample of ${header} up to ${limits.maxBytes / MB} MB`,
      },
    ];
  if (!scope.livemode) return [];
  const channel = await findChannelForSend(db, scope, { type: 'whatsapp' });
  if (channel?.provider !== 'meta' || channelConfigOf(ctx, channel).credentials.app_id) return [];
  return [
    {
      field: FIELD,
      message: `needs the Meta app id of WhatsApp channel ${channel.id} (the sample is uploaded to that app): set credentials.app_id with PATCH /v1/channels/${channel.id}`,
    },
  ];
}
