import type { AppContext } from '../../platform/context.ts';
import type { Trx } from '../../platform/db/database.ts';
import { tenant } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import { fromJson, toJson } from '../../platform/json.ts';
import type { JobContext } from '../../platform/queue/queue.ts';
import {
  adapterFor,
  ChannelSendError,
  channelById,
  channelConfigOf,
  type ProviderFile,
} from '../channels/index.ts';
import { getMediaFile } from '../media/index.ts';
import { getMessageRow, type Scope, type StoredMedia } from './messaging.service.ts';

export type MessageMedia = ({ kind: 'file' } & ProviderFile) | { kind: 'redirect'; url: string };

/**
 * The file of a message: an attachment Parley kept (email), a customer's media fetched from the
 * provider with the channel's credentials (WhatsApp media id or url, Twilio MediaUrl), or, for
 * media the business sent by public URL, a redirect to that URL.
 */
export async function getMessageMedia(
  ctx: AppContext,
  scope: Scope,
  messageId: string,
  attachmentId: string | undefined,
): Promise<MessageMedia> {
  const row = await getMessageRow(ctx.db, scope, messageId);
  const media = fromJson<StoredMedia | null>(row.media, null);
  const attachments = media?.attachments ?? [];
  // A file Parley kept (an email attachment, a customer's WhatsApp media once fetched) is served
  // from storage; the provider is asked only for media not kept (yet).
  if (attachmentId !== undefined || attachments.length)
    return storedAttachment(ctx, scope, row.id, attachmentId ?? attachments[0]?.id, attachmentId);
  if (media?.media_id) {
    const file = await getMediaFile(ctx.db, scope, media.media_id);
    return {
      kind: 'file',
      content: Buffer.from(file.content_base64, 'base64'),
      mimeType: file.mime_type,
      ...(media.filename || file.filename ? { filename: media.filename ?? file.filename ?? undefined } : {}),
    };
  }
  if (!media || (!media.url && !media.id)) throw new ApiError('not_found', `Message ${row.id} has no media.`);
  if (row.direction === 'outbound') {
    if (!media.url) throw new ApiError('not_found', `Message ${row.id} has no media URL.`);
    return { kind: 'redirect', url: media.url };
  }
  return providerMedia(ctx, row.id, row.channel_id, media);
}

/** An attachment kept in storage, served as a file. */
async function storedAttachment(
  ctx: AppContext,
  scope: Scope,
  messageId: string,
  id: string | undefined,
  askedId: string | undefined,
): Promise<MessageMedia> {
  const stored = id
    ? await tenant(ctx.db, scope)
        .selectFrom('message_attachments')
        .selectAll()
        .where('id', '=', id)
        .where('message_id', '=', messageId)
        .executeTakeFirst()
    : undefined;
  if (!stored) throw new ApiError('not_found', `Message ${messageId} has no attachment ${askedId}.`);
  return {
    kind: 'file',
    content: Buffer.from(stored.content_base64, 'base64'),
    mimeType: stored.mime_type,
    ...(stored.filename ? { filename: stored.filename } : {}),
  };
}

