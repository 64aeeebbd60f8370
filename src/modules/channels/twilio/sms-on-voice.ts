import type { AppContext } from '../../../platform/context.ts';
import { ApiError } from '../../../platform/errors.ts';
import type { ChannelConfig } from '../channel-adapter.ts';
import { findChannelForSend, loadChannelConfig } from '../channels.service.ts';

/**
 * An SMS that Twilio posts to a voice channel's hook (the number's messaging webhook points at
 * the voice line): it belongs to the SMS channel of the same number in the same workspace and
 * mode, when there is one. Without one it is refused (422 `channel_not_configured`, a warning
 * log and `parley_inbound_refused_total{reason="sms_to_voice_channel"}`), never stored in a
 * voice conversation that cannot answer it.
 */
export async function smsChannelOf(ctx: AppContext, channel: ChannelConfig): Promise<ChannelConfig> {
  if (channel.type !== 'voice') return channel;
  const sms = await findChannelForSend(
    ctx.db,
    { workspaceId: channel.workspaceId, livemode: channel.livemode },
    { type: 'sms', from: channel.address },
  );
  if (sms && sms.provider === 'twilio') return loadChannelConfig(ctx, sms.id);
  ctx.modules.providers.refusedInbound.inc({ reason: 'sms_to_voice_channel' });
  ctx.logger.warn(
    { channelId: channel.id, address: channel.address },
    'SMS refused: it reached a voice channel and its number has no SMS channel',
  );
  throw new ApiError(
    'channel_not_configured',
    `Channel ${channel.id} is a voice line; ${channel.address} has no SMS channel here, so this SMS is refused. Create an SMS channel for the number to receive texts.`,
  );
}
