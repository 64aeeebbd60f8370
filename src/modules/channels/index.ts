/** The channels module's public surface: what other modules may use. */
export { adapterFor, registerAdapter } from './adapters.ts';
export { invalidAddressMessage, normalizeAddress } from './address.ts';
export {
  type ChannelAdapter,
  type ChannelConfig,
  ChannelSendError,
  type ConsentNotice,
  type InboundBatch,
  type InboundMessage,
  type InteractiveKind,
  type InteractiveParts,
  type OutboundMedia,
  type OutboundMessage,
  type OutboundType,
  type ProviderFile,
  type ProviderPricing,
  type ProviderTemplate,
  type StatusUpdate,
} from './channel-adapter.ts';
export { channelById, channelsByIds } from './channels.lookup.ts';
export {
  channelConfigOf,
  channelHandoffTeam,
  channelsChanged,
  ensureSandboxChannel,
  findChannelForSend,
  findChannelForSendCached,
  loadChannelConfig,
  unbindAgentChannels,
} from './channels.service.ts';
export type { ChannelRow } from './channels.tables.ts';
export {
  activeVoiceChannel,
  ensureWebCallChannel,
  hasTwilioVoiceChannel,
} from './channels.voice.ts';
export {
  type OrderDetailsPart,
  type OrderStatusPart,
  orderStatuses,
  type PaymentAmount,
} from './interactive-parts.ts';
export {
  type ChannelType,
  type ContentLimits,
  channelKinds,
  channelTypes,
  contactFieldFor,
  contactKeyFor,
  interactiveKinds,
  isMessagingChannel,
  kindOf,
  type MessagingChannelType,
  messagingChannelTypes,
  outboundTypes,
} from './kinds.ts';
export { optKeyword, plainOptKeyword } from './opt-keywords.ts';
export { hookChannel, twilioHookChannel } from './providers.inbound.ts';
export { sandboxAdapter } from './sandbox.adapter.ts';
export { type SandboxAgents, type SandboxScope, sandboxChannelFor } from './sandbox-binding.ts';
export { type WebSettings, webSettingsOf } from './web-settings.ts';
export { checkHeaderSample } from './whatsapp/whatsapp.header-sample.ts';
export { uniqueUsersPer24h } from './whatsapp/whatsapp.health.ts';
export { queueTemplateReview } from './whatsapp/whatsapp.templates.ts';
