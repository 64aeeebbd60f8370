import type { AppContext } from '../../platform/context.ts';
import { type ChannelAdapter, ChannelSendError, type OutboundMessage } from '../channels/index.ts';
import { appendEvent } from './widget.events.ts';
import { visitorMessage } from './widget.service.ts';

/**
 * The outbound side of the website widget (provider `widget`): Parley itself carries the message
 * to the visitor, into their stream (every open tab at once, and replayed to a tab that comes
 * back). Nothing is verified or parsed inbound here: visitors write through the widget routes.
 */
export function widgetAdapter(ctx: AppContext): ChannelAdapter {
  return {
    provider: 'widget',
    async send(channel, message) {
      const visitor = await ctx.db
        .selectFrom('widget_visitors')
        .select(['id', 'channel_id'])
        .where('id', '=', message.to)
        .executeTakeFirst();
      if (!visitor || visitor.channel_id !== channel.id)
        throw new ChannelSendError('validation_failed', `No visitor ${message.to} on this widget.`);
      await appendEvent(ctx, ctx.db, visitor.id, 'message', outboundEvent(ctx, message));
      return { providerMessageId: message.id };
    },
    verifyInbound: () => false,
    parseInbound: () => ({ messages: [], statuses: [], notices: [] }),
  };
}

function outboundEvent(ctx: AppContext, m: OutboundMessage) {
  const text =
    m.type === 'template'
      ? (m.template?.renderedBody ?? '')
      : m.type === 'interactive'
        ? (m.interactive?.body ?? '')
        : (m.text ?? m.media?.caption ?? '');
  return visitorMessage({
    id: m.id,
    direction: 'outbound',
    type: m.type,
    text,
    created_at: ctx.clock.now().toISOString(),
    media: m.media ? { url: m.media.url ?? null, filename: m.media.filename ?? null, mime_type: null } : null,
    interactive: m.interactive ? { buttons: m.interactive.buttons ?? [] } : null,
  });
}
