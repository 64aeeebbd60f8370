import type { AppContext } from '../../platform/context.ts';
import type { Scope } from '../../platform/db/scope.ts';
import { ApiError } from '../../platform/errors.ts';
import { agentVoiceSettings } from '../agents/index.ts';
import { channelById, channelConfigOf } from '../channels/index.ts';
import { getCallRow, isTerminal } from './calls.service.ts';
import { CarrierError } from './carriers/carrier-error.ts';
import { twilioClient } from './carriers/twilio/twilio.hooks.ts';
import type { RecordingAudio } from './carriers/twilio/twilio-voice.client.ts';
import type { CallRow } from './voice.tables.ts';

/**
 * A call's recording, fetched from where it is kept with the channel's own credentials (the
 * caller of the API never needs them). Today that is Twilio: its `RecordingUrl` takes the
 * account's basic auth. A call without one is a 404 saying why, when the reason is plain.
 */
export async function getCallRecording(
  ctx: AppContext,
  scope: Scope,
  callId: string,
): Promise<RecordingAudio> {
  const call = await getCallRow(ctx.db, scope, callId);
  if (!call.recording_url) throw new ApiError('not_found', await noRecordingMessage(ctx, scope, call));
  const channel =
    call.provider === 'twilio' && call.channel_id
      ? await channelById(ctx.db, call.channel_id, scope)
      : undefined;
  if (!channel)
    throw new ApiError(
      'not_found',
      `Call ${call.id} has no recording Parley can fetch: its Twilio channel no longer exists.`,
    );
  const { credentials } = channelConfigOf(ctx, channel);
  try {
    return await twilioClient(ctx).fetchRecording(
      { account_sid: credentials.account_sid ?? '', auth_token: credentials.auth_token ?? '' },
      call.recording_url,
    );
  } catch (err) {
    if (!(err instanceof CarrierError)) throw err;
    throw new ApiError('provider_error', `Could not fetch the recording of call ${call.id}: ${err.message}`);
  }
}

async function noRecordingMessage(ctx: AppContext, scope: Scope, call: CallRow): Promise<string> {
  const none = `Call ${call.id} has no recording`;
  if (!isTerminal(call.status)) return `${none}: it has not ended (status ${call.status}).`;
  if (call.provider !== 'twilio') return `${none}: calls through ${call.provider} are not recorded.`;
  if (!call.answered_at) return `${none}: it was not answered (status ${call.status}).`;
  const voice = call.agent_id ? await agentVoiceSettings(ctx.db, call.agent_id, scope) : null;
  if (voice && voice.record !== true) return `${none}: its agent's voice \`record\` setting is off.`;
  return `${none} yet: Twilio delivers it shortly after the call ends.`;
}