/** A customer's media fetched from the provider with the channel's credentials. */
async function providerMedia(
  ctx: AppContext,
  messageId: string,
  channelId: string,
  media: StoredMedia,
): Promise<MessageMedia> {
  const channelRow = await channelById(ctx.db, channelId);
  if (!channelRow)
    throw new ApiError('channel_not_configured', `The channel of message ${messageId} was deleted.`);
  const channel = channelConfigOf(ctx, channelRow);
  const adapter = adapterFor(ctx, channel.provider);
  if (!adapter?.fetchMedia) {
    if (media.url && /^https?:\/\//.test(media.url)) return { kind: 'redirect', url: media.url };
    throw new ApiError('channel_not_configured', `Provider ${channel.provider} cannot serve media.`);
  }
  try {
    const file = await adapter.fetchMedia(channel, {
      ...(media.id ? { id: media.id } : {}),
      ...(media.url ? { url: media.url } : {}),
      ...(media.mime_type ? { mime_type: media.mime_type } : {}),
    });
    return { kind: 'file', ...file, ...(media.filename ? { filename: media.filename } : {}) };
  } catch (err) {
    if (!(err instanceof ChannelSendError)) throw err;
    if (err.code === 'channel_not_configured') throw new ApiError('channel_not_configured', err.message);
    if (err.code === 'not_found') throw new ApiError('not_found', err.message);
    throw new ApiError(
      'provider_error',
      `Could not fetch the media from ${channel.provider}: ${err.message}`,
    );
  }
}

/** What Parley keeps of a customer's media, by message type: Meta's own limits, within 25 MB. */
export const KEPT_MEDIA_MAX_BYTES = 25 * 1024 * 1024;
const maxBytesByType: Record<string, number> = {
  image: 5 * 1024 * 1024,
  sticker: 500 * 1024,
  audio: 16 * 1024 * 1024,
  video: 16 * 1024 * 1024,
  document: KEPT_MEDIA_MAX_BYTES,
};

/**
 * The file types Parley keeps: those WhatsApp documents as supported media (images, stickers,
 * audio, video, and documents: text, PDF and office files). Anything else (HTML, scripts) is not
 * served from Parley's origin.
 */
const keptTypes = new Set([
  'image/jpeg',
  'image/png',
  'image/webp',
  'audio/aac',
  'audio/amr',
  'audio/mpeg',
  'audio/mp4',
  'audio/ogg',
  'video/3gpp',
  'video/mp4',
  'text/plain',
  'text/csv',
  'application/pdf',
  'application/msword',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
]);

/** Refusals that another attempt would not change. */
const finalCodes = new Set([
  'media_too_large',
  'unsupported_media_type',
  'not_found',
  'channel_not_configured',
  'validation_failed',
]);

/**
 * Fetches a customer's media from the provider with the channel's credentials and keeps it with
 * the message (served by `GET /v1/messages/{id}/media` from then on). A refusal (too large, a
 * type not kept) or the last failed attempt is recorded as the media's `download_error`; the
 * message itself was stored before and stays, and the provider is still asked on download.
 */
export async function keepInboundMedia(ctx: AppContext, messageId: string, job: JobContext): Promise<void> {
  const row = await ctx.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
  if (!row || row.deleted_at) return;
  const media = fromJson<StoredMedia | null>(row.media, null);
  if (!media || media.attachments?.length || (!media.id && !media.url)) return;
  const channelRow = await channelById(ctx.db, row.channel_id);
  if (!channelRow) return;
  const channel = channelConfigOf(ctx, channelRow);
  const adapter = adapterFor(ctx, channel.provider);
  if (!adapter?.fetchMedia) return;
  const maxBytes = Math.min(maxBytesByType[row.type] ?? KEPT_MEDIA_MAX_BYTES, KEPT_MEDIA_MAX_BYTES);
  // Read again in the writing transaction: the customer may have deleted the message meanwhile
  // (undefined then).
  const mediaNow = async (db: Trx) => {
    const now = await db
      .selectFrom('messages')
      .select(['media', 'deleted_at'])
      .where('id', '=', row.id)
      .executeTakeFirst();
    if (!now || now.deleted_at) return undefined;
    return fromJson<StoredMedia | null>(now.media, null) ?? media;
  };
  const record = (download_error: StoredMedia['download_error']) =>
    ctx.transaction(async (tx) => {
      const current = await mediaNow(tx.db);
      if (!current) return;
      await tx.db
        .updateTable('messages')
        .set({ media: toJson({ ...current, download_error }) })
        .where('id', '=', row.id)
        .execute();
    });
  let file: ProviderFile;
  try {
    file = await adapter.fetchMedia(
      channel,
      {
        ...(media.id ? { id: media.id } : {}),
        ...(media.url ? { url: media.url } : {}),
        ...(media.mime_type ? { mime_type: media.mime_type } : {}),
      },
      { maxBytes },
    );
  } catch (err) {
    if (!(err instanceof ChannelSendError)) throw err;
    if (!finalCodes.has(err.code) && job.attempt < job.maxAttempts) throw err;
    ctx.logger.warn({ message: row.id, code: err.code }, 'customer media not kept');
    await record({ code: err.code, message: err.message });
    return;
  }
  const mimeType = file.mimeType.split(';')[0]!.trim().toLowerCase();
  if (!keptTypes.has(mimeType)) {
    await record({
      code: 'unsupported_media_type',
      message: `Parley keeps images, audio, video and documents (PDF, text, office files); this file is ${mimeType}.`,
    });
    return;
  }
  if (file.content.length > maxBytes) {
    await record({
      code: 'media_too_large',
      message: `The file is ${file.content.length} bytes; Parley keeps up to ${maxBytes} for a ${row.type}.`,
    });
    return;
  }
  await ctx.transaction(async (tx) => {
    const current = await mediaNow(tx.db);
    if (!current || current.attachments?.length) return;
    const at = ctx.clock.now().toISOString();
    const attachment = {
      id: newId('att'),
      workspace_id: row.workspace_id,
      livemode: row.livemode,
      message_id: row.id,
      position: 0,
      filename: media.filename ?? file.filename ?? null,
      mime_type: mimeType,
      size: file.content.length,
      content_id: null,
      content_base64: file.content.toString('base64'),
      created_at: at,
    };
    await tx.db.insertInto('message_attachments').values(attachment).execute();
    const kept: StoredMedia = {
      ...current,
      mime_type: current.mime_type ?? mimeType,
      download_error: null,
      attachments: [
        {
          id: attachment.id,
          filename: attachment.filename,
          mime_type: attachment.mime_type,
          size: attachment.size,
          content_id: null,
        },
      ],
    };
    await tx.db
      .updateTable('messages')
      .set({ media: toJson(kept), updated_at: at })
      .where('id', '=', row.id)
      .execute();
  });
}
