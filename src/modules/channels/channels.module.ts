import type { AppContext } from '../../platform/context.ts';
import type { Db, Trx } from '../../platform/db/database.ts';
import type { Scope } from '../../platform/db/scope.ts';
import type { Module } from '../module.ts';
import type { ChannelAdapter, ProviderName } from './channel-adapter.ts';
import { channelsMigrations } from './channels.migrations.ts';
import { channelRoutes } from './channels.routes.ts';
import { CHANNELS_CHANGED } from './channels.service.ts';
import type { ChannelRow } from './channels.tables.ts';
import { sandboxAdapter } from './sandbox.adapter.ts';

/** The channels module's state for one app. */
export interface ChannelsInstance {
  /** Adapters by provider (see adapters.ts). */
  adapters: Map<ProviderName, ChannelAdapter>;
  /** Opened credentials by their sealed text: opening costs a cipher, every send needs them, channels are few. */
  openedCredentials: Map<string, Record<string, string>>;
  /** Sending channels looked up recently (see findChannelForSendCached); cleared when any channel changes. */
  sendChannels: Map<string, { row: ChannelRow; expiresAt: number }>;
}

declare module '../../platform/ports.ts' {
  interface Ports {
    /** Whether an agent exists in this workspace and mode (a channel's `agent_id`; provided by the agents module). */
    agentExists: (db: Db | Trx, scope: Scope, agentId: string) => Promise<boolean>;
  }
}

declare module '../../platform/context.ts' {
  interface AppModules {
    channels: ChannelsInstance;
  }
}

export const channelsModule: Module = {
  name: 'channels',
  migrations: channelsMigrations,
  routes: channelRoutes,
  setup(ctx: AppContext): ChannelsInstance {
    const sendChannels: ChannelsInstance['sendChannels'] = new Map();
    ctx.bus.subscribe(CHANNELS_CHANGED, () => sendChannels.clear());
    return {
      adapters: new Map([[sandboxAdapter.provider, sandboxAdapter]]),
      openedCredentials: new Map(),
      sendChannels,
    };
  },
};
