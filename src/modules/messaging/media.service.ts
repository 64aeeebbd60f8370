import type { AppContext } from '../../platform/context.ts';
import { ApiError } from '../../platform/errors.ts';
import { fromJson } from '../../platform/json.ts';
import { adapterFor, ChannelSendError, channelConfigOf, type ProviderFile } from '../channels/index.ts';
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
  if (attachmentId !== undefined || (!media?.url && !media?.id && attachments.length)) {
    const id = attachmentId ?? attachments[0]?.id;
    const stored = id
      ? await ctx.db
          .selectFrom('message_attachments')
          .selectAll()
          .where('id', '=', id)
          .where('message_id', '=', row.id)
          .where('workspace_id', '=', scope.workspaceId)
          .executeTakeFirst()
      : undefined;
    if (!stored) throw new ApiError('not_found', `Message ${row.id} has no attachment ${attachmentId}.`);
    return {
      kind: 'file',
      content: Buffer.from(stored.content_base64, 'base64'),
      mimeType: stored.mime_type,
      ...(stored.filename ? { filename: stored.filename } : {}),
    };
  }
  if (!media || (!media.url && !media.id)) throw new ApiError('not_found', `Message ${row.id} has no media.`);
  if (row.direction === 'outbound') {
    if (!media.url) throw new ApiError('not_found', `Message ${row.id} has no media URL.`);
    return { kind: 'redirect', url: media.url };
  }
  const channelRow = await ctx.db
    .selectFrom('channels')
    .selectAll()
    .where('id', '=', row.channel_id)
    .executeTakeFirst();
  if (!channelRow)
    throw new ApiError('channel_not_configured', `The channel of message ${row.id} was deleted.`);
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
