import type { AppContext } from '../../../platform/context.ts';
import { loadChannelConfig } from '../../channels/index.ts';
import type { DialHooks, DialRequest } from '../engine/types.ts';

/**
 * The channel (with its decrypted credentials) an outbound call dials out on, and the number it
 * dials; a call with no channel or number is failed (`provider_error`) and null returned.
 */
export async function dialChannel(ctx: AppContext, call: DialRequest, hooks: DialHooks) {
  if (!call.channelId || !call.to) {
    await hooks.progress({
      status: 'failed',
      endedReason: 'provider_error',
      error: { code: 'provider_error', message: 'The call has no channel or number.' },
    });
    return null;
  }
  return { channel: await loadChannelConfig(ctx, call.channelId), to: call.to };
}
