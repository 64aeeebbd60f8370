import type { ChannelType, ProviderName } from './channel-adapter.ts';

declare module '../../platform/db/schema.ts' {
  interface Database {
    channels: ChannelsTable;
  }
}

export interface ChannelsTable {
  id: string;
  workspace_id: string;
  livemode: number;
  type: ChannelType;
  provider: ProviderName;
  /** The channel's own number (E.164) or email address. */
  address: string;
  agent_id: string | null;
  /** The team handoffs on this channel go to (over the agent's and the workspace's policy). */
  handoff_team_id?: string | null;
  /** Sealed JSON (SecretBox) of the provider credentials; never returned by the API. */
  credentials: string;
  /** JSON: non-secret provider settings. */
  settings: string;
  status: 'active' | 'disabled';
  created_at: string;
  updated_at: string;
}

export type ChannelRow = ChannelsTable;
