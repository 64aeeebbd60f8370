import type { AppContext } from '../../platform/context.ts';
import type { ChannelAdapter, InboundReceiver, ProviderName } from './channel-adapter.ts';

/**
 * An app's adapters by provider, kept on the channels module's instance (`ctx.modules.channels`).
 * The channels module starts it with the sandbox; the providers module adds WhatsApp, Twilio and
 * SMTP in its `setup`; a test may put a fake in its own app, which no other app sees.
 */
export function registerAdapter(ctx: AppContext, adapter: ChannelAdapter): void {
  ctx.modules.channels.adapters.set(adapter.provider, adapter);
}

export function adapterFor(ctx: AppContext, provider: ProviderName): ChannelAdapter | undefined {
  return ctx.modules.channels.adapters.get(provider);
}

/** The app's inbound receiver (see InboundReceiver), which the messaging module provides. */
export function inboundReceiver(ctx: AppContext): InboundReceiver {
  const receiver = ctx.ports.inboundReceiver;
  if (!receiver)
    throw new Error('No inbound receiver: no module of this app provides it (the messaging module does)');
  return receiver;
}
