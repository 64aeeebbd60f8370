import type { AppContext } from '../../../../platform/context.ts';
import { agentVoiceSettings } from '../../../agents/index.ts';
import type { Carrier } from '../../engine/types.ts';
import { CarrierError } from '../carrier-error.ts';
import { dialChannel } from '../dial-channel.ts';
import { linesRuntime, publicBase } from '../lines.ts';
import { streamTwimlFor, twilioClient } from './twilio.hooks.ts';

/**
 * Outbound calls through Twilio: paced per channel (`settings.calls_per_second`, default 1, Twilio's
 * default), then `Calls.json` with the stream TwiML, every progress callback, a ring timeout, async
 * answering-machine detection and recording when the agent asks for it. The answer arrives as the
 * media stream (on whichever process the load balancer picks), which starts the session there.
 */
export function twilioCarrier(ctx: AppContext): Carrier {
  return {
    provider: 'twilio',
    async dial(call, hooks) {
      const dialing = await dialChannel(ctx, call, hooks);
      if (!dialing) return;
      const { channel, to } = dialing;
      const creds = {
        account_sid: channel.credentials.account_sid ?? '',
        auth_token: channel.credentials.auth_token ?? '',
      };
      const voice = await callAgentVoice(ctx, call.callId);
      const cps = Number(channel.settings.calls_per_second ?? 1) || 1;
      let canceled = false;
      let placedSid: string | null = null;
      const client = twilioClient(ctx);
      hooks.onCancel(() => {
        canceled = true;
        const sid = placedSid;
        if (!sid) return;
        // Hung up through the API while ringing (or before the stream came): end it at Twilio too.
        void canceledWhileRinging(ctx, call.callId).then(async (ringing) => {
          if (!ringing) return;
          await client
            .hangup(creds, sid, 'canceled')
            .catch((err) =>
              ctx.logger.warn({ callId: call.callId, err: (err as Error).message }, 'Twilio cancel failed'),
            );
        });
      });
      await linesRuntime(ctx).pacer.wait(channel.id, cps);
      if (canceled) return;
      try {
        const placed = await client.placeCall(creds, {
          to,
          from: call.from ?? channel.address,
          twiml: streamTwimlFor(ctx, channel.id, call.callId),
          statusCallbackUrl: `${publicBase(ctx)}/hooks/twilio/${channel.id}/voice-status?call_id=${call.callId}`,
          timeoutSeconds: Number(channel.settings.ring_timeout_seconds ?? 25) || 25,
          machineDetection: true,
          record: voice.record === true,
          timeLimitSeconds: voice.max_duration_seconds ? voice.max_duration_seconds + 30 : undefined,
        });
        placedSid = placed.callSid;
        await hooks.progress({ status: 'dialing', providerCallId: placed.callSid });
        if (canceled) await client.hangup(creds, placed.callSid, 'canceled').catch(() => {});
      } catch (err) {
        if (!(err instanceof CarrierError)) throw err;
        const status = err.reason === 'busy' || err.reason === 'no_answer' ? err.reason : 'failed';
        await hooks.progress({
          status,
          endedReason: err.reason,
          error: { code: err.reason, message: err.message },
        });
      }
    },
  };
}

/** The voice settings of the call's agent (none for a call without one). */
async function callAgentVoice(ctx: AppContext, callId: string) {
  const row = await ctx.db
    .selectFrom('calls')
    .select(['agent_id'])
    .where('id', '=', callId)
    .executeTakeFirst();
  return (row?.agent_id ? await agentVoiceSettings(ctx.db, row.agent_id) : null) ?? {};
}

/**
 * Whether a call canceled through the API is still Twilio's to end: not when it ended otherwise
 * (by Twilio or by the session), nor when it was answered (the session holding the media stream,
 * maybe in another process, hangs it up).
 */
async function canceledWhileRinging(ctx: AppContext, callId: string): Promise<boolean> {
  const now = await ctx.db
    .selectFrom('calls')
    .select(['status', 'ended_reason', 'answered_at'])
    .where('id', '=', callId)
    .executeTakeFirst();
  return now?.ended_reason === 'canceled' && !now.answered_at;
}
