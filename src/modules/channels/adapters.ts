import type { ChannelAdapter, ProviderName } from './channel-adapter.ts';

/**
 * Adapters by provider. The sandbox registers itself here; the WhatsApp, Twilio and SMTP
 * modules register theirs in their own `setup`.
 */
const registry = new Map<ProviderName, ChannelAdapter>();

export function registerAdapter(adapter: ChannelAdapter): void {
  registry.set(adapter.provider, adapter);
}

export function adapterFor(provider: ProviderName): ChannelAdapter | undefined {
  return registry.get(provider);
}
