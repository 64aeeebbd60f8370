import { z } from 'zod';
import { ApiError } from '../../platform/errors.ts';
import { contentDisposition } from '../../platform/http/content-disposition.ts';
import { defineRoute, type RouteResult } from '../../platform/http/route.ts';
import { baseObject, describe, idParams } from '../../platform/http/schemas.ts';
import { readUploadedFile } from '../../platform/http/upload.ts';
import { getMediaFile, presentMedia, storeMedia } from './media.service.ts';

const mediaObject = z.object({
  ...baseObject('media', 'media'),
  kind: describe(
    z.enum(['image', 'audio', 'video', 'document', 'sticker']),
    'What the file is, read from its bytes.',
    'image',
  ),
  mime_type: describe(z.string(), 'Its type, read from its bytes.', 'image/jpeg'),
  filename: describe(z.string().nullable(), 'The name it was uploaded with.', 'menu.jpg'),
  size: describe(z.number().int(), 'Bytes.', 48213),
  sha256: describe(
    z.string(),
    'SHA-256 of the bytes (hex).',
    'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
  ),
  download_url: describe(
    z.string(),
    'Where the file is served (with an API key).',
    '/v1/media/media_01JD5Z8Q4X3N2M1K0H9G8F7E6D/content',
  ),
});

export const mediaRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/media',
    summary: 'Upload a file to send',
    description:
      "A multipart upload (`file` part). Parley reads what the file is from its bytes (containers by their brands and parts: an ISO media file's `ftyp` brands, an Office file's zip parts), not its name or declared type, and keeps it if WhatsApp can carry it, within WhatsApp's limit for its kind: images JPEG or PNG up to 5 MB, stickers WebP up to 500 KB, audio AAC, AMR, MP3, MP4 or OGG up to 16 MB, video MP4 or 3GPP up to 16 MB, documents PDF, text or Office up to 100 MB (and never over PARLEY_UPLOAD_LIMIT_BYTES). Photos and videos as phones take them are kept too, as what they are: HEIC, HEIF and AVIF images (5 MB) and QuickTime video (16 MB); email carries them, WhatsApp only as a document (sent as a WhatsApp image or video they are a 400 naming the type). A type Parley does not keep, or a declared type the bytes contradict (an Office file whose zip lacks `[Content_Types].xml` or its main part, such as word/document.xml), is a 415; a file over its limit or over PARLEY_UPLOAD_LIMIT_BYTES a 413, every time, with nothing kept; a file name with a control character a 400. Answers the `media_` object; the id stays valid for this workspace and mode. Downloads carry the name as RFC 6266 `filename*` (UTF-8) beside an ASCII `filename`.",
    tags: ['Media'],
    auth: 'key',
    scope: 'messages:write',
    contentTypes: ['multipart/form-data'],
    otherBodies: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['file'],
          properties: {
            file: { type: 'string', contentMediaType: 'application/octet-stream', description: 'The file.' },
          },
        },
        example: { file: '(the bytes of menu.jpg)' },
      },
    },
    bodyLimit: (config) => config.uploadLimitBytes,
    responses: { 201: mediaObject },
    errors: ['payload_too_large', 'unsupported_media_type', 'validation_failed'],
    handler: async ({ ctx, auth, request }) => {
      if (!request.isMultipart())
        throw new ApiError(
          'unsupported_media_type',
          'Upload the file as multipart/form-data, in the `file` part.',
        );
      const upload = await readUploadedFile(request, { limitBytes: ctx.config.uploadLimitBytes });
      return { status: 201, body: await storeMedia(ctx, auth, upload) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/media/:id',
    summary: 'Get an uploaded file',
    description: "The file's kind, type, name, size and checksum.",
    tags: ['Media'],
    auth: 'key',
    scope: 'messages:read',
    params: idParams('media'),
    responses: { 200: mediaObject },
    handler: async ({ ctx, auth, params }) => ({
      status: 200,
      body: presentMedia(await getMediaFile(ctx.db, auth, params.id)),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/media/:id/content',
    summary: 'Download an uploaded file',
    description: 'The bytes, with the type read from them.',
    tags: ['Media'],
    auth: 'key',
    scope: 'messages:read',
    params: idParams('media'),
    responses: { 200: null },
    rawResponses: {
      200: {
        '*/*': {
          schema: {
            type: 'string',
            contentMediaType: 'application/octet-stream',
            description: "The file's bytes.",
          },
        },
      },
    },
    handler: async ({ ctx, auth, params }): Promise<RouteResult> => {
      const row = await getMediaFile(ctx.db, auth, params.id);
      return {
        status: 200,
        body: Buffer.from(row.content_base64, 'base64'),
        contentType: row.mime_type,
        headers: {
          'content-disposition': contentDisposition('inline', row.filename ?? 'media'),
          'cache-control': 'private, max-age=300',
          'x-content-type-options': 'nosniff',
        },
      };
    },
  }),
];
