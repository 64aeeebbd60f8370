import type { AppContext } from '../../../../platform/context.ts';
import { fromJson } from '../../../../platform/json.ts';
import { loadChannelConfig } from '../../../channels/index.ts';
import type { Carrier } from '../../engine/types.ts';
import type { CallRow } from '../../voice.tables.ts';
import { CarrierError } from '../carrier-error.ts';
import { dialChannel } from '../dial-channel.ts';
import { linesRuntime } from '../lines.ts';
import { LiveKitClient, type LiveKitCredentials, roomJoinToken } from './livekit.ts';

/** The SIP participant's identity in the call's room (the callee). */
export const CALLEE_IDENTITY = 'callee';

export function liveKitCredsOf(creds: Record<string, string>): LiveKitCredentials {
  return {
    url: creds.url ?? '',
    api_key: creds.api_key ?? '',
    api_secret: creds.api_secret ?? '',
    sip_trunk_id: creds.sip_trunk_id,
    agent_name: creds.agent_name,
  };
}

export function liveKitClient(ctx: AppContext, creds: LiveKitCredentials) {
  return new LiveKitClient(creds, { apiUrl: ctx.config.livekitUrl });
}

/**
 * Outbound calls through LiveKit: the call's room (named by the call id), the channel's named
 * agent dispatched into it when one is set, then the SIP participant that dials the number over
 * the channel's trunk. LiveKit's signed webhooks move the call's status from there; the media is
 * in the room, for the dispatched agent and for API clients holding the call's room token.
 */
export function liveKitCarrier(ctx: AppContext): Carrier {
  return {
    provider: 'livekit',
    async dial(call, hooks) {
      const dialing = await dialChannel(ctx, call, hooks);
      if (!dialing) return;
      const { channel, to } = dialing;
      const creds = liveKitCredsOf(channel.credentials);
      const client = liveKitClient(ctx, creds);
      let placed = false;
      hooks.onCancel(() => {
        if (!placed) return;
        void (async () => {
          const now = await ctx.db
            .selectFrom('calls')
            .select(['ended_reason'])
            .where('id', '=', call.callId)
            .executeTakeFirst();
          if (now?.ended_reason !== 'canceled') return;
          await client.removeParticipant(call.callId, CALLEE_IDENTITY).catch(() => {});
          await client
            .deleteRoom(call.callId)
            .catch((err) =>
              ctx.logger.warn({ callId: call.callId, err: (err as Error).message }, 'LiveKit hangup failed'),
            );
        })();
      });
      await linesRuntime(ctx).pacer.wait(channel.id, Number(channel.settings.calls_per_second ?? 1) || 1);
      const row = await ctx.db
        .selectFrom('calls')
        .select(['agent_id', 'dynamic_variables'])
        .where('id', '=', call.callId)
        .executeTakeFirst();
      const metadata = JSON.stringify({
        call_id: call.callId,
        agent_id: row?.agent_id ?? null,
        to,
        dynamic_variables: fromJson(row?.dynamic_variables ?? null, {}),
      });
      try {
        await client.createRoom(call.callId, { emptyTimeoutSeconds: 60, metadata });
        if (creds.agent_name) await client.createDispatch(call.callId, creds.agent_name, metadata);
        const sip = await client.createSipParticipant({
          room: call.callId,
          to,
          from: call.from ?? channel.address,
          identity: CALLEE_IDENTITY,
          ringingTimeoutSeconds: Number(channel.settings.ring_timeout_seconds ?? 30) || 30,
        });
        placed = true;
        await hooks.progress({ status: 'dialing', providerCallId: sip.sipCallId || sip.participantId });
      } catch (err) {
        if (!(err instanceof CarrierError)) throw err;
        await client.deleteRoom(call.callId).catch(() => {});
        const status = err.reason === 'busy' ? 'busy' : err.reason === 'no_answer' ? 'no_answer' : 'failed';
        await hooks.progress({
          status,
          endedReason: err.reason,
          error: { code: err.reason, message: err.message },
        });
      }
    },
  };
}

/** A call's `media_session` on a LiveKit channel: a room token for identity `api-client` (Oration's tokenResponse). */
export async function liveKitMediaSession(ctx: AppContext, call: CallRow) {
  const channel = await loadChannelConfig(ctx, call.channel_id!);
  const t = await roomJoinToken(liveKitCredsOf(channel.credentials), call.id, { now: ctx.clock.now() });
  return {
    provider: 'livekit' as const,
    room: t.room,
    token: t.token,
    url: t.url,
    identity: t.identity,
    expires_at: t.expiresAt.toISOString(),
  };
}
